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

// ---- lifetime: watches, generations, deferred deletion ------------------------------------

// A socketpair; the destructor closes what is still open.
struct Pair {
  int fd[2] = {-1, -1};
  Pair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd), 0); }
  ~Pair() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void make_readable() const { ASSERT_EQ(::write(fd[1], "x", 1), 1); }
};

// A per-connection object as the proxy has them: watched, retired into defer_delete.
struct Conn : IoHandler, Deletable {
  EventLoop& loop;
  Watch watch;
  int calls = 0;
  bool retired = false;
  bool* destroyed;
  std::function<void(Conn&)> then;
  Conn(EventLoop& l, int fd, bool* gone) : loop(l), destroyed(gone) {
    EXPECT_TRUE(watch.start(loop, fd, EPOLLIN, this));
  }
  ~Conn() override { *destroyed = true; }
  void on_io(uint32_t) override {
    EXPECT_FALSE(retired) << "event delivered to a retired object";
    ++calls;
    if (then) then(*this);
  }
  void retire() {
    retired = true;
    watch.stop_before_close();
    loop.defer_delete(std::unique_ptr<Deletable>(this));
  }
};

TEST(EventLoopLifetimeTest, AHandlerRetiringAnotherInTheSameBatchMeansTheOtherIsNeverCalled) {
  EventLoop loop;
  Pair p1, p2;
  bool gone1 = false, gone2 = false;
  auto* c1 = new Conn(loop, p1.fd[0], &gone1);
  auto* c2 = new Conn(loop, p2.fd[0], &gone2);
  // Whichever epoll reports first retires the other (and itself): both are in one batch.
  Timer stop([&] { loop.stop(); });
  c1->then = [&](Conn& me) {
    c2->retire();
    me.retire();
    stop.arm_soon(loop);   // stops after this iteration's events
  };
  c2->then = [&](Conn& me) {
    c1->retire();
    me.retire();
    stop.arm_soon(loop);   // stops after this iteration's events
  };
  p1.make_readable();
  p2.make_readable();
  loop.run();
  EXPECT_TRUE(gone1);
  EXPECT_TRUE(gone2);
  // c1 and c2 are freed: only the counts recorded through `then` remain meaningful, and
  // the retired one was never called (the EXPECT in on_io would have failed).
}

TEST(EventLoopLifetimeTest, RetiredObjectsLiveUntilTheIterationsEventsAreDone) {
  EventLoop loop;
  Pair p1, p2;
  bool gone1 = false, gone2 = false;
  auto* c1 = new Conn(loop, p1.fd[0], &gone1);
  auto* c2 = new Conn(loop, p2.fd[0], &gone2);
  std::vector<bool> alive_seen;
  Timer after([&] {
    alive_seen.push_back(!gone1 || !gone2);   // run_soon: the events' deferred are freed
    loop.stop();
  });
  auto first = [&](Conn& me) {
    // Retire both; the other one must not be called, and neither freed yet.
    (&me == c1 ? c2 : c1)->retire();
    me.retire();
    alive_seen.push_back(!gone1 && !gone2);
    after.arm_soon(loop);
  };
  c1->then = first;
  c2->then = first;
  p1.make_readable();
  p2.make_readable();
  loop.run();
  EXPECT_EQ(alive_seen, (std::vector<bool>{true, false}));
  EXPECT_TRUE(gone1 && gone2);
}

