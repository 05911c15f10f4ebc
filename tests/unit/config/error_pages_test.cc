// http-errors sections and errorfile / errorfiles / errorloc / http-error, with HAProxy 2.6's
// diagnostics (measured with `haproxy -c`) and its precedence (reg-tests/http-errorfiles).
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "unit/config/test_util.h"

namespace sluice::config {
namespace {

using namespace testing;

class ConfigErrorPagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char d[] = "/tmp/sluice_errpages_XXXXXX";
    ASSERT_NE(mkdtemp(d), nullptr);
    dir_ = d;
  }
  void TearDown() override {
    for (const auto& f : files_) std::remove(f.c_str());
    ::rmdir(dir_.c_str());
  }
  // A valid errorfile for `code` whose body names `tag`.
  std::string page(uint16_t code, const std::string& tag) {
    std::string path = dir_ + "/" + std::to_string(code) + "-" + tag + ".http";
    std::ofstream(path) << text(code, tag);
    files_.push_back(path);
    return path;
  }
  static std::string text(uint16_t code, const std::string& tag) {
    return "HTTP/1.0 " + std::to_string(code) + " X\r\nContent-Length: " + std::to_string(tag.size()) + "\r\n\r\n" + tag;
  }
  std::string dir_;
  std::vector<std::string> files_;
};

const ProxyConfig* proxy(const LoadResult& r, std::string_view name) { return r.config->find_proxy(name); }

// reg-tests/http-errorfiles/http_errors.vtc: defaults, errorfiles with and without codes,
// errorfile after/before errorfiles; the last line naming a code wins.
TEST_F(ConfigErrorPagesTest, PrecedenceAsHaproxyRegTest) {
  std::string cfg = "http-errors errors-1\n  errorfile 400 " + page(400, "e1") + "\n  errorfile 403 " + page(403, "e1") +
                    "\n  errorfile 404 " + page(404, "e1") + "\n  errorfile 500 " + page(500, "e1") +
                    "\nhttp-errors errors-2\n  errorfile 400 " + page(400, "e2") + "\n  errorfile 403 " +
                    page(403, "e2") + "\n  errorfile 404 " + page(404, "e2") + "\nhttp-errors errors-3\n  errorfile 400 " +
                    page(400, "e3") + "\n  errorfile 404 " + page(404, "e3") + "\n" + kDefaults +
                    "  mode http\n  errorfiles errors-2\n  errorfile 400 " + page(400, "def") + "\n  errorfile 404 " +
                    page(404, "def") + "\nfrontend fe1\n  bind :80\nfrontend fe2\n  bind :81\n  errorfiles errors-1\n"
                    "  errorfile 500 " + page(500, "def") + "\nfrontend fe3\n  bind :82\n  errorfile 500 " +
                    page(500, "def") + "\n  errorfiles errors-1 500\n  errorfiles errors-3 400\n";
  auto r = load(cfg);
  ASSERT_TRUE(r.ok()) << dump(r);
  auto pages = [&](std::string_view fe) { return r.config->error_pages(*proxy(r, fe)); };
  auto fe1 = pages("fe1"), fe2 = pages("fe2"), fe3 = pages("fe3");
  EXPECT_EQ(fe1[400], text(400, "def"));
  EXPECT_EQ(fe1[403], text(403, "e2"));
  EXPECT_EQ(fe1[404], text(404, "def"));
  EXPECT_FALSE(fe1.contains(500));
  EXPECT_EQ(fe2[400], text(400, "e1"));
  EXPECT_EQ(fe2[403], text(403, "e1"));
  EXPECT_EQ(fe2[404], text(404, "e1"));
  EXPECT_EQ(fe2[500], text(500, "def"));
  EXPECT_EQ(fe3[400], text(400, "e3"));
  EXPECT_EQ(fe3[403], text(403, "e2"));
  EXPECT_EQ(fe3[404], text(404, "def"));
  EXPECT_EQ(fe3[500], text(500, "e1"));
}

