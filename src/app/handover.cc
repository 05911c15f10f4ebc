#include "app/handover.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/clock.h"
#include "net/socket.h"

namespace sluice::app {

namespace {

constexpr int kSendTimeoutMs = 1000;
constexpr int kRecvTimeoutMs = 2000;

// Waits for `events` on fd until the absolute monotonic deadline; false on timeout.
bool wait_fd(int fd, short events, uint64_t deadline_ms) {
  for (;;) {
    uint64_t now = core::monotonic_ms();
    if (now >= deadline_ms) return false;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(deadline_ms - now));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

Result<int> connect_unix(const std::string& path) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof sun.sun_path) return fail("unix socket path too long: " + path);
  std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(fmt::format("socket: {}", std::strerror(errno)));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
    int e = errno;
    ::close(fd);
    return fail(fmt::format("cannot connect to {}: {}", path, std::strerror(e)));
  }
  return fd;
}

Result<void> write_all(int fd, std::string_view data, uint64_t deadline) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLOUT, deadline)) continue;
    return fail(fmt::format("send: {}", n < 0 ? std::strerror(errno) : "timeout"));
  }
  return {};
}

}  // namespace

Result<void> send_listeners(int fd, const std::vector<std::pair<std::string, int>>& listeners) {
  uint64_t deadline = core::monotonic_ms() + kSendTimeoutMs;
  if (auto r = write_all(fd, fmt::format("SLUICE-SOCKS 1 {}\n", listeners.size()), deadline); !r) return r;
  for (const auto& [key, lfd] : listeners) {
    std::string line = key + "\n";
    iovec iov{line.data(), line.size()};
    alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl;
    msg.msg_controllen = sizeof ctl;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &lfd, sizeof(int));
    for (;;) {
      ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
      if (n == static_cast<ssize_t>(line.size())) break;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLOUT, deadline)) continue;
      // A short write would split a key from its fd: keys are tiny, so treat it as an error.
      return fail(fmt::format("sendmsg: {}", n < 0 ? std::strerror(errno) : "short write"));
    }
  }
  return {};
}

Result<std::map<std::string, int>> fetch_listeners(const std::string& path) {
  auto c = connect_unix(path);
  if (!c) return unexpected(c.error());
  int fd = *c;
  uint64_t deadline = core::monotonic_ms() + kRecvTimeoutMs;
  std::string data;
  std::vector<int> fds;
  auto cleanup = [&](std::string why) -> Result<std::map<std::string, int>> {
    for (int f : fds) ::close(f);
    ::close(fd);
    return fail(fmt::format("_getsocks on {}: {}", path, why));
  };
  if (auto r = write_all(fd, "_getsocks\n", deadline); !r) return cleanup(r.error().message);
  for (;;) {
    char buf[4096];
    iovec iov{buf, sizeof buf};
    alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int) * 64)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl;
    msg.msg_controllen = sizeof ctl;
    ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLIN, deadline)) continue;
      return cleanup(errno == EAGAIN ? "timeout" : std::strerror(errno));
    }
    for (cmsghdr* h = CMSG_FIRSTHDR(&msg); h != nullptr; h = CMSG_NXTHDR(&msg, h)) {
      if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
      size_t cnt = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < cnt; ++i) {
        int f;
        std::memcpy(&f, CMSG_DATA(h) + i * sizeof(int), sizeof f);
        net::set_nonblock(f);   // shared with the sender's, but never trust another process's mode
        fds.push_back(f);
      }
    }
    if (msg.msg_flags & MSG_CTRUNC) return cleanup("control data truncated");
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  // "SLUICE-SOCKS 1 N\n" then N keys.
  size_t nl = data.find('\n');
  unsigned count = 0;
  if (nl == std::string::npos || std::sscanf(data.substr(0, nl).c_str(), "SLUICE-SOCKS 1 %u", &count) != 1) {
    for (int f : fds) ::close(f);
    auto first = data.substr(0, std::min<size_t>(data.size(), 120));
    while (!first.empty() && (first.back() == '\n' || first.back() == ' ')) first.pop_back();
    return fail(fmt::format("_getsocks on {}: unexpected answer '{}' (is `expose-fd listeners` set?)", path, first));
  }
  std::vector<std::string> keys;
  for (size_t pos = nl + 1; pos < data.size();) {
    size_t e = data.find('\n', pos);
    if (e == std::string::npos) break;
    keys.push_back(data.substr(pos, e - pos));
    pos = e + 1;
  }
  if (keys.size() != count || fds.size() != count) {
    for (int f : fds) ::close(f);
    return fail(fmt::format("_getsocks on {}: expected {} sockets, got {} keys and {} fds", path, count,
                            keys.size(), fds.size()));
  }
  std::map<std::string, int> out;
  for (size_t i = 0; i < count; ++i) {
    if (!out.emplace(keys[i], fds[i]).second) ::close(fds[i]);   // duplicate key: keep the first
  }
  return out;
}

Result<std::string> cli_query(const std::string& path, const std::string& command) {
  auto c = connect_unix(path);
  if (!c) return unexpected(c.error());
  int fd = *c;
  uint64_t deadline = core::monotonic_ms() + kRecvTimeoutMs;
  if (auto r = write_all(fd, command + "\n", deadline); !r) {
    ::close(fd);
    return unexpected(r.error());
  }
  std::string out;
  for (;;) {
    char buf[16384];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLIN, deadline)) continue;
    ::close(fd);
    return fail(fmt::format("{} on {}: {}", command, path, errno == EAGAIN ? "timeout" : std::strerror(errno)));
  }
  ::close(fd);
  return out;
}

}  // namespace sluice::app
