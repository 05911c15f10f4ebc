// libFuzzer target: the configuration loader on arbitrary bytes. It must never crash, hang or
// leak, whatever the input; name resolution is off so runs are hermetic.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::config::LoadOptions opts;
  opts.resolve = false;
  opts.getenv = [](std::string_view name) -> std::optional<std::string> {
    if (name == "ADDR") return std::string("127.0.0.1:8080");
    if (name == "WORDS") return std::string("a b  c");
    return std::nullopt;
  };
  auto r = sluice::config::load_string(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.cfg", opts);
  for (const auto& d : r.diagnostics) (void)d.format();
  if (r.config) (void)r.config->find_proxy("x");
  return 0;
}
