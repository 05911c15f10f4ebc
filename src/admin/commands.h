// Command registry and dispatch of the runtime API. A command is matched by its leading
// keywords (longest match wins), checked against the session's access level, then run.
// Every handler answers exactly once through `Reply`, at once or later (commands that gather
// from every worker or wait for a condition); replies are framed by the connection.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "admin/parse.h"
#include "core/event_loop.h"
#include "proxy/runtime.h"

namespace sluice::admin {

struct Context {
  proxy::Runtime& rt;
  core::EventLoop& loop;   // the admin loop (worker 0's)
  Level level = Level::Admin;
  uint64_t start_wall_s = 0;
  bool experimental = false;   // `experimental-mode on` on this connection
};

using Reply = std::function<void(std::string)>;
using Args = std::span<const std::string>;   // the whole command, keywords included
using Handler = void (*)(Context&, Args, Reply);

struct Command {
  std::vector<std::string_view> keywords;
  Level level;
  std::string_view usage;   // left column of `help`
  std::string_view help;
  Handler handler;
};

const std::vector<Command>& commands();
// Runs `fn` on every worker's thread, then `done` on the admin loop once all have run.
void on_all_workers(Context& ctx, std::function<std::string(proxy::Worker&)> fn,
                    std::function<void(std::vector<std::string>)> done);
// Finds the command for `words` (nullptr when none); also used by tests.
const Command* find_command(const Words& words);
// Runs one command (session commands like prompt/quit are handled by the connection).
void dispatch(Context& ctx, const Words& words, Reply reply);
std::string help_text(Level level);
std::string unknown_command_text(const Words& words, Level level);

// Formats, exposed for unit tests.
std::string show_servers_state(proxy::Runtime& rt, std::string_view backend);
std::string show_stat_csv(proxy::Runtime& rt, Level level);
std::string show_info(proxy::Runtime& rt);
std::string show_stat_typed(proxy::Runtime& rt, Level level);
std::string show_stat_json(proxy::Runtime& rt, Level level);
std::string show_servers_conn(proxy::Runtime& rt, std::string_view backend);

// Registers the backend state observer that wakes `wait` commands. Call once before
// workers run, with the admin loop.
void install_waiter_hooks(core::EventLoop& loop);
// Drops pending `wait`s without replying (shutdown).
void drop_waiters();

}  // namespace sluice::admin
