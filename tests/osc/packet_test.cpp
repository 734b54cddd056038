#include "osc/packet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <string>
#include <vector>

#include "tests/osc/osc_test_util.h"

namespace oscbridge::osc {
namespace {

using testing::be32;
using testing::be64;
using testing::blob;
using testing::bundle;
using testing::ExactBuffer;
using testing::message;
using testing::nested_bundles;
using testing::padded;

std::string every_type_message() {
  return message(
      "/every/type", "ifsbhtdScrmTFNI[if]",
      be32(static_cast<std::uint32_t>(-42)) + be32(std::bit_cast<std::uint32_t>(0.5f)) +
          padded("hello") + blob("\x01\x02\x03") +
          be64(static_cast<std::uint64_t>(-(std::int64_t{1} << 40))) + be64(0xE874A5800000000Full) +
          be64(std::bit_cast<std::uint64_t>(3.25)) + padded("sym") + be32('x') + be32(0x11223344) +
          std::string("\x00\x90\x3c\x64", 4) + be32(7) + be32(std::bit_cast<std::uint32_t>(-1.0f)));
}

Result<Packet> parse(const ExactBuffer& buffer, const ParseOptions& options = {}) {
  return parse_packet(buffer.view(), options);
}

TEST(PacketTest, ParsesEveryTypeInPlace) {
  const ExactBuffer bytes(every_type_message());
  Result<Packet> parsed = parse(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.error().reason << " at " << parsed.error().offset;
  ASSERT_TRUE(parsed->is_message());
  const Message& m = parsed->message();
  EXPECT_EQ(m.address(), "/every/type");
  EXPECT_EQ(m.type_tags(), "ifsbhtdScrmTFNI[if]");
  EXPECT_TRUE(m.has_type_tag_string());
  EXPECT_EQ(m.bytes().data(), bytes.view().data());  // a view, not a copy
  EXPECT_EQ(m.address().data(), bytes.view().data());
  EXPECT_EQ(m.argument_data().data(), bytes.view().data() + 12 + 24);

  std::vector<Argument> args(m.arguments().begin(), m.arguments().end());
  ASSERT_EQ(args.size(), 19u);
  EXPECT_EQ(args[0].as_int32(), -42);
  EXPECT_EQ(args[1].as_float(), 0.5f);
  EXPECT_EQ(args[2].as_string(), "hello");
  EXPECT_EQ(args[2].raw(), padded("hello"));
  EXPECT_EQ(args[3].as_blob(), "\x01\x02\x03");
  EXPECT_EQ(args[3].raw(), blob("\x01\x02\x03"));
  EXPECT_EQ(args[4].as_int64(), -(std::int64_t{1} << 40));
  EXPECT_EQ(args[5].as_timetag(), TimeTag(0xE874A5800000000Full));
  EXPECT_EQ(args[6].as_double(), 3.25);
  EXPECT_EQ(args[7].tag(), 'S');
  EXPECT_EQ(args[7].as_string(), "sym");
  EXPECT_EQ(args[8].as_char(), 'x');
  EXPECT_EQ(args[9].as_rgba(), 0x11223344u);
  EXPECT_EQ(args[10].as_midi(), (std::array<std::uint8_t, 4>{0x00, 0x90, 0x3c, 0x64}));
  EXPECT_TRUE(args[11].as_bool());
  EXPECT_FALSE(args[12].as_bool());
  EXPECT_EQ(args[13].tag(), 'N');
  EXPECT_EQ(args[14].tag(), 'I');
  EXPECT_EQ(args[15].tag(), '[');
  EXPECT_EQ(args[16].as_int32(), 7);
  EXPECT_EQ(args[17].as_float(), -1.0f);
  EXPECT_EQ(args[18].tag(), ']');
  for (int i : {11, 12, 13, 14, 15, 18}) EXPECT_TRUE(args[i].raw().empty()) << i;

  // Raw bytes of all arguments, in order, are exactly the argument data.
  std::string joined;
  for (const Argument& a : args) joined += a.raw();
  EXPECT_EQ(joined, m.argument_data());
}

TEST(PacketTest, AccessorsOfAnotherTagReadZero) {
  const ExactBuffer bytes(message("/a", "is", be32(5) + padded("x")));
  Result<Packet> parsed = parse(bytes);
  ASSERT_TRUE(parsed.ok());
  const Argument i = *parsed->message().argument(0);
  EXPECT_EQ(i.as_float(), 0.0f);
  EXPECT_EQ(i.as_string(), "");
  EXPECT_EQ(i.as_int64(), 0);
  EXPECT_EQ(i.numeric_value(), 5.0);
  EXPECT_EQ(i.integer_value(), 5);
  const Argument s = *parsed->message().argument(1);
  EXPECT_EQ(s.as_int32(), 0);
  EXPECT_EQ(s.numeric_value(), std::nullopt);
  EXPECT_EQ(parsed->message().argument(2), std::nullopt);
  EXPECT_EQ(Argument('i', "ab").as_int32(), 0);  // too few bytes: zero, not a read past the end
  EXPECT_EQ(Argument('b', be32(100)).as_blob(), "");
}

TEST(PacketTest, MessageWithoutTypeTagStringHasNoArguments) {
  const ExactBuffer bare(message("/xinfo"));
  Result<Packet> parsed = parse(bare);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->message().address(), "/xinfo");
  EXPECT_FALSE(parsed->message().has_type_tag_string());
  EXPECT_TRUE(parsed->message().type_tags().empty());
  EXPECT_TRUE(parsed->message().arguments().empty());

  const ExactBuffer with_data(message("/legacy") + be32(5));
  parsed = parse(with_data);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->message().arguments().empty());
  EXPECT_EQ(parsed->message().argument_data(), be32(5));
  EXPECT_EQ(parsed->message().after_address(), be32(5));
}

TEST(PacketTest, EmptyTypeTagStringAndEdgeSizes) {
  for (const std::string& ok :
       {message("/", ""), message("/ping", ""), message("/s", "s", padded("abcd")),
        message("/s", "s", padded("")), message("/b", "b", blob("")),
        message("/b", "b", blob("1234")), message("/b", "b", blob("12345")),
        message("/arr", "[[i]s[]]", be32(1) + padded("x"))}) {
    const ExactBuffer bytes(ok);
    Result<Packet> parsed = parse(bytes);
    EXPECT_TRUE(parsed.ok()) << parsed.error().reason;
  }
}

struct BadCase {
  const char* name;
  std::string bytes;
  std::string_view reason;
};

TEST(PacketTest, MalformedMessagesGiveReasons) {
  const std::vector<BadCase> cases = {
      {"empty", "", "empty packet"},
      {"one byte", "/", "packet size not a multiple of 4"},
      {"size+1", message("/a", "i", be32(1)) + '\0', "packet size not a multiple of 4"},
      {"no slash", message("abc", "i", be32(1)),
       "not OSC: address must start with '/' or be #bundle"},
      {"http", "GET / HTTP/1.1\r\n\r\n\r\n", "not OSC: address must start with '/' or be #bundle"},
      {"address no NUL", "/abcdefg", "address not NUL-terminated"},
      {"address padding", std::string("/a\0x,i\0\0", 8) + be32(1),
       "non-zero padding after address"},
      {"tags no NUL", std::string("/a\0\0,iii", 8), "type tags not NUL-terminated"},
      {"tags padding", std::string("/a\0\0,i\0x", 8) + be32(1), "non-zero padding after type tags"},
      {"tags longer than data", message("/a", "iii", be32(1)),
       "argument data shorter than the type tags"},
      {"string missing", message("/a", "s"), "argument data shorter than the type tags"},
      {"string no NUL", message("/a", "s") + "abcd", "string argument not NUL-terminated"},
      {"string runs to end", message("/a", "s") + "abcdefgh", "string argument not NUL-terminated"},
      {"string padding", message("/a", "s") + std::string("ab\0x", 4),
       "non-zero padding after string argument"},
      {"blob no size", message("/a", "b"), "blob size missing"},
      {"blob negative", message("/a", "b", be32(0xFFFFFFFC) + be32(0)), "negative blob size"},
      {"blob ffffffff", message("/a", "b", be32(0xFFFFFFFF) + be32(0)), "negative blob size"},
      {"blob 7fffffff", message("/a", "b", be32(0x7FFFFFFF) + be32(0)),
       "blob larger than what remains"},
      {"blob too large", message("/a", "b", be32(8) + be32(0)), "blob larger than what remains"},
      {"blob no padding", message("/a", "b", be32(5) + "12345\0\0"),
       "packet size not a multiple of 4"},
      {"blob padding", message("/a", "b", be32(1) + "1xyz"), "non-zero padding after blob"},
      {"unknown tag", message("/a", "ix", be32(1) + be32(2)), "unknown type tag"},
      {"open", message("/a", "[i", be32(1)), "unbalanced '[' in type tags"},
      {"close", message("/a", "i]", be32(1)), "unbalanced ']' in type tags"},
      {"close open", message("/a", "]["), "unbalanced ']' in type tags"},
      {"trailing", message("/a", "i", be32(1) + be32(2)), "bytes left after the last argument"},
      {"bundle 8", std::string("#bundle\0", 8), "bundle shorter than 16 bytes"},
      {"bundle 12", std::string("#bundle\0", 8) + be32(0), "bundle shorter than 16 bytes"},
      {"hash not bundle", message("#bundlx", "i", be32(1)),
       "not OSC: address must start with '/' or be #bundle"},
      {"element 0", bundle({}) + be32(0), "bundle element of size 0"},
      {"element 5", bundle({}) + be32(5) + message("/a", ""),
       "bundle element size not a multiple of 4"},
      {"element large", bundle({}) + be32(12) + message("/a", ""),
       "bundle element larger than what remains"},
      {"element negative", bundle({}) + be32(0xFFFFFFFC) + message("/a", ""),
       "negative bundle element size"},
      {"element 7fffffff", bundle({}) + be32(0x7FFFFFFF) + message("/a", ""),
       "bundle element size not a multiple of 4"},
      {"element 7ffffffc", bundle({}) + be32(0x7FFFFFFC) + message("/a", ""),
       "bundle element larger than what remains"},
      {"element malformed", bundle({message("/a", "s") + "abcd"}),
       "string argument not NUL-terminated"},
      {"element not osc", bundle({"GET / HTTP/1.0\r\n"}),
       "not OSC: address must start with '/' or be #bundle"},
      {"inner element past its bundle",
       bundle({std::string("#bundle\0", 8) + be64(1) + be32(12) + message("/a", ""),
               message("/b", "")}),
       "bundle element larger than what remains"},
  };
  for (const BadCase& c : cases) {
    const ExactBuffer bytes(c.bytes);
    Result<Packet> parsed = parse(bytes);
    ASSERT_FALSE(parsed.ok()) << c.name;
    EXPECT_EQ(parsed.error().reason, c.reason) << c.name;
    EXPECT_LE(parsed.error().offset, c.bytes.size()) << c.name;
  }
}

TEST(PacketTest, ErrorOffsetsPointAtTheFault) {
  const std::string unknown = message("/a", "ix", be32(1) + be32(2));
  Result<Packet> parsed = parse(ExactBuffer(unknown));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().offset, 6u);  // "/a\0\0" then ',' 'i' 'x'

