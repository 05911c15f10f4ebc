// `user`/`uid`, `group`/`gid` and `chroot`: the identity every serving process (standalone,
// daemon, master-worker workers) takes once it holds everything that needs the old one:
// listening and runtime API sockets, log sockets, the pid file, state files, error pages.
// The master of master-worker mode keeps its identity: it binds new addresses and forks
// new workers on reload.
//
// Stricter than haproxy, which warns and goes on: anything that cannot be done is a
// startup error. `user`/`uid` without `group`/`gid` takes that user's primary group
// (haproxy would keep the starting group, usually root's).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "config/model.h"
#include "core/result.h"

namespace sluice::app {

struct Identity {
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::string chroot;
  bool empty() const { return !uid && !gid && chroot.empty(); }
};

// Checks what can be checked before binding anything: the group of a uid given alone, the
// jail directory, and that a change is possible at all (root, or already that identity:
// then nothing is left to do and the result is empty).
Result<Identity> resolve_identity(const config::GlobalConfig& g);

// In this order: chroot + chdir("/"), drop the supplementary groups, setgid, setuid; then
// verifies that root cannot be regained. An empty identity does nothing.
Result<void> drop_privileges(const Identity& id);

}  // namespace sluice::app
