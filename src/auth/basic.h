// HTTP Basic authentication credentials (RFC 7617), shared by `stats auth` and userlists.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice::auth {

std::optional<std::string> base64_decode(std::string_view in);   // strict RFC 4648
// An Authorization value's RFC 7617 `Basic` credentials ("user:password"); nullopt for any
// other scheme, malformed base64, no ':' or a control character.
std::optional<std::string> basic_credentials(std::string_view value);

}  // namespace sluice::auth
