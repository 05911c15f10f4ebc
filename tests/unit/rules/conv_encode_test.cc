// Encoding converters: base64, b64dec, ub64enc, ub64dec, hex, hex2i, htonl, url_dec, url_enc.
// Expected values come from HAProxy 2.6.12 (/usr/sbin/haproxy answering
// `http-request return ... lf-string "%[EXPR]"`: scripts/haproxy-eval), except where a comment
// says otherwise.
#include "unit/rules/conv_helpers.h"

namespace sluice::rules {
namespace {

using test::expect_error;
using test::expect_rows;

TEST(ConvEncodeTest, MatchesHaproxy) {
  expect_rows({
      {R"~(bin(0001ff10),base64)~", "AAH/EA=="},
      {R"~(str(a),base64)~", "YQ=="},
      {R"~(str(ab),base64)~", "YWI="},
      {R"~(str(abc),base64)~", "YWJj"},
      {R"~(var(txn.e),base64)~", ""},
      {R"~(str(YWJj),b64dec)~", "abc"},
      {R"~(str(YWI=),b64dec)~", "ab"},
      {R"~(str(YWI),b64dec)~", "<none>"},
      {R"~(str(YW=I),b64dec)~", "<none>"},
      {R"~(str(Y!Jj),b64dec)~", "<none>"},
      {R"~(var(txn.e),b64dec)~", ""},
      {R"~(bin(fbff),base64)~", "+/8="},
      {R"~(bin(fbff),ub64enc)~", "-_8"},
      {R"~(str(ab),ub64enc)~", "YWI"},
      {R"~(str(-_8),ub64dec)~", "\xfb\xff"},
      {R"~(str(YWI),ub64dec)~", "ab"},
      {R"~(str(Y),ub64dec)~", "<none>"},
      {R"~(str(+/8=),ub64dec)~", "<none>"},
      {R"~(bin(00abFF),hex)~", "00ABFF"},
      {R"~(str(ff),hex2i)~", "255"},
      {R"~(str(FF10),hex2i)~", "65296"},
      {R"~(str(zz),hex2i)~", "<none>"},
      {R"~(var(txn.e),hex2i)~", "0"},
      {R"~(str(fffffffffffffffff),hex2i)~", "-1"},
      {R"~(str(8000000000000000),hex2i)~", "-9223372036854775808"},
      {R"~(str(f),hex2i)~", "15"},
      {R"~(str(a%20b+c%2Fd),url_dec)~", "a b+c/d"},
      {R"~(str(a+b?c+d),url_dec)~", "a+b?c d"},
      {R"~(str(a+b),url_dec(1))~", "a b"},
      {R"~(str(a+b),url_dec(0))~", "a+b"},
      {R"~(str(a%2),url_dec)~", "<none>"},
      {R"~(str(a%zzb),url_dec)~", "<none>"},
      {R"~(bin(202122232425262728292a2b2c2d2e2f303a3b3c3d3e3f40415a5b5c5d5e5f607a7b7c7d7e7f80ff),url_enc)~", "%20%21%22%23%24%25%26%27%28%29%2A%2B%2C-.%2F0%3A%3B%3C%3D%3E%3F%40AZ%5B%5C%5D%5E_%60z%7B%7C%7D~%7F%80%FF"},
      {R"~(str(a b),url_enc(query))~", "a%20b"},
      {R"~(bin(410042),hex)~", "410042"},
      {R"~(str(a%00b),url_dec,hex)~", "610062"},
      {R"~(str(YQ),ub64dec,hex)~", "61"},
      {R"~(str(YQ==),b64dec,hex)~", "61"},
      {R"~(str(YQ),b64dec,hex)~", "<none>"},
      {R"~(int(1),htonl,hex)~", "00000001"},
      {R"~(int(-1),htonl,hex)~", "FFFFFFFF"},
      {R"~(int(4294967297),htonl,hex)~", "00000001"},
      {R"~(str(0123456789),be2dec(:,1))~", "48:49:50:51:52:53:54:55:56:57"},
      {R"~(str(0123456789),be2dec(-,3))~", "3158322-3355701-3553080-57"},
      {R"~(str(0123456789),be2dec(::,3,1))~", "3158322::3355701::3553080"},
      {R"~(str(0123456789),be2dec(-,3,0))~", "3158322-3355701-3553080-57"},
      {R"~(str(abcdefghij),be2dec(,8))~", "701728045224574346426986"},
      {R"~(var(txn.e),be2dec(:,1))~", ""},
      {R"~(str(ab),be2dec(:,3,1))~", ""},
      {R"~(str(ab),be2dec(:,3))~", "24930"},
      {R"~(bin(ffffffffffffffff),be2dec(:,8))~", "18446744073709551615"},
      {R"~(bin(ff00ff),be2dec(,2))~", "65280255"},
      {R"~(str(0123456789),be2hex)~", "30313233343536373839"},
      {R"~(str(jkl),be2hex)~", "6A6B6C"},
      {R"~(str(jkl),be2hex(:,2))~", "6A6B:6C"},
      {R"~(str(0123456789),be2hex(--,3))~", "303132--333435--363738--39"},
      {R"~(str(0123456789),be2hex(.,3,1))~", "303132.333435.363738"},
      {R"~(str(0123456789),be2hex(,3))~", "30313233343536373839"},
      {R"~(str(0123456789),be2hex(.,20))~", "30313233343536373839"},
      {R"~(str(0123456789),be2hex(.,20,1))~", ""},
      {R"~(var(txn.e),be2hex)~", ""},
      {R"~(str(ab),be2hex(.,3,0))~", "6162"},
      {R"~(int(5),be2hex)~", "0000000000000005"},   // an integer is its 8 bytes, big-endian
      {R"~(int(5),be2dec(:,1))~", "0:0:0:0:0:0:0:5"},
      {R"~(int(5),hex)~", "0000000000000005"},
      {R"~(int(-1),hex)~", "FFFFFFFFFFFFFFFF"},
      {R"~(int(5),crc32)~", "357051366"},
  });
}

// Rows where sluice deliberately answers otherwise than HAProxy 2.6.12.
TEST(ConvEncodeTest, Deviations) {
  expect_rows({
      // HAProxy 2.6 decodes a '=' in base64url as if it were '_' ("YWI=" -> "ab?"); sluice
      // reads it as the padding it is.
      {R"~(str(YWI=),ub64dec)~", "ab"},
      {R"~(str(YQ==),ub64dec,hex)~", "61"},
      {R"~(str(YQ=),ub64dec)~", "<none>"},
      // A %00 decodes to a NUL byte (HAProxy's log-format output shows it as %00).
      {R"~(str(a%00b),url_dec,hex)~", "610062"},
  });
}

TEST(ConvEncodeTest, LoadErrors) {
  expect_error("str(abc),url_enc(param)", "only 'query' is supported");
  expect_error("str(abc),url_enc(bad)", "only 'query' is supported");
  expect_error("str(abc),be2dec(,9)", "chunk_size out of [1..8] range (9)");
  expect_error("str(abc),be2dec(,0)", "chunk_size out of [1..8] range (0)");
  expect_error("str(abc),be2dec(:)", "chunk_size out of [1..8] range (0)");
  expect_error("str(abc),be2hex(:)", "chunk_size needs to be positive (0)");
  expect_error("str(abc),be2hex(.,-1)", "chunk_size needs to be positive (-1)");
  expect_error("str(a),hex2i(1)", "takes at most 0 arguments");
  expect_error("str(a),url_dec(x)", "'x' is not an integer");
  expect_error("str(a),base64(1)", "takes at most 0 arguments");
}

}  // namespace
}  // namespace sluice::rules
