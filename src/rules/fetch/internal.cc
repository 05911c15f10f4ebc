// Internal state fetches (HAProxy 2.6 manual 7.3.2): servers and queues of a backend,
// frontend counters, environment, time, randomness, variables.
#include <sys/random.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <mutex>

#include "backend/backend.h"
#include "core/clock.h"
#include <fmt/format.h>

#include "rules/domains.h"

namespace sluice::rules {

namespace {

// The backend named by argument `i`, or the current one.
const backend::Backend* be_arg(const Args& a, size_t i, const Ctx& c) {
  return a.has(i) ? a[i].be : c.be;
}
backend::Backend& mut(const backend::Backend& b) {
  // Reading the server list needs the backend's lock, which is not part of its const face.
  return const_cast<backend::Backend&>(b);
}

bool f_nbsrv(const Args& a, Ctx& c, Sample& s) {
  const auto* b = be_arg(a, 0, c);
  if (b == nullptr) return false;
  std::lock_guard lk(mut(*b).mutex());
  uint32_t act = b->usable_active();
  s = Sample::of_int(act != 0 ? act : b->usable_backup());
  return true;
}
bool f_be_conn(const Args& a, Ctx& c, Sample& s) {
  const auto* b = be_arg(a, 0, c);
  if (b == nullptr) return false;
  s = Sample::of_int(b->counters.cur_sess.load(std::memory_order_relaxed));
  return true;
}
bool f_be_sess_rate(const Args& a, Ctx& c, Sample& s) {
  const auto* b = be_arg(a, 0, c);
  if (b == nullptr) return false;
  s = Sample::of_int(b->counters.sess_rate.rate(core::monotonic_ms()));
  return true;
}
bool f_queue(const Args& a, Ctx& c, Sample& s) {
  const auto* b = be_arg(a, 0, c);
  if (b == nullptr) return false;
  s = Sample::of_int(b->queue_len());
  return true;
}
// avg_queue: queued requests divided by the usable servers (all of them when none is usable).
bool f_avg_queue(const Args& a, Ctx& c, Sample& s) {
  const auto* b = be_arg(a, 0, c);
  if (b == nullptr) return false;
  std::lock_guard lk(mut(*b).mutex());
  uint32_t n = b->usable_active() + b->usable_backup();
  uint64_t q = b->queue_len();
  for (const auto& sv : mut(*b).servers()) q += sv->queue_len.load(std::memory_order_relaxed);
  s = Sample::of_int(static_cast<int64_t>(n != 0 ? q / n : q));
  return true;
}
// connslots: free connection slots plus free queue places of the usable servers; -1 when a
// server has no limit (HAProxy returns -1 "unlimited" in that case too).
bool f_connslots(const Args& a, Ctx& c, Sample& s) {
  const auto* b = be_arg(a, 0, c);
  if (b == nullptr) return false;
  std::lock_guard lk(mut(*b).mutex());
  int64_t total = 0;
  for (const auto& sv : mut(*b).servers()) {
    if (!sv->usable()) continue;
    uint32_t max = sv->max_conns();
    if (max == 0) {
      s = Sample::of_int(-1);
      return true;
    }
    uint32_t cur = sv->counters.cur_sess.load(std::memory_order_relaxed);
    if (max > cur) total += max - cur;
  }
  s = Sample::of_int(total);
  return true;
}
bool f_srv_is_up(const Args& a, Ctx&, Sample& s) {
  const auto* sv = a[0].srv;
  std::lock_guard lk(mut(*a[0].be).mutex());
  s = Sample::of_bool(sv->usable());
  return true;
}
bool f_srv_conn(const Args& a, Ctx&, Sample& s) {
  s = Sample::of_int(a[0].srv->counters.cur_sess.load(std::memory_order_relaxed));
  return true;
}
bool f_srv_queue(const Args& a, Ctx&, Sample& s) {
  s = Sample::of_int(a[0].srv->queue_len.load(std::memory_order_relaxed));
  return true;
}
const backend::FrontendCounters* fe_arg(const Args& a, const Ctx& c) { return a.has(0) ? a[0].fe : c.fe_counters; }
bool f_fe_conn(const Args& a, Ctx& c, Sample& s) {
  const auto* f = fe_arg(a, c);
  if (f == nullptr) return false;
  s = Sample::of_int(f->cur_conns.load(std::memory_order_relaxed));
  return true;
}
bool f_fe_req_rate(const Args& a, Ctx& c, Sample& s) {
  const auto* f = fe_arg(a, c);
  if (f == nullptr) return false;
  s = Sample::of_int(f->req_rate.rate(core::monotonic_ms()));
  return true;
}
bool f_fe_sess_rate(const Args& a, Ctx& c, Sample& s) {
  const auto* f = fe_arg(a, c);
  if (f == nullptr) return false;
  s = Sample::of_int(f->sess_rate.rate(core::monotonic_ms()));
  return true;
}

bool f_env(const Args& a, Ctx& c, Sample& s) {
  const char* v = std::getenv(a[0].str.c_str());
  if (v == nullptr) return false;
  s = Sample::of_str(c.mem().copy(v));
  return true;
}
// date([offset[,unit]]): seconds since the epoch (unit s, ms or us), plus the offset.
bool f_date(const Args& a, Ctx&, Sample& s) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::string_view unit = a.has(1) ? std::string_view(a[1].str) : "s";
  int64_t off = a.has(0) ? a[0].sint : 0;
  int64_t v = 0;
  if (unit == "ms") v = ts.tv_sec * 1000 + ts.tv_nsec / 1'000'000 + off;
  else if (unit == "us") v = ts.tv_sec * 1'000'000 + ts.tv_nsec / 1000 + off;
  else v = ts.tv_sec + off;
  s = Sample::of_int(v);
  return true;
}
Result<void> check_date(Args& a, CompileCtx&) {
  if (a.has(1) && a[1].str != "s" && a[1].str != "ms" && a[1].str != "us")
    return fail(fmt::format("unit '{}': expects s, ms or us", a[1].str));
  return {};
}
bool f_hostname(const Args&, Ctx& c, Sample& s) {
  char buf[256];
  if (::gethostname(buf, sizeof buf) != 0) return false;
  buf[sizeof buf - 1] = 0;
  s = Sample::of_str(c.mem().copy(buf));
  return true;
}
uint64_t random64() {
  static thread_local uint64_t state = [] {
    uint64_t seed = 0;
    if (::getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = static_cast<uint64_t>(::time(nullptr)) ^ 0x9e3779b97f4a7c15ULL;
    return seed | 1;
  }();
  // xorshift64*: enough for load spreading and ids; never used for secrets.
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1DULL;
}
// rand([range]): a uniform integer in [0, range) (range defaults to 2^32).
bool f_rand(const Args& a, Ctx&, Sample& s) {
  uint64_t range = a.has(0) && a[0].sint > 0 ? static_cast<uint64_t>(a[0].sint) : (1ULL << 32);
  s = Sample::of_int(static_cast<int64_t>(((random64() >> 32) * range) >> 32));
  return true;
}
// uuid([4]): a random (version 4) UUID.
bool f_uuid(const Args&, Ctx& c, Sample& s) {
  uint64_t hi = random64(), lo = random64();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                  // version 4
  lo = (lo & ~(3ULL << 62)) | (2ULL << 62);           // variant 10
  std::string out = fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff,
                                lo >> 48, lo & 0xffffffffffffULL);
  s = Sample::of_str(c.mem().copy(out));
  return true;
}
Result<void> check_uuid(Args& a, CompileCtx&) {
  if (a.has(0) && a[0].sint != 4) return fail("only version 4 UUIDs exist (uuid or uuid(4))");
  return {};
}
// var(NAME[,default]): the variable's value; the default (a string) when it is not set.
bool f_var(const Args& a, Ctx& c, Sample& s) {
  if (get_var(c, a[0].var, s)) return true;
  if (!a.has(1)) return false;
  s = Sample::of_str(a[1].str);
  return true;
}

constexpr uint16_t kAll = kInternalPhases;

constexpr FetchDef kRows[] = {
    {"nbsrv", "b", Type::Sint, kAll, f_nbsrv, nullptr, "usable servers of the backend (backups when no active one)"},
    {"be_conn", "b", Type::Sint, kAll, f_be_conn, nullptr, "current connections of the backend"},
    {"be_sess_rate", "b", Type::Sint, kAll, f_be_sess_rate, nullptr, "sessions per second of the backend"},
    {"queue", "b", Type::Sint, kAll, f_queue, nullptr, "requests queued in the backend"},
    {"avg_queue", "b", Type::Sint, kAll, f_avg_queue, nullptr, "queued requests per usable server"},
    {"connslots", "b", Type::Sint, kAll, f_connslots, nullptr, "free connection slots of the usable servers (-1: unlimited)"},
    {"srv_is_up", "X", Type::Bool, kAll, f_srv_is_up, nullptr, "true when the server is usable"},
    {"srv_conn", "X", Type::Sint, kAll, f_srv_conn, nullptr, "current connections of the server"},
    {"srv_queue", "X", Type::Sint, kAll, f_srv_queue, nullptr, "requests queued for the server"},
    {"fe_conn", "f", Type::Sint, kAll, f_fe_conn, nullptr, "current connections of the frontend"},
    {"fe_req_rate", "f", Type::Sint, kAll, f_fe_req_rate, nullptr, "HTTP requests per second of the frontend"},
    {"fe_sess_rate", "f", Type::Sint, kAll, f_fe_sess_rate, nullptr, "sessions per second of the frontend"},
    {"env", "S", Type::Str, kAll, f_env, nullptr, "the environment variable NAME"},
    {"date", "is", Type::Sint, kAll, f_date, nullptr, "the current time since the epoch ([offset[,s|ms|us]])", {}, check_date},
    {"hostname", "", Type::Str, kAll, f_hostname, nullptr, "the system's host name"},
    {"rand", "i", Type::Sint, kAll, f_rand, nullptr, "a random integer in [0, RANGE)"},
    {"uuid", "i", Type::Str, kAll, f_uuid, nullptr, "a random version 4 UUID", {}, check_uuid},
    {"var", "Vs", Type::Any, kAll, f_var, nullptr, "the value of variable NAME ([default] when unset)"},
};

}  // namespace

std::span<const FetchDef> fetch_internal() { return kRows; }

}  // namespace sluice::rules
