// Scoped link-local IPv6 addresses ("fe80::1%lo"): literal, resolved without a lookup into a
// sockaddr_in6 that carries the interface, shown with it, and an unknown interface named in
// the error. Uses `lo`, which every Linux machine and network namespace has; nothing is sent.
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>

#include "socket/resolve.h"

namespace oscbridge::socket {
namespace {

TEST(ScopedAddress, IsALiteral) {
  EXPECT_TRUE(is_literal_address("fe80::1%lo"));
  EXPECT_TRUE(is_literal_address("[fe80::1%lo]"));
  EXPECT_TRUE(is_literal_address("fe80::1%nosuch0"));  // literal; the interface is checked later
  EXPECT_TRUE(is_literal_address("::1"));
  EXPECT_FALSE(is_literal_address("fe80::1%"));
  EXPECT_FALSE(is_literal_address("mixer%lo"));
}

TEST(ScopedAddress, ResolvesToTheInterfacesScopeId) {
  const unsigned lo = ::if_nametoindex("lo");
  ASSERT_NE(lo, 0u);
  for (const std::string& host : {std::string("fe80::1%lo"), "fe80::1%" + std::to_string(lo)}) {
    const ResolvedAddress resolved = resolve_address(host, 9000, Protocol::udp, AF_INET6, 0);
    ASSERT_TRUE(resolved.ok()) << host << ": " << resolved.error;
    ASSERT_EQ(resolved.address.ss_family, AF_INET6);
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(resolved.address);
    EXPECT_EQ(v6.sin6_scope_id, lo) << host;
    EXPECT_EQ(ntohs(v6.sin6_port), 9000);
    EXPECT_EQ(format_address(resolved.address), "[fe80::1%lo]:9000");
  }
}

TEST(ScopedAddress, AnUnknownInterfaceIsNamedInTheError) {
  ASSERT_EQ(::if_nametoindex("nosuch0"), 0u);
  const ResolvedAddress resolved = resolve_address("fe80::1%nosuch0", 9000, Protocol::udp);
  EXPECT_FALSE(resolved.ok());
  EXPECT_EQ(
      resolved.error,
      "cannot resolve 'fe80::1%nosuch0': no network interface named 'nosuch0' on this machine");
}

}  // namespace
}  // namespace oscbridge::socket
