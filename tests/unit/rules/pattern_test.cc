#include "rules/pattern.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "rules/pattern_ref.h"

#include <atomic>
#include <thread>

namespace sluice::rules {
namespace {

std::vector<PatternText> texts(std::vector<std::pair<std::string, std::string>> kv) {
  std::vector<PatternText> v;
  int line = 0;
  for (auto& [k, val] : kv) v.push_back({k, val, ++line, 0});
  return v;
}

std::shared_ptr<const PatternSet> make(MatchKind k, std::vector<std::pair<std::string, std::string>> kv,
                                       bool icase = false) {
  auto s = PatternSet::build({.kind = k, .icase = icase}, texts(std::move(kv)));
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return s ? *s : nullptr;
}

std::string val(const Entry* e) { return e ? e->value.value_or("") : "<none>"; }

in_addr v4(const char* s) {
  in_addr a{};
  EXPECT_EQ(inet_pton(AF_INET, s, &a), 1) << s;
  return a;
}
in6_addr v6(const char* s) {
  in6_addr a{};
  EXPECT_EQ(inet_pton(AF_INET6, s, &a), 1) << s;
  return a;
}

TEST(Pattern, MatchNames) {
  for (auto n : {"found", "bool", "int", "ip", "bin", "len", "str", "beg", "end", "sub", "dir", "dom", "reg"}) {
    auto k = match_from_name(n);
    ASSERT_TRUE(k.has_value()) << n;
    EXPECT_EQ(to_string(*k), n);
  }
  EXPECT_FALSE(match_from_name("regm").has_value());
  EXPECT_FALSE(match_from_name("STR").has_value());
}

TEST(Pattern, StrExactFirstInFileOrderAndIcase) {
  auto s = make(MatchKind::Str, {{"/dup", "one"}, {"/dup", "two"}, {"/a", "x"}});
  EXPECT_EQ(val(s->match_str("/dup")), "one");
  EXPECT_EQ(val(s->match_str("/a")), "x");
  EXPECT_EQ(s->match_str("/A"), nullptr);
  EXPECT_EQ(s->match_str("/a/"), nullptr);
  auto i = make(MatchKind::Str, {{"Foo", "1"}, {"FOO", "2"}}, true);
  EXPECT_EQ(val(i->match_str("fOO")), "1");
  EXPECT_FALSE(i->indexed(i->entries()[0]));   // -i: HAProxy's list
  EXPECT_TRUE(s->indexed(s->entries()[0]));
}

TEST(Pattern, BegLongestWhenCaseSensitiveFirstWithIcase) {
  // Measured on HAProxy 2.6: map_beg on "/a/b/c" with "/a x" then "/a/b y" gives y.
  auto s = make(MatchKind::Beg, {{"/a", "x"}, {"/a/b", "y"}, {"", "empty"}});
  EXPECT_EQ(val(s->match_str("/a/b/c")), "y");
  EXPECT_EQ(val(s->match_str("/a/c")), "x");
  EXPECT_EQ(val(s->match_str("/zz")), "empty");
  auto i = make(MatchKind::Beg, {{"/A", "x"}, {"/a/B", "y"}}, true);
  EXPECT_EQ(val(i->match_str("/a/b/c")), "x");
  EXPECT_EQ(i->match_str("/b"), nullptr);
}

TEST(Pattern, EndFirstInFileOrder) {
  auto s = make(MatchKind::End, {{"b/c", "bc"}, {"c", "c"}, {".JPG", "jpg"}});
  EXPECT_EQ(val(s->match_str("/a/b/c")), "bc");
  EXPECT_EQ(val(s->match_str("/x/c")), "c");
  EXPECT_EQ(s->match_str("/x/c/"), nullptr);
  EXPECT_EQ(s->match_str("a.jpg"), nullptr);
  auto i = make(MatchKind::End, {{"c", "c"}, {"b/c", "bc"}, {".JPG", "jpg"}}, true);
  EXPECT_EQ(val(i->match_str("/a/b/c")), "c");
  EXPECT_EQ(val(i->match_str("a.jpg")), "jpg");
}

TEST(Pattern, SubLinearFirst) {
  auto s = make(MatchKind::Sub, {{"bb", "1"}, {"b", "2"}});
  EXPECT_EQ(val(s->match_str("abbc")), "1");
  EXPECT_EQ(val(s->match_str("abc")), "2");
  EXPECT_EQ(s->match_str("ac"), nullptr);
  auto i = make(MatchKind::Sub, {{"BoT", "bot"}}, true);
  EXPECT_EQ(val(i->match_str("GoogleBOT/2")), "bot");
}

TEST(Pattern, DirSlashDelimitedParts) {
  // HAProxy 2.6 measured: "/a" matches part "a" of "/xx/a/b" (pattern delimiters ignored).
  auto s = make(MatchKind::Dir, {{"/a", "x"}, {"/a/b", "y"}, {"img/", "img"}});
  EXPECT_EQ(val(s->match_str("/a/b/c")), "x");
  EXPECT_EQ(val(s->match_str("/xx/a/b")), "x");
  EXPECT_EQ(val(s->match_str("/q/a?x=1")), "x");   // '?' delimits too
  EXPECT_EQ(val(s->match_str("/static/img/1.png")), "img");
  EXPECT_EQ(s->match_str("/ab/c"), nullptr);
  EXPECT_EQ(s->match_str("/ba"), nullptr);
  EXPECT_EQ(s->match_str("/a.b"), nullptr);   // '.' is not a dir delimiter
  auto two = make(MatchKind::Dir, {{"b/c", "bc"}});
  EXPECT_EQ(val(two->match_str("/a/b/c/d")), "bc");
  EXPECT_EQ(two->match_str("/a/bb/c"), nullptr);
  auto i = make(MatchKind::Dir, {{"API", "api"}}, true);
  EXPECT_EQ(val(i->match_str("/v1/api/x")), "api");
}

TEST(Pattern, DomDotDelimitedParts) {
  auto s = make(MatchKind::Dom, {{"example.com", "ex"}, {"www", "www"}});
  EXPECT_EQ(val(s->match_str("www.example.com")), "ex");
  EXPECT_EQ(val(s->match_str("example.com:8080")), "ex");
  EXPECT_EQ(val(s->match_str("www.other.org")), "www");
  EXPECT_EQ(s->match_str("myexample.com"), nullptr);
  EXPECT_EQ(s->match_str("example.community"), nullptr);
}

TEST(Pattern, RegFirstAndCaptures) {
  auto s = make(MatchKind::Reg, {{"^/api/(v[0-9]+)/(.*)$", "api"}, {"bot", "bot"}});
  EXPECT_EQ(val(s->match_str("/api/v2/users")), "api");
  EXPECT_EQ(s->match_str("/BOT"), nullptr);
  Captures c;
  const Entry* e = s->match_reg("/api/v2/users", c);
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(c.count, 3u);
  EXPECT_EQ(c.group[1], (std::pair<size_t, size_t>{5, 7}));
  EXPECT_EQ(c.group[2], (std::pair<size_t, size_t>{8, 13}));
  auto i = make(MatchKind::Reg, {{"bot", "bot"}}, true);
  EXPECT_EQ(val(i->match_str("/BOT")), "bot");
  auto bad = PatternSet::build({.kind = MatchKind::Reg}, texts({{"(", ""}}));
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("invalid regex '('"), std::string::npos);
}

TEST(Pattern, BinHex) {
  auto s = make(MatchKind::Bin, {{"414243", "abc"}, {"00ff", "nul"}});
  EXPECT_EQ(val(s->match_str("ABC")), "abc");
  EXPECT_EQ(val(s->match_str(std::string_view("\0\xff", 2))), "nul");
  EXPECT_EQ(s->match_str("AB"), nullptr);
  int line = 0;
  auto odd = PatternSet::build({.kind = MatchKind::Bin}, texts({{"41", ""}, {"414", ""}}), &line);
  ASSERT_FALSE(odd.has_value());
  EXPECT_EQ(odd.error().message, "an even number of hex digit is expected.");
  EXPECT_EQ(line, 2);
  EXPECT_EQ(PatternSet::check({.kind = MatchKind::Bin}, "4g", std::nullopt).error().message,
            "an hex digit is expected (found 'g').");
}

TEST(Pattern, IntRangesFirstInFileOrder) {
  auto s = make(MatchKind::Int, {{"10:20", "a"}, {"15", "b"}, {":5", "le5"}, {"100:", "ge100"}, {"-3", "dash"},
                                 {"1-2", "r12"}, {"5:15", "c"}});
  EXPECT_EQ(val(s->match_int(15)), "a");
  EXPECT_EQ(val(s->match_int(12)), "a");
  EXPECT_EQ(val(s->match_int(21)), "<none>");
  EXPECT_EQ(val(s->match_int(7)), "c");
  EXPECT_EQ(val(s->match_int(5)), "le5");
  EXPECT_EQ(val(s->match_int(-1000)), "le5");
  EXPECT_EQ(val(s->match_int(1000)), "ge100");
  EXPECT_EQ(val(s->match_int(INT64_MAX)), "ge100");
  EXPECT_EQ(val(s->match_int(INT64_MIN)), "le5");
  auto len = make(MatchKind::Len, {{"3", "three"}, {"5:", "long"}});
  EXPECT_EQ(val(len->match_str("abc")), "three");
  EXPECT_EQ(val(len->match_str("abcdefg")), "long");
  EXPECT_EQ(len->match_str("ab"), nullptr);
  auto err = [](std::string p) { return PatternSet::check({.kind = MatchKind::Int}, p, std::nullopt).error().message; };
  EXPECT_EQ(err("x"), "'x' is not a number.");
  EXPECT_EQ(err("99999999999999999999"), "'99999999999999999999' is not a number.");
  EXPECT_EQ(err("5-1"), "'5-1' is not a valid number range.");
  EXPECT_EQ(err(":"), "':' is not a valid number range.");
  EXPECT_EQ(err(""), "'' is not a valid number range.");
}

TEST(Pattern, IntOperators) {
  std::vector<std::string> w = {"gt", "5", "1:3", "lt", "0", "eq", "7", "le", "9", "ge", "2"};
  auto r = expand_int_operators(w);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, (std::vector<std::string>{"6:", "1:3", ":-1", "7", ":9", "2:"}));
  std::vector<std::string> bad = {"gt", "x"};
  EXPECT_FALSE(expand_int_operators(bad).has_value());
}

