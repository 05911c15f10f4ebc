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
// Runs on one event loop; the fd is level-triggered. Owns itself: close() frees it through
// the loop's deferred deletion.
#pragma once

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
  void discard_output() { out_.clear(); }
  void flush();
  int fd() const { return fd_; }
  core::EventLoop& loop() const { return loop_; }
  bool closed() const { return closed_; }

 private:
  void read_input();
  void process();

  core::EventLoop& loop_;
  int fd_;
  core::Watch watch_;
  std::string prompt_text_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::string in_, out_;
  std::deque<Words> cmds_;
  bool prompt_ = false, quit_ = false, eof_ = false, done_ = false, closed_ = false;
  bool pending_ = false, sync_ = false, line_done_ = false, want_out_ = false;
};

}  // namespace sluice::admin
