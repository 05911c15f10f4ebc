#include "core/version.h"

#include <algorithm>

namespace sluice {
namespace {
constexpr std::string_view kFeatures[] = {
    "ACCEPT4", "EPOLL", "GETADDRINFO", "LIBCRYPT", "PCRE2", "PCRE2_JIT", "PRCTL", "PROMEX", "THREAD",
#ifdef SLUICE_HAVE_SYSTEMD
    "SYSTEMD",
#endif
};
constexpr std::string_view kMissing[] = {
    "LINUX_SPLICE", "LUA", "OPENSSL", "PCRE", "PCRE_JIT", "QUIC", "SLZ", "TPROXY", "ZLIB",
#ifndef SLUICE_HAVE_SYSTEMD
    "SYSTEMD",
#endif
};
constexpr std::string_view kServices[] = {"prometheus-exporter"};
}  // namespace

std::string_view version() { return SLUICE_VERSION; }
std::span<const std::string_view> build_features() { return kFeatures; }
std::span<const std::string_view> missing_features() { return kMissing; }
bool has_feature(std::string_view name) {
  return std::find(std::begin(kFeatures), std::end(kFeatures), name) != std::end(kFeatures);
}
std::span<const std::string_view> available_services() { return kServices; }

}  // namespace sluice