TEST(Pattern, IpLongestPrefixV4V6AndMapped) {
  // The HAProxy 2.6 answers for the same file, measured with map_ip.
  auto s = make(MatchKind::Ip, {{"10.0.0.0/8", "eight"},
                                {"10.1.0.0/16", "sixteen"},
                                {"10.1.2.3", "host"},
                                {"::ffff:192.168.0.0/112", "mapped"},
                                {"2001:db8::/32", "v6"},
                                {"172.16.0.0/255.240.0.0", "dotted"},
                                {"11.0.0.0/255.0.255.0", "noncontig"}});
  EXPECT_EQ(val(s->match_ipv4(v4("10.1.2.3"))), "host");
  EXPECT_EQ(val(s->match_ipv4(v4("10.2.0.1"))), "eight");
  EXPECT_EQ(val(s->match_ipv4(v4("10.1.9.9"))), "sixteen");
  EXPECT_EQ(val(s->match_ipv4(v4("192.168.1.1"))), "mapped");
  EXPECT_EQ(val(s->match_ipv4(v4("172.31.0.1"))), "dotted");
  EXPECT_EQ(val(s->match_ipv4(v4("11.9.0.7"))), "noncontig");
  EXPECT_EQ(s->match_ipv4(v4("11.9.1.7")), nullptr);
  EXPECT_EQ(val(s->match_ipv6(v6("::ffff:10.1.9.9"))), "sixteen");
  EXPECT_EQ(val(s->match_ipv6(v6("::10.1.2.3"))), "host");
  EXPECT_EQ(val(s->match_ipv6(v6("2002:0a01:0203::1"))), "host");   // 6to4
  EXPECT_EQ(val(s->match_ipv6(v6("2001:db8:1::1"))), "v6");
  EXPECT_EQ(val(s->match_ipv6(v6("::ffff:11.3.0.1"))), "noncontig");
  EXPECT_EQ(s->match_ipv6(v6("2001:db9::1")), nullptr);
  EXPECT_FALSE(s->indexed(s->entries()[6]));
  EXPECT_TRUE(s->indexed(s->entries()[0]));
  auto all = make(MatchKind::Ip, {{"0.0.0.0/0", "any4"}, {"::/0", "any6"}});
  EXPECT_EQ(val(all->match_ipv4(v4("1.2.3.4"))), "any4");
  EXPECT_EQ(val(all->match_ipv6(v6("fe80::1"))), "any6");
}

