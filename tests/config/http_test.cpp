// `http: { listen, allow, max_clients }`, the dashboard's key (docs/http.md).
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace oscbridge::config {
namespace {

using testing::error_of;
using testing::errors_of;
using testing::kTwoEndpoints;
using testing::loaded;

TEST(Http, OffUnlessConfigured) {
  EXPECT_FALSE(loaded(kTwoEndpoints).http.enabled);
  EXPECT_FALSE(loaded("http: off\n" + std::string(kTwoEndpoints)).http.enabled);
}

TEST(Http, TheBuiltInDefaultServesOnLoopback) {
  Config config = default_config();
  EXPECT_TRUE(config.http.enabled);
  EXPECT_EQ(config.http.listen, (HostPort{"127.0.0.1", 8080}));
  EXPECT_TRUE(config.http.allow.empty());
}

TEST(Http, ReadsListenAllowAndMaxClients) {
  Config config =
      loaded("http: { listen: 127.0.0.1:8081, allow: [127.0.0.0/8, \"::1\"], max_clients: 4 }\n" +
             std::string(kTwoEndpoints));
  EXPECT_TRUE(config.http.enabled);
  EXPECT_EQ(config.http.listen, (HostPort{"127.0.0.1", 8081}));
  ASSERT_EQ(config.http.allow.size(), 2u);
  EXPECT_EQ(to_string(config.http.allow[0]), "127.0.0.0/8");
  EXPECT_EQ(to_string(config.http.allow[1]), "::1/128");
  EXPECT_EQ(config.http.max_clients, 4);
  Config any = loaded("http:\n  listen: 0.0.0.0:8080\n" + std::string(kTwoEndpoints));
  EXPECT_EQ(any.http.listen, (HostPort{"0.0.0.0", 8080}));
  EXPECT_EQ(any.http.max_clients, 16);
}

TEST(Http, ReportsBadValuesAtTheirPosition) {
  const std::string endpoints(kTwoEndpoints);
  EXPECT_EQ(error_of("http: { listen: bridge.local:8080 }\n" + endpoints),
            "t.yaml:1:17: listen: expected an IP address such as 127.0.0.1:8080 or "
            "\"[::1]:8080\", got the host name 'bridge.local'");
  EXPECT_EQ(error_of("http:\n  listen: \"[::1]:8080\"\n" + endpoints),
            "t.yaml:2:11: listen: the HTTP server listens on IPv4 addresses only, such as "
            "127.0.0.1:8080 or 0.0.0.0:8080");
  EXPECT_EQ(error_of("http: { listen: 127.0.0.1:0 }\n" + endpoints).substr(0, 24),
            "t.yaml:1:17: listen: por");
  EXPECT_EQ(
      error_of("http: { listen: 127.0.0.1:8080, max_clients: 0 }\n" + endpoints).substr(0, 26),
      "t.yaml:1:46: max_clients: ");
  EXPECT_EQ(error_of("http:\n  listen: 127.0.0.1:8080\n  allow: [10.0.0.1/8]\n" + endpoints)
                .substr(0, 19),
            "t.yaml:3:11: allow:");
  EXPECT_EQ(error_of("http: { allow: [127.0.0.1] }\n" + endpoints),
            "t.yaml:1:1: http: missing 'listen', e.g. { listen: 127.0.0.1:8080 }");
  EXPECT_EQ(error_of("http: { listen: 127.0.0.1:8080, lisen: 1 }\n" + endpoints).substr(0, 13),
            "t.yaml:1:33: ");
  EXPECT_EQ(error_of("http: 8080\n" + endpoints),
            "t.yaml:1:7: http: expected a mapping such as { listen: 127.0.0.1:8080 }, or off; "
            "got the number 8080");
  // Every error at once, and nothing else lost.
  EXPECT_EQ(errors_of("http: { listen: x:y, max_clients: -1 }\n" + endpoints).size(), 2u);
}

}  // namespace
}  // namespace oscbridge::config
