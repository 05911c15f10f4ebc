// Variables (`set-var(txn.x)`, `var(sess.y)`): HAProxy's scopes proc, sess, txn, req, res
// (and check). Names are interned once at load into small ids, so a lookup is an index.
// A stored value owns its bytes; reading hands out a Sample that borrows them until the
// variable changes.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "rules/sample.h"

namespace sluice::rules {

enum class Scope : uint8_t { Proc, Sess, Txn, Req, Res, Check };
std::string_view to_string(Scope s);

struct VarRef {
  Scope scope = Scope::Txn;
  uint32_t id = 0;
  std::string name;   // "txn.foo" as written, for messages and -dK
};

// "txn.foo" -> VarRef. Names: scope, a dot, then [A-Za-z0-9._-]+ (HAProxy's vars_check_arg).
// Interning happens while the configuration loads (one thread).
Result<VarRef> parse_var_name(std::string_view text);
// intern = false: only a name already interned (the runtime API's `get var`).
Result<VarRef> parse_var_name(std::string_view text, bool intern);
// Number of interned names (the size every store grows to).
uint32_t var_count();
// The name of interned id (for `show var`-like dumps).
std::string var_name(uint32_t id);

class VarStore {
 public:
  // False when unset.
  bool get(uint32_t id, Sample& out) const;
  void set(uint32_t id, const Sample& s);
  void unset(uint32_t id);
  void clear();
  bool empty() const { return count_ == 0; }

 private:
  struct Slot {
    bool set = false;
    Sample s;
    std::string bytes;   // s.str's bytes
  };
  std::vector<Slot> slots_;
  uint32_t count_ = 0;
};

// proc.* variables: one store for the process, shared by every thread.
class ProcVars {
 public:
  bool get(uint32_t id, Sample& out, std::string& copy) const;
  void set(uint32_t id, const Sample& s);
  void unset(uint32_t id);
  static ProcVars& instance();

 private:
  mutable std::mutex mu_;
  VarStore store_;
};

}  // namespace sluice::rules