// The http-errors section may come after the proxy that uses it.
TEST_F(ConfigErrorPagesTest, SectionDeclaredLater) {
  auto r = load(std::string(kDefaults) + "frontend f\n  mode http\n  bind :80\n  errorfiles late\n"
                "http-errors late\n  errorfile 503 " + page(503, "late") + "\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->error_pages(*proxy(r, "f"))[503], text(503, "late"));
}

TEST_F(ConfigErrorPagesTest, ErrorlocAndHttpError) {
  auto r = load(std::string(kDefaults) + "  mode http\n  errorfile 400 " + page(400, "def") +
                "\nfrontend f\n  bind :80\n  errorloc 503 http://x/y\n  errorloc303 500 /err\n"
                "  http-error status 403 content-type text/plain string hi hdr X-A b\n"
                "  http-error status 404\n  http-error status 400 default-errorfiles\n"
                "  http-error status 502 errorfile " + page(502, "f") + "\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  auto p = r.config->error_pages(*proxy(r, "f"));
  EXPECT_EQ(p[503], "HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: http://x/y\r\n\r\n");
  EXPECT_EQ(p[500], "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: /err\r\n\r\n");
  EXPECT_EQ(p[403], "HTTP/1.1 403 Forbidden\r\nx-a: b\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nhi");
  EXPECT_EQ(p[404], "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
  EXPECT_FALSE(p.contains(400));   // default-errorfiles forgot the inherited page
  EXPECT_EQ(p[502], text(502, "f"));
}

TEST_F(ConfigErrorPagesTest, HttpErrorsSectionDiagnostics) {
  std::string bad = dir_ + "/bad.http";
  std::ofstream(bad) << "garbage\n";
  files_.push_back(bad);
  auto r = load("http-errors E1\n  errorfile 403 " + page(403, "a") + "\n  errorfile 999 " + page(403, "b") +
                "\n  errorfile 404 " + bad + "\n  foo\nhttp-errors E1\nhttp-errors\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:3: errorfile: status code '999' not handled")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:4: errorfile '" + bad + "'")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:5: unknown keyword 'foo' in 'http-errors' section")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:6: http-errors section 'E1' already exists (declared at t.cfg:1)")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:7: missing name for http-errors section")) << dump(r);
  EXPECT_EQ(error_count(r), 5) << dump(r);
}

TEST_F(ConfigErrorPagesTest, ProxyDiagnostics) {
  auto r = load("http-errors E1\n  errorfile 403 " + page(403, "a") + "\n" + kDefaults +
                "  mode http\n  errorfiles E1 503\nfrontend f\n  bind :80\n  errorfiles NOPE\n  errorfiles E1 410\n"
                "  errorfiles E1 999\n  errorfiles\n  errorloc302 999 http://x/y\n  errorloc303 404\n"
                "  http-error status 418 content-type t string hi\n  http-error status 500 file /nonexistent/x\n"
                "  http-error status 500 string x\n  http-error status 500 content-type t string x file /x\n"
                "  http-error status 500 content-type t string x bogus\n  http-error status 500 content-type t hdr a\n"
                "  http-error status 500 content-type t\n  http-error status 500 string x hdr content-length 3\n"
                "  http-error\n");
  const char* errors[] = {
      "t.cfg:11: proxy 'f': unknown http-errors section 'NOPE'",
      "t.cfg:13: errorfiles: status code '999' not handled",
      "t.cfg:14: 'errorfiles' expects <name> as argument",
      "t.cfg:15: errorloc302: status code '999' not handled",
      "t.cfg:16: 'errorloc303' expects <status_code> and <url> as arguments",
      "t.cfg:17: http-error: status code '418' not handled",
      "t.cfg:18: http-error: error opening file '/nonexistent/x'",
      "t.cfg:19: http-error: a content type must be defined when non-empty payload is configured",
      "t.cfg:20: http-error: unexpected 'file' argument, 'string' already defined",
      "t.cfg:21: http-error: unknown keyword 'bogus'",
      "t.cfg:22: http-error: 'hdr' expects <name> and <value> as arguments",
      "t.cfg:24: http-error: a content type must be defined",
      "t.cfg:25: 'http-error' expects at least a <status> as arguments",
  };
  for (const char* e : errors) EXPECT_TRUE(has_diag(r, e)) << e << "\n" << dump(r);
  EXPECT_EQ(error_count(r), static_cast<int>(std::size(errors))) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:8: warning: proxy 'f': status '503' not declared in http-errors section 'E1'", true))
      << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:12: warning: proxy 'f': status '410' not declared", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:23: warning: content-type 't' ignored by the http reply", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:24: warning: header 'content-length' always ignored", true)) << dump(r);
}

// Formats need the rule engine's %[...]: refused, never sent verbatim.
TEST_F(ConfigErrorPagesTest, LogFormatPayloadsAreRefused) {
  auto r = load(std::string(kDefaults) + "frontend f\n  mode http\n  bind :80\n"
                "  http-error status 503 content-type t lf-string %[path]\n"
                "  http-error status 503 content-type t lf-file /etc/hostname\n"
                "  http-error status 503 content-type t string x hdr x-p %[path]\n"
                "  http-error status 503 content-type t lf-string plain\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:8: http-error: 'lf-string' (a log-format payload) is not supported by sluice yet"))
      << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:9: http-error: 'lf-file' (a log-format payload) is not supported by sluice yet"))
      << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:10: http-error: 'hdr x-p' with a log-format value ('%[path]') is not supported by "
                          "sluice yet")) << dump(r);
  EXPECT_EQ(error_count(r), 3) << dump(r);   // an lf-string without '%' is its own text
}

}  // namespace
}  // namespace sluice::config
