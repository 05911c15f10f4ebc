#include "net/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sluice::net {

Result<int> listen_on(const sockaddr* sa, socklen_t len, const ListenOptions& opt) {
  int fd = ::socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(fmt::format("socket: {}", std::strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (sa->sa_family == AF_INET6) {
    int v6 = opt.v6only ? 1 : 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof v6);
  }
  if (opt.transparent) {
    setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one);
  }
  if (!opt.interface.empty()) {
    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, opt.interface.c_str(),
               static_cast<socklen_t>(opt.interface.size()));
  }
  if (::bind(fd, sa, len) != 0) {
    int e = errno;
    ::close(fd);
    return fail(fmt::format("cannot bind socket ({}) [{}]", std::strerror(e), to_string(sa)));
  }
  if (opt.defer_accept) {
    int secs = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof secs);
  }
  if (::listen(fd, opt.backlog) != 0) {
    int e = errno;
    ::close(fd);
    return fail(fmt::format("cannot listen on [{}]: {}", to_string(sa), std::strerror(e)));
  }
  return fd;
}

Result<int> listen_unix(const std::string& path, int backlog, std::optional<uint32_t> mode) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof sun.sun_path) return fail("unix socket path too long: " + path);
  std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(fmt::format("socket: {}", std::strerror(errno)));
  // Bind to a temporary name then rename over the target, so that a socket another process
  // is serving is replaced atomically (as haproxy does on reload).
  std::string tmp = fmt::format("{}.{}.tmp", path, getpid());
  sockaddr_un tsun{};
  tsun.sun_family = AF_UNIX;
  if (tmp.size() >= sizeof tsun.sun_path) {
    ::close(fd);
    return fail("unix socket path too long: " + path);
  }
  std::memcpy(tsun.sun_path, tmp.c_str(), tmp.size() + 1);
  ::unlink(tmp.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&tsun), sizeof tsun) != 0) {
    int e = errno;
    ::close(fd);
    return fail(fmt::format("cannot bind unix socket [{}]: {}", path, std::strerror(e)));
  }
  if (mode) ::chmod(tmp.c_str(), *mode);
  if (::listen(fd, backlog) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(fmt::format("cannot listen on unix socket [{}]: {}", path, std::strerror(e)));
  }
  return fd;
}

int connect_start(const sockaddr* sa, socklen_t len, int& err) {
  err = 0;
  int fd = ::socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = errno;
    return -1;
  }
  if (sa->sa_family != AF_UNIX) set_nodelay(fd);
  if (::connect(fd, sa, len) != 0 && errno != EINPROGRESS) {
    err = errno;
    ::close(fd);
    return -1;
  }
  return fd;
}

int connect_result(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

Result<void> adopt_listener(int fd) {
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
    return fail(fmt::format("fd@{}: {}", fd, errno == ENOTSOCK ? "not a socket" : std::strerror(errno)));
  len = sizeof listening;
  if (type != SOCK_STREAM || ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
    return fail(fmt::format("fd@{}: not a listening stream socket", fd));
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
    return fail(fmt::format("fd@{}: cannot make it non-blocking: {}", fd, std::strerror(errno)));
  set_cloexec(fd, true);
  return {};
}

void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void set_cloexec(int fd, bool on) {
  int fl = fcntl(fd, F_GETFD);
  if (fl >= 0) fcntl(fd, F_SETFD, on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC));
}

void set_linger_reset(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

std::string to_string(const sockaddr* sa, bool with_port) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return with_port ? fmt::format("{}:{}", buf, ntohs(in->sin_port)) : std::string(buf);
  }
  if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return with_port ? fmt::format("[{}]:{}", buf, ntohs(in6->sin6_port)) : std::string(buf);
  }
  if (sa->sa_family == AF_UNIX) {
    return std::string("unix@") + reinterpret_cast<const sockaddr_un*>(sa)->sun_path;
  }
  return "unknown";
}

std::string to_string(const sockaddr_storage& ss, bool with_port) {
  return to_string(reinterpret_cast<const sockaddr*>(&ss), with_port);
}

uint16_t port_of(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
  if (sa->sa_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port);
  return 0;
}

void set_port(sockaddr_storage& ss, uint16_t port) {
  if (ss.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(port);
  else if (ss.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(port);
}

socklen_t sockaddr_len(const sockaddr_storage& ss) {
  switch (ss.ss_family) {
    case AF_INET: return sizeof(sockaddr_in);
    case AF_INET6: return sizeof(sockaddr_in6);
    case AF_UNIX: return sizeof(sockaddr_un);
    default: return 0;
  }
}

void silent_drop(int fd) {
  int one = 1;
  // Both may fail (a unix socket, the other family): the linger below still resets.
  (void)::setsockopt(fd, IPPROTO_IP, IP_TTL, &one, sizeof one);
  (void)::setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &one, sizeof one);
  linger l{1, 0};
  (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

}  // namespace sluice::net