  const std::string inner = message("/a", "s") + "abcd";
  const std::string in_bundle = bundle({message("/ok", ""), inner});
  parsed = parse(ExactBuffer(in_bundle));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().offset, in_bundle.size());  // the string runs to the very end
}

// A prefix that ends exactly after the address is itself a valid OSC 1.0 message without a
// type-tag string, and a bundle cut exactly between elements is a valid shorter bundle: those
// positions must parse as such; every other position must be an error.
TEST(PacketTest, TruncatedAtEveryBytePositionIsAnError) {
  struct Whole {
    std::string bytes;
    std::vector<std::size_t> valid_prefixes;
  };
  const std::string first = every_type_message();
  const std::vector<Whole> wholes = {
      {every_type_message(), {padded("/every/type").size()}},
      {bundle({first, message("/b", "i", be32(2))}, 77), {16, 16 + 4 + first.size()}},
      {nested_bundles(3, message("/deep", "s", padded("text"))), {16}},
  };
  for (const Whole& whole : wholes) {
    ASSERT_TRUE(parse(ExactBuffer(whole.bytes)).ok());
    for (std::size_t cut = 0; cut < whole.bytes.size(); ++cut) {
      const ExactBuffer truncated(std::string_view(whole.bytes).substr(0, cut));
      Result<Packet> parsed = parse(truncated);
      const bool valid_prefix = std::find(whole.valid_prefixes.begin(), whole.valid_prefixes.end(),
                                          cut) != whole.valid_prefixes.end();
      EXPECT_EQ(parsed.ok(), valid_prefix) << "cut at " << cut;
      if (!parsed.ok()) {
        EXPECT_FALSE(parsed.error().reason.empty());
      } else if (parsed->is_message()) {
        EXPECT_FALSE(parsed->message().has_type_tag_string());
        EXPECT_TRUE(parsed->message().arguments().empty());
      }
    }
  }
}

