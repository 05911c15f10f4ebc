#pragma once
#include <string_view>

namespace sluice {
std::string_view version();
}  // namespace sluice