TEST(EventLoopLifetimeTest, AReusedFdNumberNeverGetsTheOldRegistrationsEvent) {
  EventLoop loop;
  Pair p1, p2, fresh;
  bool gone1 = false, gone2 = false, gone3 = false;
  auto* c1 = new Conn(loop, p1.fd[0], &gone1);
  auto* c2 = new Conn(loop, p2.fd[0], &gone2);
  Conn* c3 = nullptr;
  int c3_calls_in_first_batch = -1;
  // After the first batch: note what c3 got, then give it real data of its own.
  Timer after([&] {
    c3_calls_in_first_batch = c3->calls;
    c3->then = [&](Conn&) { loop.stop(); };
    ASSERT_EQ(::write(fresh.fd[1], "y", 1), 1);
  });
  // The first handler closes the other's fd and puts a new, idle socket on that very fd
  // number (what accept() does a moment later), watched by a new handler. The old event
  // still in the batch names that fd number: it must not reach the new handler.
  auto first = [&](Conn& me) {
    Conn* other = &me == c1 ? c2 : c1;
    int num = &me == c1 ? p2.fd[0] : p1.fd[0];
    other->retire();
    ASSERT_EQ(::dup2(fresh.fd[0], num), num);   // closes the old socket, same number
    c3 = new Conn(loop, num, &gone3);
    after.arm_soon(loop);
  };
  c1->then = first;
  c2->then = first;
  p1.make_readable();
  p2.make_readable();
  loop.run();
  ASSERT_NE(c3, nullptr);
  EXPECT_EQ(c3_calls_in_first_batch, 0) << "the closed socket's event reached the fd's new owner";
  EXPECT_EQ(c3->calls, 1);   // and the new registration does receive its own events
  c3->retire();
  (gone1 ? c2 : c1)->retire();
  loop.free_deferred();
  EXPECT_TRUE(gone1 && gone2 && gone3);
}

TEST(EventLoopLifetimeTest, AWatchNeverEndsSomeoneElsesRegistrationOfItsFdNumber) {
  EventLoop loop;
  Pair a, b;
  Recorder old_owner, new_owner;
  Watch w1;
  ASSERT_TRUE(w1.start(loop, a.fd[0], EPOLLIN, &old_owner));
  // A bug elsewhere closes the fd behind w1's back; the number is reused and watched anew.
  int num = a.fd[0];
  ASSERT_EQ(::dup2(b.fd[0], num), num);
  Watch w2;
  ASSERT_TRUE(w2.start(loop, num, EPOLLIN, &new_owner));
  w1.stop();   // must leave w2's registration alone
  new_owner.then = [&] { loop.stop(); };
  ASSERT_EQ(::write(b.fd[1], "z", 1), 1);
  loop.run();
  EXPECT_EQ(new_owner.events.size(), 1u);
  EXPECT_TRUE(old_owner.events.empty());
}

TEST(EventLoopLifetimeTest, ADueTimerDisarmedOrDestroyedByAnotherDueTimerNeverRuns) {
  EventLoop loop;
  int runs = 0;
  auto victim = std::make_unique<Timer>([&] { ++runs; });
  Timer other([&] { ++runs; });
  Timer killer([&] {
    other.disarm();
    victim.reset();
  });
  uint64_t at = loop.now() + 1;
  killer.arm(loop, at);
  other.arm(loop, at);
  victim->arm(loop, at);
  Timer stop([&] { loop.stop(); });
  stop.arm(loop, at + 5);
  loop.run();
  EXPECT_EQ(runs, 0);
}

TEST(EventLoopLifetimeTest, FreeDeferredAlsoFreesWhatDestructorsRetire) {
  EventLoop loop;
  bool inner_gone = false;
  struct Inner : Deletable {
    bool* gone;
    explicit Inner(bool* g) : gone(g) {}
    ~Inner() override { *gone = true; }
  };
  struct Outer : Deletable {
    EventLoop& loop;
    bool* inner_gone;
    Outer(EventLoop& l, bool* g) : loop(l), inner_gone(g) {}
    ~Outer() override { loop.defer_delete(std::make_unique<Inner>(inner_gone)); }
  };
  loop.defer_delete(std::make_unique<Outer>(loop, &inner_gone));
  loop.free_deferred();
  EXPECT_TRUE(inner_gone);
  EXPECT_EQ(loop.deferred_count(), 0u);
}

}  // namespace
}  // namespace sluice::core
