// HTTP services answered by sluice itself instead of a server: the stats page
// (`stats enable`, `stats uri`, its `;csv` export and admin actions) and the Prometheus
// exporter (`http-request use-service prometheus-exporter`).
//
// proxy/ calls match() for each request of a frontend (and its backend) that has a service
// configured; when it returns something other than None, proxy/ waits for the complete
// request body (at most tune.bufsize) and calls serve(), then sends the returned response.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/basic.h"
#include "http/message.h"

namespace sluice::proxy {
class Runtime;
class Frontend;
}
namespace sluice::backend {
class Backend;
}

namespace sluice::stats {

enum class Service : uint8_t { None, StatsPage, Prometheus };

struct ServiceRequest {
  const http::RequestHead& head;
  std::string_view body;
  const sockaddr_storage& src;
  proxy::Runtime& rt;
  proxy::Frontend& fe;
  backend::Backend* be;        // backend chosen for the request (stats may be set there)
  bool admin_allowed = false;  // `stats admin if COND` evaluated true
};

// `use_service` is true when an `http-request use-service prometheus-exporter` rule matched.
Service match(const proxy::Frontend& fe, const backend::Backend* be, const http::RequestHead& req,
              bool use_service_prometheus);
// A complete HTTP/1.1 response (status line, headers with Content-Length, body).
//   stats page: 401 + realm without valid `stats auth` credentials; GET -> HTML page
//   (`;csv` -> haproxy's CSV, `;norefresh`, `;up`, `;st=CODE` banner); POST
//   `s=SRV&action=ready|drain|maint&b=BACKEND|#ID` -> the state change (when admin_allowed)
//   and a 303 to `URI;st=DONE|NONE|PART|ERRP|DENY`, as haproxy answers.
//   prometheus: the text exposition format.
// Runs on the calling worker's thread; admin actions take the backend's lock.
std::string serve(Service s, const ServiceRequest& req);

// Helpers, exposed for tests.
std::string url_decode(std::string_view s);   // form encoding: '+' is a space
using auth::base64_decode;       // shared with userlists (auth/basic.h)
using auth::basic_credentials;
// Whether `given` is one of `allowed`, in time independent of their contents.
bool credentials_match(std::string_view given, const std::vector<std::string>& allowed);
std::vector<std::pair<std::string, std::string>> parse_form(std::string_view body);

}  // namespace sluice::stats
