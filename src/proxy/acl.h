// ACLs and conditions, compiled once from the configuration and evaluated per request.
// Supported fetches: path, path_beg, path_end, path_sub, path_dir, path_reg, url, url_beg,
// url_sub, url_reg, hdr(NAME) (+ _beg _end _sub _dom _reg _len? no), method, src, dst_port,
// req.cook(NAME)/cook(NAME), and the predefined ACLs TRUE, FALSE, HTTP, METH_*, LOCALHOST,
// HTTP_1.0, HTTP_1.1. Match flags: -i, -m str|beg|end|sub|dir|dom|reg|found|ip, -f FILE is
// expanded by the config loader.
#pragma once

#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "config/model.h"
#include "core/result.h"
#include "http/message.h"

namespace sluice::proxy {

// What a condition may look at. Request fields are null in TCP mode.
struct AclContext {
  const sockaddr_storage* src = nullptr;
  const sockaddr_storage* dst = nullptr;
  const http::RequestHead* req = nullptr;
};

class CompiledAcl;

class Condition {
 public:
  Condition();
  Condition(Condition&&) noexcept;
  Condition& operator=(Condition&&) noexcept;
  ~Condition();
  // Compiles `cond` against the proxy's named ACLs.
  static Result<Condition> compile(const config::Condition& cond, const std::vector<config::Acl>& acls);
  bool eval(const AclContext& ctx) const;
  // True when evaluating needs HTTP request data.
  bool needs_http() const { return needs_http_; }

 private:
  struct Term {
    bool negate;
    std::vector<const CompiledAcl*> acls;   // OR-ed (same-name ACLs)
  };
  bool unless_ = false;
  bool needs_http_ = false;
  std::vector<std::vector<Term>> any_of_;
  std::vector<std::unique_ptr<CompiledAcl>> owned_;
};

}  // namespace sluice::proxy
