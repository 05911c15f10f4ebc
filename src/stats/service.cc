#include "stats/service.h"

namespace sluice::stats {

// Placeholder until the stats module lands.
Service match(const proxy::Frontend&, const backend::Backend*, const http::RequestHead&, bool) {
  return Service::None;
}

std::string serve(Service, const ServiceRequest&) {
  return "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
}

}  // namespace sluice::stats
