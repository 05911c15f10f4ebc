// signal_pending / wait_signal_taken (app/signals.h): what a -sf process reads to know that an
// old process has taken its SIGTTOU before it sends SIGTTIN. A forked child holds the
// signal blocked, so no thread of the test binary can take it instead.
#include "app/signals.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace sluice::app {
namespace {

using namespace std::chrono_literals;

TEST(SignalPending, SeenUntilTheReceiverTakesIt) {
  int ready[2], go[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(go), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTTOU);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    char c = 'r';
    (void)!write(ready[1], &c, 1);
    (void)!read(go[0], &c, 1);   // the parent has looked at it pending
    int sig = 0;
    sigwait(&set, &sig);
    (void)!read(go[0], &c, 1);   // stay alive until the parent has seen it taken
    _exit(sig == SIGTTOU ? 0 : 1);
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_FALSE(signal_pending(child, SIGTTOU));
  ASSERT_EQ(kill(child, SIGTTOU), 0);
  EXPECT_TRUE(signal_pending(child, SIGTTOU));
  EXPECT_FALSE(signal_pending(child, SIGTTIN));
  EXPECT_FALSE(wait_signal_taken(child, SIGTTOU, 20ms));
  ASSERT_EQ(write(go[1], "g", 1), 1);
  EXPECT_TRUE(wait_signal_taken(child, SIGTTOU, 10s));
  ASSERT_EQ(write(go[1], "g", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(signal_pending(child, SIGTTOU));   // gone: nothing pending to wait for
  for (int fd : {ready[0], ready[1], go[0], go[1]}) close(fd);
}

}  // namespace
}  // namespace sluice::app
