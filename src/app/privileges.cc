#include "app/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

namespace sluice::app {

Result<Identity> resolve_identity(const config::GlobalConfig& g) {
  Identity id;
  if (g.uid) id.uid = static_cast<uid_t>(*g.uid);
  if (g.gid) id.gid = static_cast<gid_t>(*g.gid);
  id.chroot = g.chroot;
  if (id.empty()) return id;
  if (id.uid && !id.gid) {
    const passwd* pw = ::getpwuid(*id.uid);
    if (pw == nullptr)
      return fail(fmt::format("uid {} has no entry in the user database to take its group from: set 'group' or 'gid' too",
                              *id.uid));
    id.gid = pw->pw_gid;
  }
  if (!id.chroot.empty()) {
    struct stat st{};
    if (::stat(id.chroot.c_str(), &st) != 0)
      return fail(fmt::format("chroot '{}': {}", id.chroot, std::strerror(errno)));
    if (!S_ISDIR(st.st_mode)) return fail(fmt::format("chroot '{}': not a directory", id.chroot));
  }
  if (::geteuid() == 0) return id;
  // Not root: nothing can change, which is fine only if nothing has to.
  if (!id.chroot.empty())
    return fail(fmt::format("chroot '{}' needs root privileges (sluice runs as uid {})", id.chroot, ::geteuid()));
  if (id.uid && *id.uid != ::geteuid())
    return fail(fmt::format("cannot switch to uid {}: sluice runs as uid {}, not root", *id.uid, ::geteuid()));
  if (id.gid && *id.gid != ::getegid())
    return fail(fmt::format("cannot switch to gid {}: sluice runs as gid {}, not root", *id.gid, ::getegid()));
  return Identity{};
}

Result<void> drop_privileges(const Identity& id) {
  if (id.empty()) return {};
  // Local time conversions read the zone file once: read it while it is still visible.
  ::tzset();
  if (!id.chroot.empty()) {
    if (::chroot(id.chroot.c_str()) != 0)
      return fail(fmt::format("cannot chroot to '{}': {}", id.chroot, std::strerror(errno)));
    if (::chdir("/") != 0) return fail(fmt::format("cannot chdir to / in '{}': {}", id.chroot, std::strerror(errno)));
  }
  if (id.uid || id.gid) {
    // The starting user's supplementary groups (root's, often) must not survive.
    if (::setgroups(0, nullptr) != 0)
      return fail(fmt::format("cannot drop the supplementary groups: {}", std::strerror(errno)));
  }
  if (id.gid && ::setgid(*id.gid) != 0) return fail(fmt::format("cannot set gid {}: {}", *id.gid, std::strerror(errno)));
  if (id.uid && ::setuid(*id.uid) != 0) return fail(fmt::format("cannot set uid {}: {}", *id.uid, std::strerror(errno)));
  // Verify rather than trust: real, effective and saved ids must all have changed.
  if (id.uid) {
    uid_t r = 0, e = 0, s = 0;
    if (::getresuid(&r, &e, &s) != 0 || r != *id.uid || e != *id.uid || s != *id.uid)
      return fail(fmt::format("uid {} not fully taken (real {}, effective {}, saved {})", *id.uid, r, e, s));
    if (*id.uid != 0 && ::setuid(0) == 0) return fail("root privileges could be regained after the switch");
  }
  if (id.gid) {
    gid_t r = 0, e = 0, s = 0;
    if (::getresgid(&r, &e, &s) != 0 || r != *id.gid || e != *id.gid || s != *id.gid)
      return fail(fmt::format("gid {} not fully taken (real {}, effective {}, saved {})", *id.gid, r, e, s));
  }
  return {};
}

}  // namespace sluice::app
