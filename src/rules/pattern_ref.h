// Pattern references: the entries of one map or ACL file (or of one ACL's inline patterns),
// shared by every ACL and map converter that names the same file, `#ID` or `-u ID` (as
// HAProxy's pat_ref), and changed at run time by the runtime API.
//
// Each user attaches a PatternHandle: the compiled PatternSet for its options (match kind,
// -i, value type). Users with the same options share one handle.
//
// Threads. Workers read the handles concurrently; only the admin thread changes a reference.
// A change rebuilds each handle's PatternSet from the visible entries and publishes it with
// one atomic pointer store (copy-on-write, read-copy-update). A lookup is then one acquire
// load and the lookup itself: no lock, no reference count touched on a shared cache line
// per request, so readers never wait on a writer. The price is paid by writes: a rebuild is
// O(n) (about 100 ns per entry), so bulk changes should use `prepare`/`commit`, which
// rebuild once. The set that was replaced is retired, not freed: a reader may still be
// inside a lookup, or hold an Entry* for the rest of its event. PatternRefs frees retired
// sets once the caller says every reader passed a quiescent point (reclaim(), called by
// the runtime API after a round trip through every worker's event loop). Entry pointers are
// therefore valid until the reader returns to its event loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "rules/pattern.h"

namespace sluice::rules {

class PatternRefs;

class PatternHandle {
 public:
  // The current compiled set (never null once attached). Valid until the caller's event ends.
  const PatternSet* get() const { return cur_.load(std::memory_order_acquire); }
  const PatternSet* operator->() const { return get(); }
  const PatternOptions& options() const { return opts_; }

 private:
  friend class PatternRef;
  PatternOptions opts_;
  std::atomic<const PatternSet*> cur_{nullptr};
  std::shared_ptr<const PatternSet> owned_;   // keeps cur_ alive
};

// One element as the runtime API shows it.
struct RefEntry {
  uint64_t id = 0;   // shown as 0x%x by `show map`, `del map NAME #ID`
  std::string pattern;
  std::optional<std::string> value;
  int line = 0;
  uint32_t gen = 0;
};

class PatternRef {
 public:
  enum class Use : uint8_t { Acl = 1, Map = 2 };

  // The file name (empty for inline ACL patterns) and the unique id (`#ID`).
  const std::string& name() const { return name_; }
  int unique_id() const { return uid_; }
  bool used_as(Use u) const { return (uses_ & static_cast<uint8_t>(u)) != 0; }
  bool is_map_file() const { return map_format_; }

  // Notes who uses it ("map at file 'h.cfg' line 12"), for `show map|acl` without argument.
  void add_user(Use u, std::string where);
  // `show map` description: "pattern loaded from file 'F' used by X, by Y" or the inline
  // ACL's own description.
  std::string description() const;

  // Compiles the current entries for one user. Error: the message, prefixed with the
  // source line of the bad entry ("line N: ...") when it has one; the caller adds the file.
  Result<PatternHandle*> attach(const PatternOptions& opts);
  const std::vector<std::unique_ptr<PatternHandle>>& handles() const { return handles_; }

  // ---- runtime changes (admin thread). Without `gen`, the current version. ----
  uint32_t curr_gen() const { return curr_gen_; }
  uint32_t next_gen() const { return next_gen_; }
  std::vector<RefEntry> entries(std::optional<uint32_t> gen = std::nullopt) const;
  size_t entry_count() const;   // entries of every version
  // Messages are HAProxy's, without the final newline.
  Result<uint64_t> add(std::string pattern, std::optional<std::string> value, std::optional<uint32_t> gen);
  Result<void> del_key(std::string_view key);              // every entry with this key
  bool has_key(std::string_view key) const;                // in the current version
  Result<void> del_id(uint64_t id);
  Result<void> set_key(std::string_view key, std::string value);
  Result<void> set_id(uint64_t id, std::string value);
  void clear(std::optional<uint32_t> gen);
  uint32_t prepare();
  Result<void> commit(uint32_t gen);
  // True when `gen` is not newer than the newest prepared version (add/clear/show @gen).
  bool gen_known(uint32_t gen) const { return gen - curr_gen_ <= next_gen_ - curr_gen_; }

