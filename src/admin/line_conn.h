// LineConn: the connection side shared by the stats sockets (admin.cc) and the master CLI
// (app/master.cc). It reads lines, has the subclass split each into commands, runs them one
// at a time and in order (a command may answer later: the next one waits for it), writes
// the answers, and handles the two session words every HAProxy CLI has: `prompt` toggles
// interactive mode (a prompt after each line's answers) and `quit` ends the session. In
// one-shot mode, the default, the connection closes once the first line is answered.
//
//   reading --(line)--> running --(every command answered)--> prompt? reading : closing
//                        ^   |
//                        +---+ a command answered later (pending)
//
// A client must never cost the loop's other work (traffic, when this is a worker's loop)
// more than a bounded amount of memory and time, whatever it sends and however slowly it
// reads:
//   - no command runs while more than kMaxPendingOutput bytes of answers are unsent; the
//     socket becomes writable again (EPOLLOUT) and running resumes;
//   - input is read only while less than one line's worth (kMaxLine) is buffered: a client
//     that sends without reading is held back by its own socket buffers;
//   - one wakeup runs at most kWorkPerWakeup lines and commands, and stops early after
//     kTimePerWakeup, then yields to the loop's other events (Timer::arm_soon) before going
//     on (a single command is not cut: its answer is built whole).
// So a session holds at most kMaxLine + 4 KiB of input and kMaxPendingOutput + one answer of
// output. The fd is edge-triggered: reads stop short of EAGAIN only when the input is full,
// and resume when a line has been taken from it.
//
// Runs on one event loop. Owns itself: close() frees it through the loop's deferred deletion.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "admin/parse.h"
#include "core/event_loop.h"

namespace sluice::admin {

class LineConn : public core::IoHandler, public core::Deletable {
 public:
  static constexpr size_t kMaxPendingOutput = 64 * 1024;
  static constexpr size_t kWorkPerWakeup = 64;
  static constexpr std::chrono::microseconds kTimePerWakeup{2000};

  void on_io(uint32_t events) final;
  void close();

 protected:
  LineConn(core::EventLoop& loop, int fd, std::string prompt, bool interactive);
  ~LineConn() override = default;

  // One input line (without its end of line) into commands; an error is written as the
  // line's answer.
  virtual Result<std::vector<Words>> split(std::string_view line) = 0;
  // Runs one command other than `prompt` / `quit`. Either it writes its answer with write()
  // before returning, or it calls later() and answers through the callback it got.
  virtual void run(const Words& cmd) = 0;
  // Between two reads, and while a command is pending (`waiting` false): for idle timers.
  // Called again (`waiting` true) whenever the client shows life: input read, output taken.
  virtual void on_idle_change(bool waiting_for_client) { (void)waiting_for_client; }
  virtual void on_closed() {}

  void write(std::string_view text) { out_ += text; }
  // For an asynchronous command: the returned callback appends its text to the output and
  // lets the next command run. Harmless once the connection is closed.
  std::function<void(std::string_view)> later();
  // Drops what is queued and ends the session once the output is written.
  void end_session() {
    cmds_.clear();
    done_ = true;
  }
  void discard_output() {
    out_.clear();
    out_pos_ = 0;
  }
  void flush();
  int fd() const { return fd_; }
  core::EventLoop& loop() const { return loop_; }
  bool closed() const { return closed_; }
  // Answer bytes not yet taken by the socket (for tests and the limits above).
  size_t pending_output() const { return out_.size() - out_pos_; }
  size_t buffered_input() const { return in_.size() - in_pos_; }

 private:
  void read_input();
  void process();
  bool next_line();
  void run_one();

  core::EventLoop& loop_;
  int fd_;
  core::Watch watch_;
  std::string prompt_text_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::string in_, out_;
  size_t in_pos_ = 0, out_pos_ = 0;   // consumed prefixes (cheap: no erase per line / send)
  std::deque<Words> cmds_;
  core::Timer resume_;                // the rest of a wakeup's work, after other events
  bool prompt_ = false, quit_ = false, eof_ = false, done_ = false, closed_ = false;
  bool pending_ = false, sync_ = false, line_done_ = false;
  bool readable_ = false;             // no EAGAIN seen since the last EPOLLIN edge
};

}  // namespace sluice::admin
