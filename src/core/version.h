// What this build is, in the words HAProxy users and tools read: `-v`, `-vv`, and the
// feature(...) predicate of `.if` / `-cc`.
#pragma once

#include <span>
#include <string_view>

namespace sluice {

std::string_view version();

// The HAProxy release whose configuration language, CLI and behaviour sluice follows.
// Tools such as HAProxy's regression-test runner read it from `-vv`.
inline constexpr std::string_view kHaproxyCompatVersion = "2.6";

// HAProxy feature names this build really has (printed as "+NAME" by -vv). A name is listed
// only when the feature works: OPENSSL means TLS support, not that the library is linked.
std::span<const std::string_view> build_features();
// HAProxy feature names printed as "-NAME": known to HAProxy users, absent here.
std::span<const std::string_view> missing_features();
bool has_feature(std::string_view name);

// Services `http-request use-service` accepts.
std::span<const std::string_view> available_services();

}  // namespace sluice
