#include "osc/encoder.h"

#include <gtest/gtest.h>

#include <bit>
#include <string>
#include <vector>

#include "osc/packet.h"
#include "tests/osc/osc_test_util.h"

namespace oscbridge::osc {
namespace {

using testing::be32;
using testing::be64;
using testing::blob;
using testing::bundle;
using testing::message;
using testing::padded;

// Writes into the first `size` bytes of a larger buffer whose tail must stay untouched.
class GuardedBuffer {
 public:
  explicit GuardedBuffer(std::size_t size) : size_(size), storage_(size + kGuard, kCanary) {}
  std::span<char> span() { return std::span<char>(storage_.data(), size_); }
  std::string_view first(std::size_t n) const { return std::string_view(storage_.data(), n); }
  bool guard_intact() const {
    for (std::size_t i = size_; i < storage_.size(); ++i) {
      if (storage_[i] != kCanary) return false;
    }
    return true;
  }

 private:
  static constexpr std::size_t kGuard = 64;
  static constexpr char kCanary = '\x5A';
  std::size_t size_;
  std::vector<char> storage_;
};

void add_every_type(MessageBuilder& m) {
  m.add_int32(-42)
      .add_float(0.5f)
      .add_string("hello")
      .add_blob("\x01\x02\x03")
      .add_int64(-(std::int64_t{1} << 40))
      .add_timetag(TimeTag(0xE874A5800000000Full))
      .add_double(3.25)
      .add_symbol("sym")
      .add_char('x')
      .add_rgba(0x11223344)
      .add_midi({0x00, 0x90, 0x3c, 0x64})
      .add_bool(true)
      .add_bool(false)
      .add_nil()
      .add_infinitum()
      .begin_array()
      .add_int32(7)
      .add_float(-1.0f)
      .end_array();
}

std::string expected_every_type() {
  return message(
      "/every/type", "ifsbhtdScrmTFNI[if]",
      be32(static_cast<std::uint32_t>(-42)) + be32(std::bit_cast<std::uint32_t>(0.5f)) +
          padded("hello") + blob("\x01\x02\x03") +
          be64(static_cast<std::uint64_t>(-(std::int64_t{1} << 40))) + be64(0xE874A5800000000Full) +
          be64(std::bit_cast<std::uint64_t>(3.25)) + padded("sym") + be32('x') + be32(0x11223344) +
          std::string("\x00\x90\x3c\x64", 4) + be32(7) + be32(std::bit_cast<std::uint32_t>(-1.0f)));
}

TEST(EncoderTest, EncodesEveryTypeByteForByte) {
  GuardedBuffer buffer(512);
  MessageBuilder m(buffer.span(), "/every/type");
  add_every_type(m);
  Result<std::size_t> size = m.finish();
  ASSERT_TRUE(size.ok()) << size.error().reason;
  EXPECT_EQ(buffer.first(*size), expected_every_type());
  EXPECT_TRUE(buffer.guard_intact());
  EXPECT_FALSE(m.finish().ok());  // single use
}

TEST(EncoderTest, MessagesWithFewArguments) {
  std::vector<char> buffer(64);
  MessageBuilder none(buffer, "/ping");
  Result<std::size_t> size = none.finish();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(std::string_view(buffer.data(), *size), message("/ping", ""));

  MessageBuilder one(buffer, "/a");
  one.add_int32(1);
  size = one.finish();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(std::string_view(buffer.data(), *size), message("/a", "i", be32(1)));

  MessageBuilder strings(buffer, "/abc");
  strings.add_string("").add_string("abcd").add_blob("");
  size = strings.finish();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(std::string_view(buffer.data(), *size),
            message("/abc", "ssb", padded("") + padded("abcd") + blob("")));
}

TEST(EncoderTest, ReportsTooSmallAtEverySizeAndNeverWritesPastTheSpan) {
  const std::string expected = expected_every_type();
  for (std::size_t size = 0; size < expected.size(); ++size) {
    GuardedBuffer buffer(size);
    MessageBuilder m(buffer.span(), "/every/type");
    add_every_type(m);
    Result<std::size_t> result = m.finish();
    ASSERT_FALSE(result.ok()) << size;
    EXPECT_EQ(result.error().reason, "output buffer too small") << size;
    EXPECT_TRUE(buffer.guard_intact()) << size;
  }
  GuardedBuffer exact(expected.size());
  MessageBuilder m(exact.span(), "/every/type");
  add_every_type(m);
  Result<std::size_t> result = m.finish();
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(exact.first(*result), expected);
}

TEST(EncoderTest, LongArgumentListsGrowTheTagArea) {
  std::vector<char> buffer(8192);
  for (int count : {5, 6, 7, 8, 100, 1000}) {
    MessageBuilder m(buffer, "/many");
    std::string tags;
    std::string data;
    for (int i = 0; i < count; ++i) {
      if (i % 3 == 0) {
        m.add_string("s" + std::to_string(i));
        tags += 's';
        data += padded("s" + std::to_string(i));
      } else {
        m.add_int32(i);
        tags += 'i';
        data += be32(static_cast<std::uint32_t>(i));
      }
    }
    Result<std::size_t> size = m.finish();
    ASSERT_TRUE(size.ok()) << count;
    EXPECT_EQ(std::string_view(buffer.data(), *size), message("/many", tags.c_str(), data))
        << count;
  }
}

// The builders encode any address that starts with '/' (a received "/a//b" passes through);
// address_problem() is the full OSC rule for addresses a program composes.
TEST(EncoderTest, AddressProblemIsTheFullOscRule) {
  EXPECT_EQ(address_problem("/track/3/volume"), "");
  EXPECT_EQ(address_problem("/a"), "");
  EXPECT_EQ(address_problem("track"), "address must start with '/'");
  EXPECT_EQ(address_problem(""), "address must start with '/'");
  EXPECT_EQ(address_problem(std::string_view("/a\0b", 4)), "address contains NUL");
  EXPECT_EQ(address_problem(std::string_view("/a//\0b", 6)), "address contains NUL");
  EXPECT_EQ(address_problem(std::string_view("/a/b\0", 5)), "address contains NUL");
  EXPECT_EQ(address_problem("/track//volume"), "address has an empty level ('//')");
  EXPECT_EQ(address_problem("//volume"), "address has an empty level ('//')");
  EXPECT_EQ(address_problem("/track/"), "address ends with '/' (an empty level)");
  EXPECT_EQ(address_problem("/"), "address ends with '/' (an empty level)");
  std::vector<char> buffer(64);
  MessageBuilder lenient(buffer, "/a//b");
  EXPECT_TRUE(lenient.finish().ok());
}

TEST(EncoderTest, RejectsBadInputWithReasons) {
  std::vector<char> buffer(128);
  {
    MessageBuilder m(buffer, "no/slash");
    EXPECT_EQ(m.finish().error().reason, "address must start with '/'");
  }
  {
    MessageBuilder m(buffer, "");
    EXPECT_EQ(m.finish().error().reason, "address must start with '/'");
  }
  {
    MessageBuilder m(buffer, std::string_view("/a\0b", 4));
    EXPECT_EQ(m.finish().error().reason, "address contains NUL");
  }
  {
    MessageBuilder m(buffer, "/a");
    m.add_string(std::string_view("x\0y", 3)).add_int32(1);
    EXPECT_EQ(m.finish().error().reason, "string argument contains NUL");
  }
  {
    MessageBuilder m(buffer, "/a");
    m.begin_array().add_int32(1);
    EXPECT_EQ(m.finish().error().reason, "unbalanced '['");
  }
  {
    MessageBuilder m(buffer, "/a");
    m.end_array();
    EXPECT_EQ(m.finish().error().reason, "unbalanced ']'");
  }
  {
    MessageBuilder m(buffer, "/a");
    m.add_argument(Argument('x', "abcd"));
    EXPECT_EQ(m.finish().error().reason, "unknown type tag");
  }
  const std::string blob_unpadded = be32(5) + "12345";
  const std::string blob_bad_padding = be32(1) + "1xyz";
  for (const Argument& bad :
       {Argument('i', "abc"), Argument('d', "abcd"), Argument('s', "abcd"),
        Argument('s', std::string_view("ab\0x", 4)),
        Argument('S', std::string_view("abcd\0\0\0x", 8)), Argument('b', blob_unpadded),
        Argument('b', blob_bad_padding), Argument('b', "ab"), Argument('T', "abcd")}) {
    MessageBuilder m(buffer, "/a");
    m.add_argument(bad);
    EXPECT_EQ(m.finish().error().reason, "argument bytes do not match the type tag") << bad.tag();
  }
  {
    MessageBuilder m(buffer, "/a");
    m.add_argument(Argument('s', std::string_view("abc\0", 4)))
        .add_argument(Argument('b', be32(1) + std::string("1\0\0\0", 4)));
    EXPECT_TRUE(m.finish().ok());
  }
}

TEST(EncoderTest, AddArgumentCopiesParsedArgumentsVerbatim) {
  const std::string original = expected_every_type();
  Result<Packet> parsed = parse_packet(original);
  ASSERT_TRUE(parsed.ok());
  std::vector<char> buffer(512);
  MessageBuilder m(buffer, "/every/type");
  for (const Argument& a : parsed->message().arguments()) m.add_argument(a);
  Result<std::size_t> size = m.finish();
  ASSERT_TRUE(size.ok()) << size.error().reason;
  EXPECT_EQ(std::string_view(buffer.data(), *size), original);

  // Mixed: a new argument in front of copied ones.
  MessageBuilder mixed(buffer, "/x");
  mixed.add_float(2.0f);
  for (const Argument& a : parsed->message().arguments()) mixed.add_argument(a);
  size = mixed.finish();
  ASSERT_TRUE(size.ok());
  Result<Packet> reparsed = parse_packet(std::string_view(buffer.data(), *size));
  ASSERT_TRUE(reparsed.ok()) << reparsed.error().reason;
  EXPECT_EQ(reparsed->message().type_tags(), "fifsbhtdScrmTFNI[if]");
  EXPECT_EQ(reparsed->message().argument(3)->as_string(), "hello");
}

TEST(EncoderTest, RewriteAddressCopiesArgumentBytes) {
  const std::string original = expected_every_type();
  Result<Packet> parsed = parse_packet(original);
  ASSERT_TRUE(parsed.ok());
  for (std::string_view address : {"/", "/abc", "/longer/address/than/before"}) {
    GuardedBuffer buffer(256);
    Result<std::size_t> size = rewrite_address(parsed->message(), address, buffer.span());
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(buffer.first(*size),
              padded(address) + std::string(parsed->message().after_address()));
    Result<Packet> reparsed = parse_packet(buffer.first(*size));
    ASSERT_TRUE(reparsed.ok());
    EXPECT_EQ(reparsed->message().address(), address);
    EXPECT_EQ(reparsed->message().argument_data(), parsed->message().argument_data());
  }
  const std::string bare = message("/legacy") + be32(9);
  Result<Packet> legacy = parse_packet(bare);
  ASSERT_TRUE(legacy.ok());
  std::vector<char> out(64);
  Result<std::size_t> size = rewrite_address(legacy->message(), "/new", out);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(std::string_view(out.data(), *size), message("/new") + be32(9));

  const std::size_t needed = padded("/abc").size() + parsed->message().after_address().size();
  for (std::size_t n = 0; n < needed; ++n) {
    GuardedBuffer small(n);
    Result<std::size_t> result = rewrite_address(parsed->message(), "/abc", small.span());
    EXPECT_EQ(result.error().reason, "output buffer too small") << n;
    EXPECT_TRUE(small.guard_intact()) << n;
  }
  EXPECT_EQ(rewrite_address(parsed->message(), "bad", out).error().reason,
            "address must start with '/'");
}

TEST(EncoderTest, BundlesWithNestedElementsInPlace) {
  std::vector<char> buffer(256);
  BundleBuilder outer(buffer, TimeTag(42));
  {
    MessageBuilder m(outer.element_space(), "/a");
    m.add_int32(1);
    outer.commit_element(m.finish());
  }
  {
    BundleBuilder inner(outer.element_space(), TimeTag(99));
    MessageBuilder m(inner.element_space(), "/b");
    m.add_float(0.0f);
    inner.commit_element(m.finish());
    outer.commit_element(inner.finish());
  }
  outer.add_element(message("/c"));
  Result<std::size_t> size = outer.finish();
  ASSERT_TRUE(size.ok()) << size.error().reason;
  const std::string expected = bundle(
      {message("/a", "i", be32(1)), bundle({message("/b", "f", be32(0))}, 99), message("/c")}, 42);
  EXPECT_EQ(std::string_view(buffer.data(), *size), expected);

  BundleBuilder empty(buffer, TimeTag::immediately());
  size = empty.finish();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(std::string_view(buffer.data(), *size), bundle({}));
}

TEST(EncoderTest, BundleErrors) {
  const std::string expected =
      bundle({message("/a", "i", be32(1)), message("/bb", "s", padded("x"))});
  for (std::size_t n = 0; n < expected.size(); ++n) {
    GuardedBuffer buffer(n);
    BundleBuilder b(buffer.span(), TimeTag::immediately());
    MessageBuilder m(b.element_space(), "/a");
    m.add_int32(1);
    b.commit_element(m.finish());
    b.add_element(message("/bb", "s", padded("x")));
    Result<std::size_t> size = b.finish();
    ASSERT_FALSE(size.ok()) << n;
    EXPECT_EQ(size.error().reason, "output buffer too small") << n;
    EXPECT_TRUE(buffer.guard_intact()) << n;
  }
  std::vector<char> buffer(64);
  {
    BundleBuilder b(buffer, TimeTag::immediately());
    b.commit_element(std::size_t{6});
    EXPECT_EQ(b.finish().error().reason, "bundle element size not a positive multiple of 4");
  }
  {
    BundleBuilder b(buffer, TimeTag::immediately());
    b.commit_element(std::size_t{64});
    EXPECT_EQ(b.finish().error().reason, "bundle element larger than its space");
  }
  {
    BundleBuilder b(buffer, TimeTag::immediately());
    MessageBuilder m(b.element_space(), "oops");
    b.commit_element(m.finish());
    EXPECT_EQ(b.finish().error().reason, "address must start with '/'");
  }
}

}  // namespace
}  // namespace oscbridge::osc
