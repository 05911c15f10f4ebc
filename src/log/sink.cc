#include "log/sink.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <mutex>
#include <thread>

#include "log/ring.h"

namespace sluice::log {

namespace {

constexpr size_t kRingLines = 8192;

constexpr std::array<std::string_view, 24> kFacilityNames = {
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
    "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7"};
constexpr std::array<std::string_view, 8> kLevelNames = {"emerg", "alert", "crit", "err",
                                                         "warning", "notice", "info", "debug"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct Entry {
  std::shared_ptr<const TargetSet> targets;
  uint8_t level = 6;
  uint64_t wall_us = 0;
  std::string msg;
};

// One writer thread per process; lines in, syscalls out.
class Writer {
 public:
  Writer() : ring_(kRingLines) {}
  ~Writer() { stop(); }

  bool submit(Entry& e) {
    ensure_started();
    if (!ring_.push(e)) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    pushed_.fetch_add(1, std::memory_order_release);
    pushed_.notify_one();
    return true;
  }
  void flush() {
    if (!started_.load(std::memory_order_acquire)) return;
    uint64_t target = pushed_.load(std::memory_order_acquire);
    for (uint64_t done = written_.load(std::memory_order_acquire); done < target;
         done = written_.load(std::memory_order_acquire))
      written_.wait(done, std::memory_order_acquire);
  }
  void stop() {
    std::lock_guard lk(start_mu_);
    if (!thread_.joinable()) return;
    stopping_.store(true, std::memory_order_release);
    pushed_.fetch_add(1, std::memory_order_release);   // wakes the writer
    pushed_.notify_one();
    thread_.join();
  }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }

  std::mutex env_mu;
  std::string tag = "sluice", hostname;
  bool send_hostname = false;

 private:
  void ensure_started() {
    if (started_.load(std::memory_order_acquire)) return;
    std::lock_guard lk(start_mu_);
    if (started_.load(std::memory_order_relaxed)) return;
    thread_ = std::thread([this] { run(); });
    started_.store(true, std::memory_order_release);
  }
  void run() {
    Entry e;
    for (;;) {
      uint64_t seen = pushed_.load(std::memory_order_acquire);
      while (ring_.pop(e)) {
        write(e);
        e = Entry{};
        written_.fetch_add(1, std::memory_order_release);
        written_.notify_all();
      }
      if (stopping_.load(std::memory_order_acquire)) {
        // Account for the stop wake-up so that flush() from a destructor cannot hang.
        written_.store(pushed_.load(), std::memory_order_release);
        written_.notify_all();
        return;
      }
      pushed_.wait(seen, std::memory_order_acquire);
    }
  }
  void write(const Entry& e) {
    HeaderEnv env;
    std::string tag_copy, host;
    {
      std::lock_guard lk(env_mu);
      tag_copy = tag;
      host = hostname;
      env.send_hostname = send_hostname;
    }
    env.tag = tag_copy;
    env.hostname = host;
    env.pid = static_cast<int>(::getpid());
    for (const Target& t : e.targets->targets) {
      int level = e.level;
      if (level > t.max_level) continue;
      if (t.min_level >= 0 && level < t.min_level) level = t.min_level;
      std::string line = header(t.format, t.facility, level, e.wall_us, env);
      line += e.msg;
      if (line.size() > t.cfg.max_len) line.resize(t.cfg.max_len);
      send(t, line);
    }
  }
  void send(const Target& t, std::string& line) {
    using Kind = config::Address::Kind;
    ssize_t n;
    if (t.cfg.addr.kind == Kind::Fd) {
      line += '\n';
      n = ::write(t.fd, line.data(), line.size());
    } else if (t.cfg.addr.kind == Kind::Unix) {
      n = t.connected ? ::send(t.fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL) : -1;
      if (n < 0) {
        // Not connected, or the listener restarted: by path (inside the chroot, if any,
        // as haproxy does).
        sockaddr_un un{};
        un.sun_family = AF_UNIX;
        std::snprintf(un.sun_path, sizeof un.sun_path, "%s", t.cfg.addr.path.c_str());
        n = ::sendto(t.fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                     reinterpret_cast<sockaddr*>(&un), sizeof un);
      }
    } else {
      n = ::sendto(t.fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                   reinterpret_cast<const sockaddr*>(&t.cfg.addr.sa), t.cfg.addr.sa_len);
    }
    // EAGAIN (socket buffer full), ECONNREFUSED (nobody listening on a unix socket):
    // the line is lost, like any datagram; count it.
    if (n < 0) dropped_.fetch_add(1, std::memory_order_relaxed);
    else sent_.fetch_add(1, std::memory_order_relaxed);
  }

  Ring<Entry> ring_;
  std::mutex start_mu_;
  std::thread thread_;
  std::atomic<bool> started_{false}, stopping_{false};
  std::atomic<uint64_t> pushed_{0}, written_{0};
  std::atomic<uint64_t> dropped_{0}, sent_{0};
};

Writer& writer() {
  static Writer w;
  return w;
}

int open_socket(const config::LogTarget& t, std::string& err) {
  using Kind = config::Address::Kind;
  if (t.addr.kind == Kind::Fd) return t.addr.fd;
  int family = t.addr.kind == Kind::Unix ? AF_UNIX : t.addr.sa.ss_family;
  if (t.addr.kind == Kind::Inet && family == AF_UNSPEC) {
    err = fmt::format("log {}: address not resolved", t.addr.text);
    return -1;
  }
  int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) err = fmt::format("log {}: socket: {}", t.addr.text, std::strerror(errno));
  return fd;
}

}  // namespace

