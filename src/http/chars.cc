#include "http/chars.h"

namespace sluice::http {

bool token_list_contains(std::string_view header_value, std::string_view token) {
  while (!header_value.empty()) {
    const size_t comma = header_value.find(',');
    std::string_view elem = header_value.substr(0, comma);
    header_value = comma == std::string_view::npos ? std::string_view{} : header_value.substr(comma + 1);
    const size_t semi = elem.find(';');
    if (semi != std::string_view::npos) elem = elem.substr(0, semi);
    if (iequals(trim_ows(elem), token)) return true;
  }
  return false;
}

}  // namespace sluice::http
