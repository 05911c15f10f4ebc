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
                                    const std::vector<std::unique_ptr<backend::StickTable>>& tables,
                                    const rules::Resolver* resolver);
  bool empty() const { return rules_.empty(); }
  bool has_response_rules() const { return has_response_; }

  // Everything the request side needs, computed once while the request head is in the
  // buffer (the head's bytes are not kept once forwarded): the server the request sticks to
  // (stick on / match) and the keys to store once a server is chosen (stick on /
  // store-request).
  struct Prepared {
    backend::Server* sticky = nullptr;
    std::vector<std::pair<backend::StickTable*, std::string>> to_store;
  };
  Prepared prepare(backend::Backend& be, AclContext& ctx, uint64_t now_ms) const;
  static void commit(const Prepared& p, backend::Server& srv, uint64_t now_ms);
  // TCP: no request head; match and store at once.
  backend::Server* match(backend::Backend& be, AclContext& ctx, uint64_t now_ms) const;
  // store-request (request side) or store-response (`rsp` non-null).
  void store(backend::Server& srv, AclContext& ctx, const http::ResponseHead* rsp,
             uint64_t now_ms) const;

 private:
  std::optional<std::string> key(const StickRule& r, AclContext& ctx,
                                 const http::ResponseHead* rsp) const;
  std::vector<StickRule> rules_;
  bool has_response_ = false;
};

}  // namespace sluice::proxy
