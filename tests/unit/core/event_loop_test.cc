#include "core/event_loop.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace sluice::core {
namespace {

// A handler that records its events; `then` runs inside on_io.
struct Recorder : IoHandler {
  std::vector<uint32_t> events;
  std::function<void()> then;
  void on_io(uint32_t ev) override {
    events.push_back(ev);
    if (then) then();
  }
};

TEST(EventLoopTest, ArmSoonRunsAfterThisIterationsEventsWithoutWaiting) {
  EventLoop loop;
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  std::vector<std::string> order;
  Timer soon([&] {
    order.push_back("soon");
    loop.stop();
  });
  Recorder r;
  r.then = [&] {
    order.push_back("io");
    soon.arm_soon(loop);
  };
  ASSERT_TRUE(loop.add(sv[0], EPOLLIN, &r));
  ASSERT_EQ(::write(sv[1], "x", 1), 1);
  // A far timer keeps the loop from returning by itself: only `soon` stops it.
  Timer far([&] { order.push_back("far"); loop.stop(); });
  far.arm(loop, loop.now() + 60'000);
  loop.run();
  EXPECT_EQ(order, (std::vector<std::string>{"io", "soon"}));
  EXPECT_TRUE(far.armed());
  loop.remove(sv[0]);
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST(EventLoopTest, ArmSoonThenDisarmOrDestroyNeverRuns) {
  EventLoop loop;
  int runs = 0;
  {
    Timer a([&] { ++runs; });
    a.arm_soon(loop);
    Timer b([&] { ++runs; });
    b.arm_soon(loop);
    b.disarm();
    EXPECT_EQ(loop.timer_count(), 1u);
  }   // a destroyed while armed
  EXPECT_EQ(loop.timer_count(), 0u);
  Timer stop([&] { loop.stop(); });
  stop.arm_soon(loop);
  loop.run();
  EXPECT_EQ(runs, 0);
}

TEST(EventLoopTest, ArmSoonMovesATimerOffTheWheel) {
  EventLoop loop;
  int runs = 0;
  Timer t([&] {
    ++runs;
    loop.stop();
  });
  t.arm(loop, loop.now() + 60'000);
  t.arm_soon(loop);   // rescheduled, not added twice
  EXPECT_EQ(loop.timer_count(), 1u);
  loop.run();
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(t.armed());
  EXPECT_EQ(loop.timer_count(), 0u);
}

}  // namespace
}  // namespace sluice::core
