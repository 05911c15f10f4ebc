// LineConn's limits on a socketpair: bounded buffers against a client that does not read,
// every answer in order once it does, and bounded work per wakeup.
#include "admin/line_conn.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace sluice::admin {
namespace {

// One command per line; the answer is `answer_size` bytes naming the command, then an
// empty line. `answer_size` 0: the command's name alone.
class TestConn final : public LineConn {
 public:
  TestConn(core::EventLoop& loop, int fd, bool prompt, size_t answer_size)
      : LineConn(loop, fd, "> ", prompt), answer_size_(answer_size) {}
  using LineConn::buffered_input;
  using LineConn::pending_output;
  size_t runs = 0;
  std::chrono::microseconds cost{0};   // each command keeps the loop this long

 private:
  Result<std::vector<Words>> split(std::string_view line) override {
    if (line.empty()) return std::vector<Words>{};
    return std::vector<Words>{{std::string(line)}};
  }
  void run(const Words& cmd) override {
    ++runs;
    for (auto until = std::chrono::steady_clock::now() + cost; std::chrono::steady_clock::now() < until;) {
    }
    std::string text = cmd[0];
    if (text.size() < answer_size_) text.resize(answer_size_, '.');
    write(text + "\n\n");
  }
  size_t answer_size_;
};

// The client's end: sends `payload` as the socket takes it, collects what comes back.
struct Client : core::IoHandler {
  core::EventLoop& loop;
  int fd;
  std::string payload, got;
  size_t sent = 0;
  bool reading = true;
  std::function<bool()> done;
  Client(core::EventLoop& l, int f, std::string p) : loop(l), fd(f), payload(std::move(p)) {
    loop.add(fd, EPOLLIN | EPOLLOUT, this, true);
  }
  ~Client() override { loop.remove(fd); }
  void push() {
    while (sent < payload.size()) {
      ssize_t n = ::send(fd, payload.data() + sent, payload.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
  }
  void on_io(uint32_t ev) override {
    if (ev & EPOLLOUT) push();
    if (sent == payload.size()) loop.modify(fd, reading ? uint32_t{EPOLLIN} : 0u, this, true);
    if (reading && (ev & (EPOLLIN | EPOLLHUP))) {
      char buf[65536];
      for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
    }
    if (done && done()) loop.stop();
  }
  void stop_reading() {
    reading = false;
    loop.modify(fd, sent == payload.size() ? 0u : uint32_t{EPOLLOUT}, this, true);
  }
};

// Runs the loop until `cond` holds (checked every millisecond); false after 10 s.
bool run_until(core::EventLoop& loop, std::function<bool()> cond) {
  bool ok = false;
  uint64_t give_up = loop.now() + 10'000;
  std::function<void()> tick;
  core::Timer poll([&] { tick(); });
  tick = [&] {
    if (cond()) ok = true;
    if (ok || loop.now() > give_up) return loop.stop();
    poll.arm(loop, loop.now() + 1);
  };
  poll.arm(loop, loop.now() + 1);
  loop.run();
  return ok || cond();
}

std::string numbered(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += fmt::format("c{}\n", i);
  return s;
}

struct Pair {
  int sv[2];
  Pair() {
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    int small = 16 * 1024;   // keeps the kernel's share of the answers small and known
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  }
  ~Pair() { ::close(sv[1]); }   // sv[0] belongs to the connection
};

TEST(LineConnTest, ClientThatDoesNotReadIsHeldBackThenGetsEveryAnswerInOrder) {
  core::EventLoop loop;
  Pair p;
  constexpr size_t kCmds = 20000, kAnswer = 250;
  auto* conn = new TestConn(loop, p.sv[0], true, kAnswer);   // owns itself
  Client client(loop, p.sv[1], numbered(kCmds));
  client.stop_reading();
  std::string want;
  for (size_t i = 0; i < kCmds; ++i) {
    std::string a = fmt::format("c{}", i);
    a.resize(kAnswer, '.');
    want += a + "\n\n> ";
  }
  // An EventLoop runs once: the phases are steps of one run.
  enum { Filling, Held, Reading } phase = Filling;
  size_t runs = 0, turns = 0;
  ASSERT_TRUE(run_until(loop, [&] {
    switch (phase) {
      case Filling:   // it runs commands until its unsent output reaches the limit, then stops
        if (conn->pending_output() < LineConn::kMaxPendingOutput) return false;
        runs = conn->runs;
        EXPECT_LT(conn->pending_output(), LineConn::kMaxPendingOutput + kAnswer + 2);
        EXPECT_LE(conn->buffered_input(), kMaxLine + 4096);
        EXPECT_LT(client.sent, client.payload.size());   // the client's sends are held back
        phase = Held;
        return false;
      case Held:   // nothing more runs while the client reads nothing (a few loop turns)
        if (++turns < 20) return false;
        EXPECT_EQ(conn->runs, runs);
        EXPECT_LT(runs, kCmds);
        client.reading = true;
        loop.modify(client.fd, EPOLLIN | EPOLLOUT, &client, true);
        phase = Reading;
        return false;
      case Reading:
        return client.got.size() >= want.size();
    }
    return false;
  })) << client.got.size() << " of " << want.size() << ", sent " << client.sent << ", runs "
      << conn->runs << ", out " << conn->pending_output() << ", in " << conn->buffered_input();
  EXPECT_EQ(client.got, want);
  EXPECT_EQ(conn->runs, kCmds);
  conn->close();
}

// Readable all the time: notes how many commands ran before each of its wakeups.
struct Other : core::IoHandler {
  TestConn* conn = nullptr;
  std::vector<size_t> seen;
  void on_io(uint32_t) override { seen.push_back(conn->runs); }
};

// Pipelined commands, each costing `cost`: the gaps Other saw, in commands.
std::vector<size_t> gaps_seen_by_other_events(size_t n, std::chrono::microseconds cost) {
  core::EventLoop loop;
  Pair p;
  auto* conn = new TestConn(loop, p.sv[0], true, 0);
  conn->cost = cost;
  Other other;
  other.conn = conn;
  int ov[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, ov), 0);
  EXPECT_EQ(::write(ov[1], "x", 1), 1);
  loop.add(ov[0], EPOLLIN, &other, true);
  std::string cmds = numbered(n);
  EXPECT_EQ(::write(p.sv[1], cmds.data(), cmds.size()), static_cast<ssize_t>(cmds.size()));
  Client client(loop, p.sv[1], "");
  EXPECT_TRUE(run_until(loop, [&] { return conn->runs == n; }));
  std::vector<size_t> gaps;
  for (size_t i = 1; i < other.seen.size(); ++i) gaps.push_back(other.seen[i] - other.seen[i - 1]);
  loop.remove(ov[0]);
  ::close(ov[0]);
  ::close(ov[1]);
  conn->close();
  return gaps;
}

TEST(LineConnTest, ManyPipelinedCommandsLetOtherEventsRunBetweenBatches) {
  constexpr size_t kCmds = 1000;
  auto gaps = gaps_seen_by_other_events(kCmds, std::chrono::microseconds(0));
  ASSERT_GT(gaps.size(), kCmds / (2 * LineConn::kWorkPerWakeup));
  for (size_t g : gaps) EXPECT_LE(g, 2 * LineConn::kWorkPerWakeup);
}

TEST(LineConnTest, SlowCommandsYieldAfterTheTimeBudget) {
  // 1 ms each: the 2 ms budget lets at most 3 run in one go (2 when not cut short).
  auto gaps = gaps_seen_by_other_events(30, std::chrono::microseconds(1000));
  ASSERT_GE(gaps.size(), 5u);
  for (size_t g : gaps) EXPECT_LE(g, 6u);
}

TEST(LineConnTest, OneShotAnswerLargerThanTheLimitIsSentWholeThenCloses) {
  core::EventLoop loop;
  Pair p;
  constexpr size_t kAnswer = 1 << 20;
  new TestConn(loop, p.sv[0], false, kAnswer);   // closes itself after the answer
  Client client(loop, p.sv[1], "big\nnot run\n");
  std::string want = "big";
  want.resize(kAnswer, '.');
  want += "\n\n";
  bool eof = false;
  ASSERT_TRUE(run_until(loop, [&] {
    char c;
    eof = client.got.size() >= want.size() && ::read(p.sv[1], &c, 1) == 0;
    return eof;
  }));
  EXPECT_EQ(client.got, want);
}

}  // namespace
}  // namespace sluice::admin