TEST(PacketTest, BundleViewsAndTimetags) {
  const std::string first = message("/a", "i", be32(1));
  const std::string inner = bundle({message("/b", "f", be32(0))}, 99);
  const ExactBuffer bytes(bundle({first, inner, message("/c")}, 42));
  Result<Packet> parsed = parse(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.error().reason;
  ASSERT_TRUE(parsed->is_bundle());
  EXPECT_EQ(parsed->bundle().time(), TimeTag(42));
  std::vector<Packet> elements(parsed->bundle().elements().begin(),
                               parsed->bundle().elements().end());
  ASSERT_EQ(elements.size(), 3u);
  EXPECT_EQ(elements[0].message().address(), "/a");
  EXPECT_EQ(elements[0].bytes(), first);
  EXPECT_EQ(elements[0].message().argument(0)->as_int32(), 1);
  ASSERT_TRUE(elements[1].is_bundle());
  EXPECT_EQ(elements[1].bundle().time(), TimeTag(99));
  EXPECT_EQ((*elements[1].bundle().elements().begin()).message().address(), "/b");
  EXPECT_FALSE(elements[2].message().has_type_tag_string());

  const ExactBuffer empty(bundle({}));
  parsed = parse(empty);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->bundle().elements().empty());
}

TEST(PacketTest, BundleDepthIsLimited) {
  const std::string leaf = message("/x", "i", be32(3));
  EXPECT_TRUE(parse(ExactBuffer(nested_bundles(8, leaf))).ok());
  for (int depth : {9, 1000, 50000}) {
    const ExactBuffer bytes(nested_bundles(depth, leaf));
    Result<Packet> parsed = parse(bytes);
    ASSERT_FALSE(parsed.ok()) << depth;
    EXPECT_EQ(parsed.error().reason, "bundles nested too deeply") << depth;
    EXPECT_EQ(parsed.error().offset, 8u * 20u);  // the ninth "#bundle", 20 bytes per level
  }
  EXPECT_FALSE(parse(ExactBuffer(nested_bundles(3, leaf)), ParseOptions{2}).ok());
  EXPECT_TRUE(parse(ExactBuffer(nested_bundles(2, leaf)), ParseOptions{2}).ok());
  EXPECT_TRUE(parse(ExactBuffer(nested_bundles(20, leaf)), ParseOptions{20}).ok());
  // Settings outside [1, kMaxBundleDepthLimit] are clamped, never unbounded.
  EXPECT_TRUE(parse(ExactBuffer(nested_bundles(1, leaf)), ParseOptions{0}).ok());
  EXPECT_FALSE(
      parse(ExactBuffer(nested_bundles(kMaxBundleDepthLimit + 1, leaf)), ParseOptions{1 << 30})
          .ok());
}

