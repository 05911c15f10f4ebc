// libFuzzer target: the runtime API's line tokenizer and value parsers on arbitrary bytes.
// Whatever the input, they answer with a value or a message: never a crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "admin/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = sluice::admin::tokenize(in);
  if (r) {
    for (const auto& cmd : *r)
      for (const auto& w : cmd) {
        (void)sluice::admin::split_server(w);
        (void)sluice::admin::parse_uint(w);
        (void)sluice::admin::parse_weight(w, 100);
        (void)sluice::admin::parse_delay_ms(w);
      }
  }
  return 0;
}