TEST(Pattern, IpErrorsAndNames) {
  auto err = [](std::string p, bool startup = true) {
    auto r = PatternSet::check({.kind = MatchKind::Ip, .startup = startup}, p, std::nullopt);
    return r ? std::string("ok") : r.error().message;
  };
  EXPECT_EQ(err("1.2.3.4/33"), "'1.2.3.4/33' is not a valid IPv4 or IPv6 address.");
  EXPECT_EQ(err("::1/129"), "'::1/129' is not a valid IPv4 or IPv6 address.");
  EXPECT_EQ(err("10.0.0.0/"), "'10.0.0.0/' is not a valid IPv4 or IPv6 address.");
  EXPECT_NE(err("localhost").find("not supported by sluice"), std::string::npos);
  EXPECT_EQ(err("localhost", false), "'localhost' is not a valid IPv4 or IPv6 address.");
  EXPECT_EQ(err("10.1"), "ok");   // the resolver's short form, at startup only
  EXPECT_EQ(err("10.1", false), "'10.1' is not a valid IPv4 or IPv6 address.");
  auto s = make(MatchKind::Ip, {{"10.1", "short"}});
  EXPECT_EQ(val(s->match_ipv4(v4("10.0.0.1"))), "short");
}

TEST(Pattern, FoundAndBoolTakeNoPattern) {
  auto r = PatternSet::build({.kind = MatchKind::Found}, texts({{"foo", ""}}));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("not supported by sluice"), std::string::npos);
  auto e = PatternSet::build({.kind = MatchKind::Bool}, {});
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE((*e)->empty());
}

