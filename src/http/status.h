#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::http {

// Standard reason phrase (RFC 9110 §15) for a status code; "" for codes we do not know.
std::string_view status_reason(uint16_t status);

}  // namespace sluice::http