 private:
  friend class PatternRefs;
  PatternRef(PatternRefs& owner, std::string name, int uid, bool map_format)
      : owner_(owner), name_(std::move(name)), uid_(uid), map_format_(map_format) {}
  std::vector<PatternText> visible() const;
  Result<void> check_all(std::string_view pattern, const std::optional<std::string>& value) const;
  void republish();

  PatternRefs& owner_;
  std::string name_;
  int uid_;
  bool map_format_;
  uint8_t uses_ = 0;
  std::string inline_desc_;
  std::string inline_key_;
  std::vector<std::string> users_;
  std::deque<RefEntry> entries_;   // file order
  uint64_t next_id_ = 0;
  uint32_t curr_gen_ = 0, next_gen_ = 0;
  std::vector<std::unique_ptr<PatternHandle>> handles_;
};

// Every reference of the running configuration, owned by the runtime.
class PatternRefs {
 public:
  PatternRefs() = default;
  PatternRefs(const PatternRefs&) = delete;
  PatternRefs& operator=(const PatternRefs&) = delete;

  // Loads a file once: later calls with the same path return the same reference (the first
  // call's format wins, as HAProxy). Map files: "KEY VALUE" per line (the value runs to the
  // end of the line, trailing blanks cut); ACL files: one pattern per line (spaces are
  // part of it). Both: '#' in the first column starts a comment, leading blanks are
  // skipped, blank lines ignored. `uid`: a `-u ID` given by the configuration.
  Result<PatternRef*> load_file(const std::string& path, bool map_format, std::optional<int> uid = std::nullopt);
  // The same from text already read (tests, and files read elsewhere).
  Result<PatternRef*> load_text(const std::string& name, std::string_view text, bool map_format,
                                std::optional<int> uid = std::nullopt);
  // An ACL's inline patterns: a reference without a file, listed by `show acl` as
  // `ID () DESCRIPTION` ("acl 'path_beg' file 'h.cfg' line 11"). `key` (the ACL's
  // declaration as text, with its location): a named ACL used by several conditions is
  // compiled once per use but is one reference, as in HAProxy; a second call with the same
  // non-empty key returns the first reference.
  Result<PatternRef*> add_inline(std::string description, std::vector<std::string> patterns,
                                 std::optional<int> uid = std::nullopt, std::string key = {});

  // By "#ID" or by file name.
  PatternRef* find(std::string_view name_or_id);
  // In id order.
  std::vector<PatternRef*> all();

  // Retired sets: freed by reclaim(epoch) once every reader has passed a quiescent point
  // after retire_epoch() returned `epoch`.
  uint64_t retire_epoch() const { return epoch_; }
  void reclaim(uint64_t up_to_epoch);
  size_t retired() const;

  // Every change after startup holds this lock: the runtime API (admin thread) and the
  // add-acl/del-acl/set-map/del-map actions (worker threads). Lookups never take it.
  std::mutex& writer() { return writer_mu_; }
  // Changes made by actions: the runtime installs a hook that passes through every worker's
  // event loop and then calls reclaim_done(epoch). request_reclaim() (writer lock held)
  // starts one such round trip unless one is under way; without a hook, nothing happens.
  void set_reclaim_hook(std::function<void(uint64_t epoch)> hook) { reclaim_hook_ = std::move(hook); }
  void request_reclaim();
  void reclaim_done(uint64_t up_to_epoch);

 private:
  friend class PatternRef;
  void retire(std::shared_ptr<const PatternSet> old);
  Result<PatternRef*> create(const std::string& name, bool map_format, std::optional<int> uid);

  std::vector<std::unique_ptr<PatternRef>> refs_;
  int next_uid_ = 0;
  mutable std::mutex retired_mu_;
  std::vector<std::pair<uint64_t, std::shared_ptr<const PatternSet>>> retired_;
  uint64_t epoch_ = 0;
  std::mutex writer_mu_;
  std::function<void(uint64_t)> reclaim_hook_;
  std::atomic<bool> reclaim_pending_{false};
};

// Map/ACL file lines -> texts (exposed for the unit tests).
Result<std::vector<PatternText>> parse_pattern_file(std::string_view text, bool map_format);

}  // namespace sluice::rules
