// Layer 4/5 fetches (HAProxy 2.6 manual 7.3.3): addresses, ports, the client socket's TCP
// state, and the names and ids of the proxies and server handling the stream.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "backend/backend.h"
#include "net/socket.h"
#include "rules/domains.h"

namespace sluice::rules {

namespace {

bool inet(const sockaddr_storage* a) { return a != nullptr && (a->ss_family == AF_INET || a->ss_family == AF_INET6); }

bool f_src(const Args&, Ctx& c, Sample& s) { return Sample::of_sockaddr(c.src, s); }
bool f_dst(const Args&, Ctx& c, Sample& s) { return Sample::of_sockaddr(c.dst, s); }
bool f_src_port(const Args&, Ctx& c, Sample& s) {
  if (!inet(c.src)) return false;
  s = Sample::of_int(net::port_of(reinterpret_cast<const sockaddr*>(c.src)));
  return true;
}
bool f_dst_port(const Args&, Ctx& c, Sample& s) {
  if (!inet(c.dst)) return false;
  s = Sample::of_int(net::port_of(reinterpret_cast<const sockaddr*>(c.dst)));
  return true;
}
bool f_so_id(const Args&, Ctx& c, Sample& s) {
  s = Sample::of_int(c.so_id);
  return true;
}
bool f_so_name(const Args&, Ctx& c, Sample& s) {
  if (c.so_name.empty()) return false;
  s = Sample::of_str(c.so_name);
  return true;
}

// fc_*: TCP_INFO of the client socket. Times in milliseconds unless the unit argument says
// "us", as HAProxy.
template <int Field>
bool f_tcpinfo(const Args& a, Ctx& c, Sample& s) {
  if (c.fd < 0 || !inet(c.src)) return false;
  tcp_info ti{};
  socklen_t len = sizeof ti;
  if (::getsockopt(c.fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return false;
  int64_t v = 0;
  bool us = a.has(0) && a[0].str == "us";
  switch (Field) {
    case 0: v = us ? ti.tcpi_rtt : ti.tcpi_rtt / 1000; break;
    case 1: v = us ? ti.tcpi_rttvar : ti.tcpi_rttvar / 1000; break;
    case 2: v = ti.tcpi_unacked; break;
    case 3: v = ti.tcpi_sacked; break;
    case 4: v = ti.tcpi_retrans; break;
    case 5: v = ti.tcpi_lost; break;
    case 6: v = ti.tcpi_reordering; break;
    case 7: v = ti.tcpi_fackets; break;
    case 8: v = ti.tcpi_total_retrans; break;
    default: return false;
  }
  s = Sample::of_int(v);
  return true;
}
Result<void> check_unit(Args& a, CompileCtx&) {
  if (a.has(0) && a[0].str != "ms" && a[0].str != "us")
    return fail("the unit must be 'ms' or 'us'");
  return {};
}

bool f_fe_id(const Args&, Ctx& c, Sample& s) {
  if (c.fe_name.empty()) return false;
  s = Sample::of_int(c.fe_id);
  return true;
}
bool f_fe_name(const Args&, Ctx& c, Sample& s) {
  if (c.fe_name.empty()) return false;
  s = Sample::of_str(c.fe_name);
  return true;
}
bool f_be_id(const Args&, Ctx& c, Sample& s) {
  if (c.be == nullptr) return false;
  s = Sample::of_int(c.be->id());
  return true;
}
bool f_be_name(const Args&, Ctx& c, Sample& s) {
  if (c.be == nullptr) return false;
  s = Sample::of_str(c.be->name());
  return true;
}
bool f_srv_id(const Args&, Ctx& c, Sample& s) {
  if (c.srv == nullptr) return false;
  s = Sample::of_int(c.srv->id());
  return true;
}
bool f_srv_name(const Args&, Ctx& c, Sample& s) {
  if (c.srv == nullptr) return false;
  s = Sample::of_str(c.srv->name());
  return true;
}

constexpr uint16_t kL4 = kL4Phases;
// The backend and server exist once a backend is chosen: from the backend's rules on.
constexpr uint16_t kBe = kHttpReq | kReqContent | kHttpRes | kAfterRes | kResContent | kLog;
constexpr uint16_t kSrv = kHttpRes | kAfterRes | kResContent | kLog;

constexpr FetchDef kRows[] = {
    {"src", "", Type::Addr, kL4, f_src, nullptr, "the client's address (IPv4 or IPv6)"},
    {"dst", "", Type::Addr, kL4, f_dst, nullptr, "the address the client connected to"},
    {"src_port", "", Type::Sint, kL4, f_src_port, nullptr, "the client's port"},
    {"dst_port", "", Type::Sint, kL4, f_dst_port, nullptr, "the port the client connected to"},
    {"so_id", "", Type::Sint, kL4, f_so_id, nullptr, "the id of the bind line that accepted the connection"},
    {"so_name", "", Type::Str, kL4, f_so_name, nullptr, "the name of the bind line that accepted the connection"},
    {"fc_rtt", "s", Type::Sint, kL4, f_tcpinfo<0>, nullptr, "smoothed round-trip time of the client connection (ms or us)", {}, check_unit},
    {"fc_rttvar", "s", Type::Sint, kL4, f_tcpinfo<1>, nullptr, "round-trip time variance of the client connection", {}, check_unit},
    {"fc_unacked", "", Type::Sint, kL4, f_tcpinfo<2>, nullptr, "unacknowledged segments of the client connection"},
    {"fc_sacked", "", Type::Sint, kL4, f_tcpinfo<3>, nullptr, "selectively acknowledged segments"},
    {"fc_retrans", "", Type::Sint, kL4, f_tcpinfo<4>, nullptr, "segments being retransmitted"},
    {"fc_lost", "", Type::Sint, kL4, f_tcpinfo<5>, nullptr, "segments considered lost"},
    {"fc_reordering", "", Type::Sint, kL4, f_tcpinfo<6>, nullptr, "reordering seen on the client connection"},
    {"fc_fackets", "", Type::Sint, kL4, f_tcpinfo<7>, nullptr, "forward-acknowledged segments"},
    {"fc_total_retrans", "", Type::Sint, kL4, f_tcpinfo<8>, nullptr, "total retransmissions of the client connection"},
    {"fe_id", "", Type::Sint, kL4, f_fe_id, nullptr, "the frontend's id"},
    {"fe_name", "", Type::Str, kL4, f_fe_name, nullptr, "the frontend's name"},
    {"be_id", "", Type::Sint, kBe, f_be_id, nullptr, "the backend's id"},
    {"be_name", "", Type::Str, kBe, f_be_name, nullptr, "the backend's name"},
    {"srv_id", "", Type::Sint, kSrv, f_srv_id, nullptr, "the server's id"},
    {"srv_name", "", Type::Str, kSrv, f_srv_name, nullptr, "the server's name"},
};

}  // namespace

std::span<const FetchDef> fetch_l4() { return kRows; }

}  // namespace sluice::rules