TEST(Pattern, ValuesParsedOnce) {
  auto s = PatternSet::build({.kind = MatchKind::Str, .values = ValueKind::Int}, texts({{"a", "-42"}}));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ((*s)->match_str("a")->int_value, -42);
  EXPECT_FALSE(PatternSet::build({.kind = MatchKind::Str, .values = ValueKind::Int}, texts({{"a", "4x"}})));
  auto ip = PatternSet::build({.kind = MatchKind::Str, .values = ValueKind::Ip},
                              texts({{"a", "10.0.0.1"}, {"b", "::1"}}));
  ASSERT_TRUE(ip.has_value());
  EXPECT_FALSE((*ip)->match_str("a")->value_is_v6);
  EXPECT_TRUE((*ip)->match_str("b")->value_is_v6);
}

// ---- files and references -------------------------------------------------------------------

TEST(PatternFile, MapAndAclLinesAsHaproxy) {
  auto m = parse_pattern_file("# c\n/a x\n  /c   spaced value  \r\n\n#k v\nkeyonly\n\t\n  #notcomment v\n", true);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->size(), 4u);
  EXPECT_EQ((*m)[0].pattern, "/a");
  EXPECT_EQ((*m)[0].line, 2);
  EXPECT_EQ((*m)[1].pattern, "/c");
  EXPECT_EQ(*(*m)[1].value, "spaced value");
  EXPECT_EQ((*m)[2].pattern, "keyonly");
  EXPECT_EQ(*(*m)[2].value, "");
  EXPECT_EQ((*m)[3].pattern, "#notcomment");
  auto a = parse_pattern_file("foo\n  bar  \n#c\n", false);
  ASSERT_TRUE(a.has_value());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[1].pattern, "bar  ");   // trailing blanks are part of an ACL pattern
  EXPECT_FALSE(parse_pattern_file(std::string(20000, 'a'), false).has_value());
}

TEST(PatternRefs, SharedByNameAndId) {
  PatternRefs refs;
  auto r = refs.load_text("/m.map", "/a x\n/a/b y\n", true);
  ASSERT_TRUE(r.has_value());
  auto again = refs.load_text("/m.map", "ignored", true);
  EXPECT_EQ(*again, *r);
  EXPECT_EQ(refs.find("#0"), *r);
  EXPECT_EQ(refs.find("/m.map"), *r);
  EXPECT_EQ(refs.find("#1"), nullptr);
  auto inl = refs.add_inline("acl 'path_beg' file 'h.cfg' line 3", {"/x", "/y"});
  ASSERT_TRUE(inl.has_value());
  EXPECT_EQ((*inl)->unique_id(), 1);
  EXPECT_EQ((*inl)->description(), "acl 'path_beg' file 'h.cfg' line 3");
  EXPECT_FALSE(refs.add_inline("dup", {}, 1).has_value());
  auto h1 = (*r)->attach({.kind = MatchKind::Beg, .values = ValueKind::Str});
  auto h2 = (*r)->attach({.kind = MatchKind::Beg, .values = ValueKind::Str});
  auto h3 = (*r)->attach({.kind = MatchKind::Str, .values = ValueKind::Str});
  ASSERT_TRUE(h1 && h2 && h3);
  EXPECT_EQ(*h1, *h2);
  EXPECT_NE(*h1, *h3);
  EXPECT_EQ(val((*h1)->get()->match_str("/a/b/c")), "y");
  (*r)->add_user(PatternRef::Use::Map, "map at file 'h.cfg' line 12");
  EXPECT_EQ((*r)->description(), "pattern loaded from file '/m.map' used by map at file 'h.cfg' line 12");
  EXPECT_FALSE(refs.load_file("/nonexistent/file.map", true).has_value());
}

