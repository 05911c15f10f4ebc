#include "admin/line_conn.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace sluice::admin {

LineConn::LineConn(core::EventLoop& loop, int fd, std::string prompt, bool interactive)
    : loop_(loop), fd_(fd), prompt_text_(std::move(prompt)), prompt_(interactive) {
  watch_.start(loop_, fd_, EPOLLIN | EPOLLRDHUP, this, true);
}

void LineConn::on_io(uint32_t events) {
  if (closed_) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_input();
  if (closed_) return;
  if (events & EPOLLOUT) flush();
  if (!closed_) process();
}

void LineConn::read_input() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) {
      if (!eof_) in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      eof_ = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    return close();
  }
  if (!pending_) on_idle_change(true);
}

void LineConn::process() {
  while (!closed_ && !pending_) {
    if (cmds_.empty()) {
      if (line_done_) {
        line_done_ = false;
        if (!prompt_ || quit_) {
          done_ = true;
          break;
        }
        out_ += prompt_text_;
      }
      auto nl = in_.find('\n');
      std::string line;
      if (nl != std::string::npos) {
        line = in_.substr(0, nl);
        in_.erase(0, nl + 1);
      } else if (in_.size() > kMaxLine) {
        out_ += "Command line too long.\n\n";
        done_ = true;
        break;
      } else if (eof_ && !in_.empty()) {
        line = std::move(in_);
        in_.clear();
      } else {
        if (eof_) done_ = true;
        break;
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto cmds = split(line);
      if (!cmds) out_ += cmds.error().message + "\n\n";
      else
        for (auto& c : *cmds) cmds_.push_back(std::move(c));
      line_done_ = true;
      continue;
    }
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
  flush();
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

void LineConn::flush() {
  while (!out_.empty()) {
    ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!want_out_) {
        want_out_ = true;
        watch_.modify(EPOLLIN | EPOLLOUT | EPOLLRDHUP);
      }
      return;
    }
    return close();
  }
  if (want_out_) {
    want_out_ = false;
    watch_.modify(EPOLLIN | EPOLLRDHUP);
  }
  if (done_ && !pending_) {
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
