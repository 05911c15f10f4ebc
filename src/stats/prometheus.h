// Prometheus exporter (`http-request use-service prometheus-exporter`): the text exposition
// format with haproxy's metric names (haproxy_process_*, haproxy_frontend_*,
// haproxy_backend_*, haproxy_server_*).
#pragma once

#include <string>

namespace sluice::proxy {
class Runtime;
}

namespace sluice::stats {

// The whole scrape body. Any thread; takes each backend's lock briefly.
std::string prometheus_text(proxy::Runtime& rt);

}  // namespace sluice::stats
