// Per-request parse cost of the HTTP/1 head parser. Run: micro_bench --benchmark_filter=Http
#include <benchmark/benchmark.h>

#include <string_view>

#include "http/chunked.h"
#include "http/parser.h"

namespace {

using namespace sluice::http;

// A Chromium 120 navigation request: 12 header fields, ~500 bytes.
constexpr std::string_view kChromiumGet =
    "GET /articles/2024/load-balancing?ref=home&page=2 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "Connection: keep-alive\r\n"
    "Cache-Control: max-age=0\r\n"
    "sec-ch-ua: \"Chromium\";v=\"120\", \"Not?A_Brand\";v=\"8\"\r\n"
    "sec-ch-ua-mobile: ?0\r\n"
    "sec-ch-ua-platform: \"Linux\"\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Cookie: SRV=s1; session=7f3a9c2e41d8b6\r\n"
    "\r\n";

constexpr std::string_view kSmallResponse =
    "HTTP/1.1 200 OK\r\n"
    "Date: Mon, 15 Jan 2024 10:00:00 GMT\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Length: 1234\r\n"
    "Cache-Control: private\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

void BM_HttpParseChromiumGet(benchmark::State& state) {
  RequestHead head;  // reused, as the proxy reuses it per connection
  const ParseOptions opt;
  for (auto _ : state) {
    HeadScan scan;
    const ParseResult r = parse_request(kChromiumGet, scan, head, opt);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head.head_len);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kChromiumGet.size()));
}
BENCHMARK(BM_HttpParseChromiumGet);

// The same request arriving in two reads (the scan resumes, the head is parsed once).
void BM_HttpParseChromiumGetTwoReads(benchmark::State& state) {
  RequestHead head;
  const ParseOptions opt;
  for (auto _ : state) {
    HeadScan scan;
    benchmark::DoNotOptimize(parse_request(kChromiumGet.substr(0, 300), scan, head, opt));
    benchmark::DoNotOptimize(parse_request(kChromiumGet, scan, head, opt));
  }
}
BENCHMARK(BM_HttpParseChromiumGetTwoReads);

void BM_HttpParseSmallResponse(benchmark::State& state) {
  ResponseHead head;
  const ParseOptions opt;
  for (auto _ : state) {
    HeadScan scan;
    const ParseResult r = parse_response(kSmallResponse, scan, Method::Get, head, opt);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head.head_len);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kSmallResponse.size()));
}
BENCHMARK(BM_HttpParseSmallResponse);

void BM_HttpChunked16k(benchmark::State& state) {
  std::string body;
  for (int i = 0; i < 16; ++i) body += "400\r\n" + std::string(1024, 'x') + "\r\n";
  body += "0\r\n\r\n";
  for (auto _ : state) {
    ChunkedDecoder d;
    benchmark::DoNotOptimize(d.feed(body));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_HttpChunked16k);

}  // namespace
