#include "admin/line_conn.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace sluice::admin {

namespace {
// A string drained by far more than this is given back to the allocator: one huge answer
// (`show stat` of a large configuration) must not stay resident for the session's life.
constexpr size_t kKeepCapacity = 4 * LineConn::kMaxPendingOutput;
}  // namespace

LineConn::LineConn(core::EventLoop& loop, int fd, std::string prompt, bool interactive)
    : loop_(loop), fd_(fd), prompt_text_(std::move(prompt)), resume_([this] {
        if (!closed_) process();
      }),
      prompt_(interactive) {
  // Edge-triggered, registered once for both directions: pausing a direction is just not
  // reading (or writing) until there is room, with no epoll_ctl per pause.
  watch_.start(loop_, fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP, this, false);
}

void LineConn::on_io(uint32_t events) {
  if (closed_) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable_ = true;
  read_input();
  if (closed_) return;
  if (events & EPOLLOUT) flush();
  if (!closed_) process();
}

// Reads until EAGAIN, end of input, or a full input buffer (then `readable_` stays set and
// next_line() reads again once it has taken a line).
void LineConn::read_input() {
  if (!readable_ || eof_ || closed_) return;
  if (in_pos_ > 0) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  char buf[4096];
  bool got = false;
  while (in_.size() <= kMaxLine) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      got = true;
      continue;
    }
    if (n == 0) {
      eof_ = true;
      readable_ = false;
      got = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      readable_ = false;
      break;
    }
    return close();
  }
  if (got && !pending_) on_idle_change(true);
}

// Runs lines and commands until one answers later, the output is full, the input is
// empty, or this wakeup's budget is spent (then the rest runs after the loop's other events).
void LineConn::process() {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  size_t budget = kWorkPerWakeup;
  while (!closed_ && !pending_ && !done_) {   // done_: nothing more runs, the rest is sent
    if (pending_output() >= kMaxPendingOutput) {
      flush();
      if (closed_ || pending_output() >= kMaxPendingOutput) break;   // EPOLLOUT resumes
    }
    if (budget == 0 || (budget < kWorkPerWakeup && Clock::now() - start >= kTimePerWakeup)) {
      resume_.arm_soon(loop_);
      break;
    }
    --budget;
    if (cmds_.empty()) {
      if (!next_line()) break;
      continue;
    }
    run_one();
  }
  if (!closed_) flush();
}

// Ends the answered line (prompt, or the end of a one-shot session) and queues the next
// line's commands. False when there is nothing to run now.
bool LineConn::next_line() {
  if (line_done_) {
    line_done_ = false;
    if (!prompt_ || quit_) {
      done_ = true;
      return false;
    }
    out_ += prompt_text_;
  }
  size_t nl = in_.find('\n', in_pos_);
  if (nl == std::string::npos && readable_) {
    read_input();   // compacts: positions start at 0 again
    if (closed_) return false;
    nl = in_.find('\n', in_pos_);
  }
  std::string_view rest = std::string_view(in_).substr(in_pos_);
  std::string_view line;
  if (nl != std::string::npos) {
    line = rest.substr(0, nl - in_pos_);
    in_pos_ = nl + 1;
  } else if (rest.size() > kMaxLine) {
    out_ += "Command line too long.\n\n";
    done_ = true;
    return false;
  } else if (eof_ && !rest.empty()) {
    line = rest;
    in_pos_ = in_.size();
  } else {
    if (eof_) done_ = true;
    return false;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  auto cmds = split(line);
  if (!cmds) out_ += cmds.error().message + "\n\n";
  else
    for (auto& c : *cmds) cmds_.push_back(std::move(c));
  line_done_ = true;
  return true;
}

void LineConn::run_one() {
  Words cmd = std::move(cmds_.front());
  cmds_.pop_front();
  if (cmd.size() == 1 && cmd[0] == "prompt") {
    prompt_ = !prompt_;
  } else if (cmd.size() == 1 && cmd[0] == "quit") {
    quit_ = true;
    cmds_.clear();
  } else {
    sync_ = true;
    run(cmd);
    sync_ = false;
  }
}

std::function<void(std::string_view)> LineConn::later() {
  pending_ = true;
  on_idle_change(false);
  std::weak_ptr<bool> alive = alive_;
  return [this, alive](std::string_view text) {
    auto live = alive.lock();
    if (!live || !*live || !pending_) return;
    out_ += text;
    pending_ = false;
    on_idle_change(true);
    if (!sync_) process();   // an answer given at once: process() is still on the stack
  };
}

// Writes until EAGAIN (the EPOLLOUT edge calls again) or everything is sent.
void LineConn::flush() {
  bool sent = false;
  while (out_pos_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<size_t>(n);
      sent = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return close();
  }
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
    if (out_.capacity() > kKeepCapacity) std::string().swap(out_);
  } else if (out_pos_ >= kMaxPendingOutput) {
    out_.erase(0, out_pos_);   // at most once per kMaxPendingOutput bytes sent
    out_pos_ = 0;
  }
  if (sent && !pending_) on_idle_change(true);   // a client that reads is not idle
  if (out_.empty() && done_ && !pending_) {
    ::shutdown(fd_, SHUT_WR);
    close();
  }
}

void LineConn::close() {
  if (closed_) return;
  closed_ = true;
  *alive_ = false;
  watch_.stop_before_close();   // an event still queued for it in this batch is dropped
  ::close(fd_);
  on_closed();
  loop_.defer_delete(std::unique_ptr<core::Deletable>(this));
}

}  // namespace sluice::admin