TargetSet::~TargetSet() {
  for (auto& t : targets)
    if (t.fd > 2) ::close(t.fd);
}

Format parse_format(std::string_view n) {
  if (n == "rfc3164") return Format::Rfc3164;
  if (n == "rfc5424") return Format::Rfc5424;
  if (n == "short") return Format::Short;
  if (n == "raw") return Format::Raw;
  if (n == "local") return Format::Local;
  if (n == "priority") return Format::Priority;
  if (n == "timed") return Format::Timed;
  if (n == "iso") return Format::Iso;
  return Format::Local;
}

int parse_facility(std::string_view n) {
  for (size_t i = 0; i < kFacilityNames.size(); ++i)
    if (kFacilityNames[i] == n) return static_cast<int>(i);
  return 16;
}

int parse_level(std::string_view n) {
  for (size_t i = 0; i < kLevelNames.size(); ++i)
    if (kLevelNames[i] == n) return static_cast<int>(i);
  return -1;
}

std::shared_ptr<const TargetSet> open_targets(const std::vector<config::LogTarget>& own,
                                              const std::vector<config::LogTarget>& global,
                                              std::vector<std::string>& errors) {
  auto set = std::make_shared<TargetSet>();
  auto add = [&](const config::LogTarget& c) {
    Target t;
    t.cfg = c;
    t.format = parse_format(c.format);
    t.facility = parse_facility(c.facility);
    int lv = parse_level(c.level);
    t.max_level = lv < 0 ? 7 : lv;
    t.min_level = parse_level(c.min_level);
    std::string err;
    t.fd = open_socket(c, err);
    if (t.fd < 0) {
      errors.push_back(std::move(err));
      return;
    }
    // A unix target is connected now, while its path is reachable: the serving process may
    // chroot later (haproxy users bind /dev/log into the jail instead). No listener yet is
    // fine: lines then go by path.
    if (c.addr.kind == config::Address::Kind::Unix) {
      sockaddr_un un{};
      un.sun_family = AF_UNIX;
      std::snprintf(un.sun_path, sizeof un.sun_path, "%s", c.addr.path.c_str());
      t.connected = ::connect(t.fd, reinterpret_cast<sockaddr*>(&un), sizeof un) == 0;
    }
    set->targets.push_back(std::move(t));
  };
  for (const auto& c : own) {
    if (c.global) {
      for (const auto& g : global)
        if (!g.global) add(g);
    } else {
      add(c);
    }
  }
  return set;
}

std::string header(Format f, int facility, int level, uint64_t wall_us, const HeaderEnv& env) {
  int pri = facility * 8 + level;
  time_t secs = static_cast<time_t>(wall_us / 1000000);
  struct tm tm{};
  auto bsd_date = [&] {
    localtime_r(&secs, &tm);
    return fmt::format("{} {:>2} {:02}:{:02}:{:02}", kMonths[tm.tm_mon], tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
  };
  auto iso_date = [&] {
    localtime_r(&secs, &tm);
    long off = tm.tm_gmtoff;
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}{}{:02}:{:02}", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       wall_us % 1000000, off < 0 ? '-' : '+', std::abs(off) / 3600,
                       std::abs(off) / 60 % 60);
  };
  switch (f) {
    case Format::Raw: return {};
    case Format::Short: return fmt::format("<{}>", level);
    case Format::Priority: return fmt::format("<{}>", pri);
    case Format::Timed: return fmt::format("<{}>{} ", level, iso_date());
    case Format::Iso: return iso_date() + " ";
    // haproxy 2.6: "local" (the default) names the host only with log-send-hostname;
    // an explicit rfc3164 always does ("localhost" without it); rfc5424 says "-".
    case Format::Local:
      if (env.send_hostname && !env.hostname.empty())
        return fmt::format("<{}>{} {} {}[{}]: ", pri, bsd_date(), env.hostname, env.tag, env.pid);
      return fmt::format("<{}>{} {}[{}]: ", pri, bsd_date(), env.tag, env.pid);
    case Format::Rfc3164:
      return fmt::format("<{}>{} {} {}[{}]: ", pri, bsd_date(),
                         env.send_hostname && !env.hostname.empty() ? env.hostname : "localhost",
                         env.tag, env.pid);
    case Format::Rfc5424:
      return fmt::format("<{}>1 {} {} {} {} - - ", pri, iso_date(),
                         env.send_hostname && !env.hostname.empty() ? env.hostname : "-", env.tag,
                         env.pid);
  }
  return {};
}

bool submit(std::shared_ptr<const TargetSet> targets, Severity level, std::string msg,
            uint64_t wall_us) {
  if (!targets || targets->targets.empty()) return true;
  Entry e{std::move(targets), static_cast<uint8_t>(level), wall_us, std::move(msg)};
  return writer().submit(e);
}

uint64_t dropped_lines() { return writer().dropped(); }
uint64_t sent_lines() { return writer().sent(); }
void flush() { writer().flush(); }

void set_header_env(std::string tag, std::string hostname, bool send_hostname) {
  Writer& w = writer();
  std::lock_guard lk(w.env_mu);
  if (!tag.empty()) w.tag = std::move(tag);
  w.hostname = std::move(hostname);
  w.send_hostname = send_hostname;
}

}  // namespace sluice::log