TEST(PatternRefs, AttachErrorNamesTheLine) {
  PatternRefs refs;
  auto r = refs.load_text("/ips.acl", "10.0.0.1\n\nnot-an-ip!\n", false);
  ASSERT_TRUE(r.has_value());
  auto h = (*r)->attach({.kind = MatchKind::Ip});
  ASSERT_FALSE(h.has_value());
  EXPECT_EQ(h.error().message, "line 3: 'not-an-ip!' is not a valid IPv4 or IPv6 address.");
}

TEST(PatternRefs, RuntimeUpdatesRebuildEveryUser) {
  PatternRefs refs;
  PatternRef* r = *refs.load_text("/m.map", "/a x\n/dup one\n/dup two\n", true);
  PatternHandle* beg = *r->attach({.kind = MatchKind::Beg, .values = ValueKind::Str});
  PatternHandle* ip_int = nullptr;
  PatternHandle* str = *r->attach({.kind = MatchKind::Str, .values = ValueKind::Str});
  const PatternSet* before = str->get();
  ASSERT_TRUE(r->add("/new", "v", std::nullopt).has_value());
  EXPECT_NE(str->get(), before);
  EXPECT_EQ(val(str->get()->match_str("/new")), "v");
  EXPECT_EQ(val(beg->get()->match_str("/new/x")), "v");
  EXPECT_EQ(refs.retired(), 2u);   // both old sets wait for a grace period
  refs.reclaim(refs.retire_epoch());
  EXPECT_EQ(refs.retired(), 0u);

  ASSERT_TRUE(r->set_key("/dup", "three").has_value());
  EXPECT_EQ(val(str->get()->match_str("/dup")), "three");
  EXPECT_EQ(r->entries()[2].value, "three");   // every entry with the key
  EXPECT_EQ(r->set_key("/nokey", "v").error().message, "entry not found.");
  ASSERT_TRUE(r->del_key("/dup").has_value());
  EXPECT_EQ(str->get()->match_str("/dup"), nullptr);
  EXPECT_EQ(r->del_key("/dup").error().message, "Key not found.");
  uint64_t id = r->entries()[0].id;
  ASSERT_TRUE(r->set_id(id, "X").has_value());
  EXPECT_EQ(val(str->get()->match_str("/a")), "X");
  ASSERT_TRUE(r->del_id(id).has_value());
  EXPECT_EQ(str->get()->match_str("/a"), nullptr);
  r->clear(std::nullopt);
  EXPECT_TRUE(str->get()->empty());
  (void)ip_int;
}

TEST(PatternRefs, RuntimeAddIsCheckedByEveryUser) {
  PatternRefs refs;
  PatternRef* r = *refs.load_text("/ips.map", "10.0.0.0/8 1\n", true);
  PatternHandle* ip = *r->attach({.kind = MatchKind::Ip, .values = ValueKind::Int});
  EXPECT_EQ(r->add("10.1", "2", std::nullopt).error().message, "'10.1' is not a valid IPv4 or IPv6 address.");
  EXPECT_EQ(r->add("11.0.0.0/8", "x", std::nullopt).error().message,
            "unable to parse value 'x' as an integer");
  EXPECT_FALSE(r->set_key("10.0.0.0/8", "y").has_value());
  ASSERT_TRUE(r->add("10.1.0.0/16", "2", std::nullopt).has_value());
  in_addr a{};
  inet_pton(AF_INET, "10.1.0.9", &a);
  EXPECT_EQ(ip->get()->match_ipv4(a)->int_value, 2);
  EXPECT_EQ(r->entry_count(), 2u);
}

