// A request parsed into `req`, with a rule context around it (tests of tests/unit/rules/).
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "http/parser.h"
#include "rules/context.h"

namespace sluice::rules::test_support {

struct Txn {
  std::string raw;
  http::RequestHead req;
  Arena arena;
  VarStore sess, txn;
  sockaddr_storage src{};
  Ctx ctx;
  // `client`: the source address (IPv4 or IPv6).
  explicit Txn(std::string text, std::string_view client = "10.1.2.3") : raw(std::move(text)) {
    http::HeadScan scan;
    auto r = http::parse_request(raw, scan, req, {});
    EXPECT_EQ(r.status, http::ParseStatus::Done);
    std::string ip(client);
    if (ip.find(':') != std::string::npos) {
      auto* s6 = reinterpret_cast<sockaddr_in6*>(&src);
      s6->sin6_family = AF_INET6;
      inet_pton(AF_INET6, ip.c_str(), &s6->sin6_addr);
    } else {
      auto* sin = reinterpret_cast<sockaddr_in*>(&src);
      sin->sin_family = AF_INET;
      inet_pton(AF_INET, ip.c_str(), &sin->sin_addr);
    }
    ctx.src = &src;
    ctx.req = &req;
    ctx.arena = &arena;
    ctx.sess_vars = &sess;
    ctx.txn_vars = &txn;
  }
  int count(std::string_view name) const {
    int n = 0;
    for (int i = req.find(name); i >= 0; i = req.find(name, i + 1)) ++n;
    return n;
  }
};

}  // namespace sluice::rules::test_support
