#include "config/address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>

namespace oscbridge::config {
namespace {

HostPort parsed(std::string_view text) {
  HostPortResult result = parse_host_port(text);
  EXPECT_TRUE(result.address) << text << ": " << result.error;
  EXPECT_EQ(result.error, "");
  return result.address.value_or(HostPort{});
}

std::string error_of(std::string_view text) {
  HostPortResult result = parse_host_port(text);
  EXPECT_FALSE(result.address) << text;
  return result.error;
}

TEST(HostPort, AcceptsIpv4Ipv6AndNames) {
  EXPECT_EQ(parsed("1.2.3.4:80"), (HostPort{"1.2.3.4", 80}));
  EXPECT_EQ(parsed("[::1]:80"), (HostPort{"::1", 80}));
  EXPECT_EQ(parsed("[fe80::1:2]:65535"), (HostPort{"fe80::1:2", 65535}));
  EXPECT_EQ(parsed("host.name:80"), (HostPort{"host.name", 80}));
  EXPECT_EQ(parsed("mixer-1:1"), (HostPort{"mixer-1", 1}));
  EXPECT_EQ(parsed("0.0.0.0:8000"), (HostPort{"0.0.0.0", 8000}));
}

TEST(HostPort, PrintsTheFormItAccepts) {
  EXPECT_EQ(to_string(HostPort{"1.2.3.4", 80}), "1.2.3.4:80");
  EXPECT_EQ(to_string(HostPort{"::1", 80}), "[::1]:80");
  EXPECT_EQ(to_string(HostPort{"host.name", 80}), "host.name:80");
}

TEST(HostPort, RejectsPortsOutOfRange) {
  EXPECT_EQ(error_of("1.2.3.4:0"), "port 0 is out of range 1..65535");
  EXPECT_EQ(error_of("1.2.3.4:65536"), "port 65536 is out of range 1..65535");
  EXPECT_EQ(error_of("1.2.3.4:99999999999999999999"),
            "port 99999999999999999999 is out of range 1..65535");
  EXPECT_EQ(error_of("1.2.3.4:-1"), "port '-1' is not a number");
  EXPECT_EQ(error_of("1.2.3.4:http"), "port 'http' is not a number");
  EXPECT_EQ(error_of("1.2.3.4:"), "missing port after ':'");
}

TEST(HostPort, RejectsMalformedHosts) {
  EXPECT_EQ(error_of("1.2.3.4"),
            "missing port in '1.2.3.4': expected host:port such as "
            "127.0.0.1:9000");
  EXPECT_EQ(error_of("192.168.1.300:80"), "'192.168.1.300' is not an IPv4 address");
  EXPECT_EQ(error_of("1.2.3:80"), "'1.2.3' is not an IPv4 address");
  EXPECT_EQ(error_of("::1:80"), "IPv6 addresses need brackets: [::1]:80");
  EXPECT_EQ(error_of("[::g]:80"), "'::g' is not an IPv6 address");
  EXPECT_EQ(error_of("[::1]80"), "missing port: expected [IPv6]:port such as [::1]:9000");
  EXPECT_EQ(error_of("[::1:80"), "missing ']' after the IPv6 address");
  EXPECT_EQ(error_of(":80"), "missing host before ':' (0.0.0.0 listens on every IPv4 address)");
  EXPECT_EQ(error_of("bad_host:80"), "'bad_host' is not a valid host name or address");
  EXPECT_EQ(error_of("-bad.host:80"), "'-bad.host' is not a valid host name or address");
  EXPECT_EQ(error_of("a..b:80"), "'a..b' is not a valid host name or address");
  EXPECT_EQ(error_of("a b:80"), "address 'a b:80' contains a space");
  EXPECT_EQ(error_of(""), "empty address; expected host:port such as 127.0.0.1:9000");
}

Cidr cidr_of(std::string_view text) {
  CidrResult result = parse_cidr(text);
  EXPECT_TRUE(result.cidr) << text << ": " << result.error;
  return result.cidr.value_or(Cidr{});
}

sockaddr_storage ipv4_peer(const char* address) {
  sockaddr_storage storage{};
  auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
  v4.sin_family = AF_INET;
  EXPECT_EQ(inet_pton(AF_INET, address, &v4.sin_addr), 1);
  return storage;
}

sockaddr_storage ipv6_peer(const char* address) {
  sockaddr_storage storage{};
  auto& v6 = reinterpret_cast<sockaddr_in6&>(storage);
  v6.sin6_family = AF_INET6;
  EXPECT_EQ(inet_pton(AF_INET6, address, &v6.sin6_addr), 1);
  return storage;
}

TEST(HostPort, AcceptsLinkLocalIpv6WithAScope) {
  // The scope stays in host, as getaddrinfo reads it; an interface index works too.
  EXPECT_EQ(parsed("[fe80::1%eth0]:9000"), (HostPort{"fe80::1%eth0", 9000}));
  EXPECT_EQ(parsed("[fe80::a:b%enp0s31f6]:1"), (HostPort{"fe80::a:b%enp0s31f6", 1}));
  EXPECT_EQ(parsed("[febf::1%wlan0.1]:1"), (HostPort{"febf::1%wlan0.1", 1}));
  EXPECT_EQ(parsed("[fe80::1%2]:80"), (HostPort{"fe80::1%2", 80}));
  EXPECT_EQ(to_string(HostPort{"fe80::1%eth0", 9000}), "[fe80::1%eth0]:9000");
}

TEST(HostPort, RejectsScopesThatCannotWork) {
  EXPECT_EQ(error_of("[::1%lo]:80"),
            "'::1%lo': only link-local addresses (fe80::/10) take a scope such as %eth0");
  EXPECT_EQ(error_of("[2001:db8::1%eth0]:80"),
            "'2001:db8::1%eth0': only link-local addresses (fe80::/10) take a scope such as %eth0");
  EXPECT_EQ(error_of("[fec0::1%eth0]:80"),
            "'fec0::1%eth0': only link-local addresses (fe80::/10) take a scope such as %eth0");
  for (const char* text : {"[fe80::1%]:80", "[fe80::1%a/b]:80", "[fe80::1%sixteen-bytes-xx]:80",
                           "[fe80::1%..]:80", "[fe80::1%e%f]:80"}) {
    const std::string host = std::string(text).substr(1, std::string(text).find(']') - 1);
    EXPECT_EQ(error_of(text), "'" + host +
                                  "': expected a network interface name or index after '%', "
                                  "such as [fe80::1%eth0]:9000");
  }
  EXPECT_EQ(error_of("[fe80::1%eth 0]:80"), "address '[fe80::1%eth 0]:80' contains a space");
  EXPECT_EQ(error_of("[fe80::x%eth0]:80"), "'fe80::x' is not an IPv6 address");
  EXPECT_EQ(error_of("fe80::1%eth0:9000"), "IPv6 addresses need brackets: [fe80::1%eth0]:9000");
}

TEST(HostPort, EscapesControlBytesInErrors) {
  // The command line uses these messages directly; a terminal must not act on the text.
  EXPECT_EQ(error_of("1.2.3.4:\x1b[2J"), "port '\\x1b[2J' is not a number");
  EXPECT_EQ(error_of("host\x9b:1"), "'host\\x9b' is not a valid host name or address");
}

TEST(Cidr, ParsesFamilyAddressAndPrefix) {
  const Cidr lan = cidr_of("192.168.1.0/24");
  EXPECT_EQ(lan.family, AddressFamily::ipv4);
  EXPECT_EQ(lan.prefix_length, 24);
  EXPECT_EQ(lan.address[0], 192);
  EXPECT_EQ(lan.address[2], 1);
  EXPECT_EQ(to_string(lan), "192.168.1.0/24");
  const Cidr host = cidr_of("10.0.0.7");
  EXPECT_EQ(host.prefix_length, 32);
  const Cidr v6 = cidr_of("fd00::/8");
  EXPECT_EQ(v6.family, AddressFamily::ipv6);
  EXPECT_EQ(v6.prefix_length, 8);
  EXPECT_EQ(v6.address[0], 0xfd);
  EXPECT_EQ(to_string(v6), "fd00::/8");
  EXPECT_EQ(cidr_of("::1").prefix_length, 128);
  EXPECT_EQ(cidr_of("0.0.0.0/0").prefix_length, 0);
}

TEST(Cidr, RejectsBadNetworks) {
  EXPECT_EQ(parse_cidr("192.168.1.5/24").error,
            "'192.168.1.5/24' has bits set after the prefix; did you mean 192.168.1.0/24?");
  EXPECT_EQ(parse_cidr("10.0.0.0/33").error, "prefix length '33' in '10.0.0.0/33' must be 0..32");
  EXPECT_EQ(parse_cidr("fd00::/129").error, "prefix length '129' in 'fd00::/129' must be 0..128");
  EXPECT_EQ(parse_cidr("10.0.0.0/").error, "prefix length '' in '10.0.0.0/' must be 0..32");
  EXPECT_EQ(parse_cidr("10.0.0.0/x").error, "prefix length 'x' in '10.0.0.0/x' must be 0..32");
  EXPECT_EQ(parse_cidr("lan/24").error,
            "'lan/24' is not an address or network such as 192.168.1.0/24 or fd00::/8");
  EXPECT_FALSE(parse_cidr("192.168.1.5/24").cidr);
}

TEST(Cidr, ContainsIpv4Peers) {
  const Cidr lan = cidr_of("192.168.1.0/24");
  EXPECT_TRUE(lan.contains(ipv4_peer("192.168.1.0")));
  EXPECT_TRUE(lan.contains(ipv4_peer("192.168.1.255")));
  EXPECT_FALSE(lan.contains(ipv4_peer("192.168.2.1")));
  EXPECT_FALSE(lan.contains(ipv4_peer("192.168.0.255")));
  const Cidr odd = cidr_of("10.0.0.0/9");
  EXPECT_TRUE(odd.contains(ipv4_peer("10.127.255.255")));
  EXPECT_FALSE(odd.contains(ipv4_peer("10.128.0.0")));
  EXPECT_TRUE(cidr_of("0.0.0.0/0").contains(ipv4_peer("203.0.113.9")));
  EXPECT_FALSE(cidr_of("0.0.0.0/0").contains(ipv6_peer("2001:db8::1")));
}

TEST(Cidr, MatchesIpv4MappedIpv6PeersAgainstIpv4Networks) {
  const Cidr lan = cidr_of("192.168.1.0/24");
  EXPECT_TRUE(lan.contains(ipv6_peer("::ffff:192.168.1.77")));
  EXPECT_FALSE(lan.contains(ipv6_peer("::ffff:192.168.2.77")));
  // The same low 32 bits without the ffff marker is a different IPv6 address.
  EXPECT_FALSE(lan.contains(ipv6_peer("::192.168.1.77")));
}

TEST(Cidr, ContainsIpv6Peers) {
  const Cidr ula = cidr_of("fd00::/8");
  EXPECT_TRUE(ula.contains(ipv6_peer("fd12:3456::1")));
  EXPECT_FALSE(ula.contains(ipv6_peer("fe80::1")));
  EXPECT_FALSE(ula.contains(ipv4_peer("127.0.0.1")));
  const Cidr loopback = cidr_of("::1");
  EXPECT_TRUE(loopback.contains(ipv6_peer("::1")));
  EXPECT_FALSE(loopback.contains(ipv6_peer("::2")));
}

TEST(Cidr, ContainsRawBytes) {
  const Cidr lan = cidr_of("192.168.1.0/24");
  const std::uint8_t inside[4] = {192, 168, 1, 20};
  const std::uint8_t outside[4] = {192, 168, 3, 20};
  EXPECT_TRUE(lan.contains(std::span<const std::uint8_t>(inside)));
  EXPECT_FALSE(lan.contains(std::span<const std::uint8_t>(outside)));
  const std::uint8_t three[3] = {192, 168, 1};
  EXPECT_FALSE(lan.contains(std::span<const std::uint8_t>(three)));
  sockaddr_storage unix_peer{};
  unix_peer.ss_family = AF_UNIX;
  EXPECT_FALSE(cidr_of("0.0.0.0/0").contains(unix_peer));
}

TEST(ListenOverlap, ScopedAddressesOverlapOnlyOnTheSameInterface) {
  EXPECT_TRUE(listen_addresses_overlap({"fe80::1%eth0", 80}, {"fe80:0::1%eth0", 80}));
  EXPECT_FALSE(listen_addresses_overlap({"fe80::1%eth0", 80}, {"fe80::1%eth1", 80}));
  EXPECT_FALSE(listen_addresses_overlap({"fe80::1%eth0", 80}, {"fe80::2%eth0", 80}));
  EXPECT_TRUE(listen_addresses_overlap({"fe80::1%eth0", 80}, {"::", 80}));
}

TEST(ListenOverlap, SamePortWithSameOrWildcardHost) {
  EXPECT_TRUE(listen_addresses_overlap({"127.0.0.1", 80}, {"127.0.0.1", 80}));
  EXPECT_TRUE(listen_addresses_overlap({"0.0.0.0", 80}, {"192.168.1.2", 80}));
  EXPECT_TRUE(listen_addresses_overlap({"192.168.1.2", 80}, {"0.0.0.0", 80}));
  EXPECT_TRUE(listen_addresses_overlap({"::", 80}, {"127.0.0.1", 80}));
  EXPECT_TRUE(listen_addresses_overlap({"::1", 80}, {"0:0::1", 80}));
  EXPECT_TRUE(listen_addresses_overlap({"Studio.local", 80}, {"studio.local", 80}));
  EXPECT_FALSE(listen_addresses_overlap({"0.0.0.0", 80}, {"0.0.0.0", 81}));
  EXPECT_FALSE(listen_addresses_overlap({"127.0.0.1", 80}, {"127.0.0.2", 80}));
  EXPECT_FALSE(listen_addresses_overlap({"localhost", 80}, {"127.0.0.2", 80}));
}

TEST(LiteralFamily, OfLiteralsOnly) {
  EXPECT_EQ(literal_family("10.0.0.1"), AddressFamily::ipv4);
  EXPECT_EQ(literal_family("::1"), AddressFamily::ipv6);
  EXPECT_EQ(literal_family("fe80::1%eth0"), AddressFamily::ipv6);
  EXPECT_EQ(literal_family("::ffff:10.0.0.1"), AddressFamily::ipv6);
  EXPECT_EQ(literal_family("mixer.local"), std::nullopt);
  EXPECT_TRUE(carries_ipv4("10.0.0.1"));
  EXPECT_TRUE(carries_ipv4("::ffff:10.0.0.1"));
  EXPECT_FALSE(carries_ipv4("::1"));
  EXPECT_FALSE(carries_ipv4("::"));
  EXPECT_FALSE(carries_ipv4("localhost"));
  EXPECT_TRUE(is_any_address("0.0.0.0"));
  EXPECT_TRUE(is_any_address("::"));
  EXPECT_TRUE(is_any_address("0::0"));
  EXPECT_FALSE(is_any_address("::ffff:0.0.0.0"));
  EXPECT_FALSE(is_any_address("::1"));
}

TEST(MayReach, SameAddressLoopbackNamesAndWildcards) {
  EXPECT_TRUE(may_reach({"192.168.1.5", 80}, {"192.168.1.5", 80}));  // bound, so local
  EXPECT_FALSE(may_reach({"192.168.1.5", 80}, {"192.168.1.5", 81}));
  EXPECT_FALSE(may_reach({"127.0.0.1", 80}, {"127.0.0.2", 80}));
  EXPECT_TRUE(may_reach({"127.0.0.1", 80}, {"localhost", 80}));
  EXPECT_TRUE(may_reach({"localhost", 80}, {"::1", 80}));
  EXPECT_TRUE(may_reach({"Mixer.local", 80}, {"mixer.local", 80}));
  EXPECT_FALSE(may_reach({"localhost", 80}, {"10.0.0.1", 80}));
  EXPECT_TRUE(may_reach({"0.0.0.0", 80}, {"127.0.0.2", 80}));
  EXPECT_TRUE(may_reach({"0.0.0.0", 80}, {"::ffff:127.0.0.1", 80}));
  EXPECT_TRUE(may_reach({"0.0.0.0", 80}, {"localhost", 80}));
  EXPECT_TRUE(may_reach({"0.0.0.0", 80}, {"0.0.0.0", 80}));
  EXPECT_FALSE(may_reach({"0.0.0.0", 80}, {"::1", 80}));  // an IPv4 socket
  EXPECT_FALSE(may_reach({"0.0.0.0", 80}, {"10.0.0.1", 80}));
  EXPECT_FALSE(may_reach({"0.0.0.0", 80}, {"mixer.local", 80}));
  EXPECT_TRUE(may_reach({"::", 80}, {"127.0.0.1", 80}));  // dual stack
  EXPECT_TRUE(may_reach({"::", 80}, {"::1", 80}));
  EXPECT_FALSE(may_reach({"::1", 80}, {"127.0.0.1", 80}));
  EXPECT_TRUE(may_reach({"fe80::1%lo", 80}, {"fe80::1%lo", 80}));
  EXPECT_FALSE(may_reach({"fe80::1%lo", 80}, {"fe80::1%eth0", 80}));
}

}  // namespace
}  // namespace oscbridge::config
