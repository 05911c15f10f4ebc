// Stick rules of a backend, compiled: `stick on|match|store-request|store-response EXPR
// [table NAME] [if|unless COND]`. Sample expressions: src, req.cook(N) / cook(N) /
// cookie(N), req.hdr(N) / hdr(N), url_param(N), res.cook(N) / set-cookie(N), res.hdr(N).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/stick_table.h"
#include "core/result.h"
#include "http/message.h"
#include "proxy/acl.h"

namespace sluice::proxy {

struct StickRule {
  config::StickRule::Kind kind;
  enum class Fetch : uint8_t { Src, ReqCookie, ReqHdr, UrlParam, ResCookie, ResHdr } fetch;
  std::string arg;
  backend::StickTable* table = nullptr;
  std::optional<Condition> cond;
};

class StickRules {
 public:
  static Result<StickRules> compile(const config::ProxyConfig& p,
                                    const std::vector<std::unique_ptr<backend::StickTable>>& tables);
  bool empty() const { return rules_.empty(); }
  bool has_response_rules() const { return has_response_; }

  // The server a request sticks to (stick on / stick match), if any usable entry exists.
  backend::Server* match(backend::Backend& be, const AclContext& ctx, uint64_t now_ms) const;
  // After the server is chosen (stick on / store-request), or on the response head
  // (store-response, `rsp` non-null).
  void store(backend::Server& srv, const AclContext& ctx, const http::ResponseHead* rsp,
             uint64_t now_ms) const;

 private:
  std::optional<std::string> key(const StickRule& r, const AclContext& ctx,
                                 const http::ResponseHead* rsp) const;
  std::vector<StickRule> rules_;
  bool has_response_ = false;
};

}  // namespace sluice::proxy