TEST(PatternRefs, PrepareCommitSwapsAtomically) {
  PatternRefs refs;
  PatternRef* r = *refs.load_text("/m.map", "/a x\n", true);
  PatternHandle* h = *r->attach({.kind = MatchKind::Str, .values = ValueKind::Str});
  uint32_t v1 = r->prepare(), v2 = r->prepare();
  EXPECT_EQ(v1, 1u);
  EXPECT_EQ(v2, 2u);
  EXPECT_EQ(r->add("k", "v", 9).error().message, "Version number in the future, please use 'prepare map' before.");
  ASSERT_TRUE(r->add("/v2", "two", v2).has_value());
  ASSERT_TRUE(r->add("/v1", "one", v1).has_value());
  EXPECT_EQ(h->get()->match_str("/v2"), nullptr);   // invisible until commit
  EXPECT_EQ(val(h->get()->match_str("/a")), "x");
  EXPECT_EQ(r->entries(v2).size(), 1u);
  r->clear(v1);
  EXPECT_TRUE(r->entries(v1).empty());
  ASSERT_TRUE(r->commit(v2).has_value());
  EXPECT_EQ(r->curr_gen(), 2u);
  EXPECT_EQ(val(h->get()->match_str("/v2")), "two");
  EXPECT_EQ(h->get()->match_str("/a"), nullptr);
  EXPECT_EQ(r->entry_count(), 1u);
  EXPECT_EQ(r->commit(v1).error().message, "Version number out of range.");
  EXPECT_EQ(r->commit(v2).error().message, "Version number out of range.");
  // A version newer than the committed one survives the commit.
  uint32_t v3 = r->prepare(), v4 = r->prepare();
  ASSERT_TRUE(r->add("/v4", "four", v4).has_value());
  ASSERT_TRUE(r->add("/v3", "three", v3).has_value());
  ASSERT_TRUE(r->commit(v3).has_value());
  EXPECT_EQ(val(h->get()->match_str("/v3")), "three");
  EXPECT_EQ(r->entries(v4).size(), 1u);
  ASSERT_TRUE(r->commit(v4).has_value());
  EXPECT_EQ(val(h->get()->match_str("/v4")), "four");
  EXPECT_EQ(h->get()->match_str("/v3"), nullptr);
}

// Readers look up without locks while the admin thread changes the map; a replaced set is
// freed only after both readers passed a quiescent point (here: the end of a loop turn,
// as a worker's return to its event loop). Under ASan a use after free would abort.
TEST(PatternRefs, ConcurrentReadersDuringUpdates) {
  PatternRefs refs;
  PatternRef* r = *refs.load_text("/m.map", "/base b\n", true);
  PatternHandle* h = *r->attach({.kind = MatchKind::Beg, .values = ValueKind::Str});
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> turns[2] = {0, 0};
  std::atomic<uint64_t> hits{0};
  auto reader = [&](int i) {
    while (!stop.load()) {
      const PatternSet* s = h->get();
      const Entry* e = s->match_str("/base/x");
      if (e && e->value && *e->value == "b") hits.fetch_add(1, std::memory_order_relaxed);
      turns[i].fetch_add(1);   // quiescent: holds nothing from the set any more
    }
  };
  std::thread t1(reader, 0), t2(reader, 1);
  for (int i = 0; i < 90; ++i) {
    EXPECT_TRUE(r->add("/k" + std::to_string(i), "v", std::nullopt).has_value());
    if (i % 3 == 0) {
      EXPECT_TRUE(r->del_key("/k" + std::to_string(i)).has_value());
    }
    uint64_t epoch = refs.retire_epoch();
    uint64_t a = turns[0].load(), b = turns[1].load();
    while (turns[0].load() < a + 2 || turns[1].load() < b + 2) std::this_thread::yield();
    refs.reclaim(epoch);
  }
  stop = true;
  t1.join();
  t2.join();
  EXPECT_GT(hits.load(), 0u);
  EXPECT_EQ(refs.retired(), 0u);
  EXPECT_EQ(val(h->get()->match_str("/k89/x")), "v");   // 89 % 3 == 2: kept
  EXPECT_EQ(val(h->get()->match_str("/k89")), "v");
  EXPECT_EQ(h->get()->match_str("/k0"), nullptr);
}

}  // namespace
}  // namespace sluice::rules
