// Actions of tcp-request connection|session|content and tcp-response content: accept and
// reject, silent-drop. (set-var & co are common actions, rules/action/common.cc.)
#include <fmt/format.h>

#include "rules/domains.h"

namespace sluice::rules {

namespace {

constexpr uint16_t kTcpSets = kConn | kSess | kReqContent | kResContent;

class Accept final : public Action {
 public:
  Verdict run(Ctx&) const override { return Verdict::Stop; }
};
Result<std::unique_ptr<Action>> parse_accept(ActionParse& p) {
  if (p.words.size() > 1) return fail(fmt::format("unexpected '{}'", p.words[1]));
  return std::unique_ptr<Action>(new Accept);
}

// reject closes the connection at once; silent-drop closes it without telling the client
// (no FIN reaches it: the proxy layer sends the reset with a TTL of 1, as HAProxy does
// where it cannot use TCP_REPAIR).
class Close final : public Action {
 public:
  explicit Close(Reply::Kind k) : kind_(k) {}
  Verdict run(Ctx& c) const override {
    c.reply = {};
    c.reply.kind = kind_;
    c.reply.log_reason = kind_ == Reply::Kind::SilentDrop ? "silent-drop" : "rejected by rule";
    return Verdict::Answered;
  }

 private:
  Reply::Kind kind_;
};
Result<std::unique_ptr<Action>> parse_reject(ActionParse& p) {
  if (p.words.size() > 1) return fail(fmt::format("unexpected '{}'", p.words[1]));
  return std::unique_ptr<Action>(new Close(p.words[0] == "silent-drop" ? Reply::Kind::SilentDrop : Reply::Kind::Close));
}

constexpr ActionDef kActions[] = {
    {"accept", kTcpSets, parse_accept, "stop evaluating this rule set and accept the connection or data", false, true},
    {"reject", kTcpSets | kHttpReq | kHttpRes, parse_reject, "close the connection at once, with no answer", false,
     true},
    {"silent-drop", kTcpSets | kHttpReq | kHttpRes, parse_reject,
     "close the connection without the client seeing it (a reset it does not receive)", false, true},
};

}  // namespace

std::span<const ActionDef> action_tcp() { return kActions; }

}  // namespace sluice::rules