TEST(PacketTest, ForEachMessageUnpacksBundlesWithInnermostTime) {
  const std::string packet = bundle(
      {message("/1"), bundle({message("/2"), bundle({message("/3")}, 30)}, 20), message("/4")}, 10);
  std::vector<std::pair<std::string, std::uint64_t>> seen;
  Status status = for_each_message(ExactBuffer(packet).view(), [&](const Message& m, TimeTag t) {
    seen.emplace_back(std::string(m.address()), t.ntp());
  });
  ASSERT_TRUE(status.ok());
  const std::vector<std::pair<std::string, std::uint64_t>> expected = {
      {"/1", 10}, {"/2", 20}, {"/3", 30}, {"/4", 10}};
  EXPECT_EQ(seen, expected);

  seen.clear();
  status = for_each_message(message("/solo", ""), [&](const Message& m, TimeTag t) {
    seen.emplace_back(std::string(m.address()), t.ntp());
  });
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::uint64_t>>{{"/solo", 1}}));
}

TEST(PacketTest, ForEachMessageDeliversNothingFromAMalformedPacket) {
  const std::string packet = bundle({message("/fine", ""), message("/bad", "s") + "abcd"});
  int delivered = 0;
  Status status = for_each_message(packet, [&](const Message&, TimeTag) { ++delivered; });
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.error().reason, "string argument not NUL-terminated");
  EXPECT_EQ(delivered, 0);

  status = for_each_message(nested_bundles(9, message("/x")),
                            [&](const Message&, TimeTag) { ++delivered; });
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(delivered, 0);
  status = for_each_message(
      nested_bundles(9, message("/x")), [&](const Message&, TimeTag) { ++delivered; },
      ParseOptions{9});
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(delivered, 1);
}

TEST(PacketTest, DefaultViewsAreEmptyAndSafe) {
  const Packet packet;
  EXPECT_TRUE(packet.is_message());
  EXPECT_TRUE(packet.message().address().empty());
  EXPECT_TRUE(packet.message().arguments().empty());
  EXPECT_TRUE(Bundle().elements().empty());
  Result<Packet> failed = parse_packet("");
  EXPECT_TRUE(failed.value().message().arguments().empty());
}

}  // namespace
}  // namespace oscbridge::osc
