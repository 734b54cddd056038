// liblo (Debian liblo-dev 0.31) is the conformance oracle: what it serialises we must parse to
// the same values, what we encode it must deserialise to the same values, byte for byte where
// both encode. liblo 0.31 knows neither 'r' (RGBA) nor arrays, so those are checked elsewhere
// (packet_test, encoder_test) against hand-built bytes.
#include <gtest/gtest.h>
#include <lo/lo.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "osc/encoder.h"
#include "osc/packet.h"
#include "tests/osc/osc_test_util.h"

namespace oscbridge::osc {
namespace {

// One argument value in a form both libraries can produce and be compared on.
struct Value {
  char tag;
  std::int64_t integer = 0;  // i h c, t (ntp), m (4 bytes big-endian)
  double real = 0;           // f d
  std::string text;          // s S b
};

using LoMessagePtr = std::unique_ptr<std::remove_pointer_t<lo_message>, decltype(&lo_message_free)>;

LoMessagePtr make_lo_message(const std::vector<Value>& values) {
  LoMessagePtr m(lo_message_new(), &lo_message_free);
  for (const Value& v : values) {
    switch (v.tag) {
      case 'i':
        lo_message_add_int32(m.get(), static_cast<std::int32_t>(v.integer));
        break;
      case 'h':
        lo_message_add_int64(m.get(), v.integer);
        break;
      case 'f':
        lo_message_add_float(m.get(), static_cast<float>(v.real));
        break;
      case 'd':
        lo_message_add_double(m.get(), v.real);
        break;
      case 's':
        lo_message_add_string(m.get(), v.text.c_str());
        break;
      case 'S':
        lo_message_add_symbol(m.get(), v.text.c_str());
        break;
      case 'c':
        lo_message_add_char(m.get(), static_cast<char>(v.integer));
        break;
      case 'b': {
        lo_blob b = lo_blob_new(static_cast<std::int32_t>(v.text.size()), v.text.data());
        lo_message_add_blob(m.get(), b);
        lo_blob_free(b);
        break;
      }
      case 't': {
        const auto ntp = static_cast<std::uint64_t>(v.integer);
        lo_message_add_timetag(m.get(), lo_timetag{static_cast<std::uint32_t>(ntp >> 32),
                                                   static_cast<std::uint32_t>(ntp)});
        break;
      }
      case 'm': {
        std::uint8_t bytes[4];
        for (int i = 0; i < 4; ++i) bytes[i] = static_cast<std::uint8_t>(v.integer >> (24 - 8 * i));
        lo_message_add_midi(m.get(), bytes);
        break;
      }
      case 'T':
        lo_message_add_true(m.get());
        break;
      case 'F':
        lo_message_add_false(m.get());
        break;
      case 'N':
        lo_message_add_nil(m.get());
        break;
      case 'I':
        lo_message_add_infinitum(m.get());
        break;
    }
  }
  return m;
}

std::string lo_serialise(lo_message m, const char* path) {
  std::size_t size = 0;
  void* data = lo_message_serialise(m, path, nullptr, &size);
  std::string out(static_cast<const char*>(data), size);
  std::free(data);
  return out;
}

void add_to_builder(MessageBuilder& b, const Value& v) {
  switch (v.tag) {
    case 'i':
      b.add_int32(static_cast<std::int32_t>(v.integer));
      break;
    case 'h':
      b.add_int64(v.integer);
      break;
    case 'f':
      b.add_float(static_cast<float>(v.real));
      break;
    case 'd':
      b.add_double(v.real);
      break;
    case 's':
      b.add_string(v.text);
      break;
    case 'S':
      b.add_symbol(v.text);
      break;
    case 'c':
      b.add_char(static_cast<char>(v.integer));
      break;
    case 'b':
      b.add_blob(v.text);
      break;
    case 't':
      b.add_timetag(TimeTag(static_cast<std::uint64_t>(v.integer)));
      break;
    case 'm': {
      std::array<std::uint8_t, 4> bytes{};
      for (int i = 0; i < 4; ++i) bytes[i] = static_cast<std::uint8_t>(v.integer >> (24 - 8 * i));
      b.add_midi(bytes);
      break;
    }
    case 'T':
      b.add_bool(true);
      break;
    case 'F':
      b.add_bool(false);
      break;
    case 'N':
      b.add_nil();
      break;
    case 'I':
      b.add_infinitum();
      break;
  }
}

// Our parsed argument against the expected value.
void expect_ours(const Argument& a, const Value& v, int index) {
  ASSERT_EQ(a.tag(), v.tag) << index;
  switch (v.tag) {
    case 'i':
      EXPECT_EQ(a.as_int32(), v.integer) << index;
      break;
    case 'h':
      EXPECT_EQ(a.as_int64(), v.integer) << index;
      break;
    case 'f':
      EXPECT_EQ(a.as_float(), static_cast<float>(v.real)) << index;
      break;
    case 'd':
      EXPECT_EQ(a.as_double(), v.real) << index;
      break;
    case 's':
    case 'S':
      EXPECT_EQ(a.as_string(), v.text) << index;
      break;
    case 'b':
      EXPECT_EQ(a.as_blob(), v.text) << index;
      break;
    case 'c':
      EXPECT_EQ(a.as_char(), static_cast<char>(v.integer)) << index;
      break;
    case 't':
      EXPECT_EQ(a.as_timetag().ntp(), static_cast<std::uint64_t>(v.integer)) << index;
      break;
    case 'm': {
      const auto m = a.as_midi();
      const std::int64_t packed = (std::int64_t{m[0]} << 24) | (m[1] << 16) | (m[2] << 8) | m[3];
      EXPECT_EQ(packed, v.integer) << index;
      break;
    }
    default:
      EXPECT_TRUE(a.raw().empty()) << index;
  }
}

// liblo hands out lo_arg pointers that are only 4-byte aligned while the union asks for 8, so
// members are read by memcpy rather than through the union.
template <class T>
T read_arg(const lo_arg* a, std::size_t offset = 0) {
  T value;
  std::memcpy(&value, reinterpret_cast<const char*>(a) + offset, sizeof value);
  return value;
}

// liblo's deserialised argument against the expected value.
void expect_liblo(char type, const lo_arg* a, const Value& v, int index) {
  ASSERT_EQ(type, v.tag) << index;
  const char* raw = reinterpret_cast<const char*>(a);
  switch (v.tag) {
    case 'i':
      EXPECT_EQ(read_arg<std::int32_t>(a), v.integer) << index;
      break;
    case 'h':
      EXPECT_EQ(read_arg<std::int64_t>(a), v.integer) << index;
      break;
    case 'f':
      EXPECT_EQ(read_arg<float>(a), static_cast<float>(v.real)) << index;
      break;
    case 'd':
      EXPECT_EQ(read_arg<double>(a), v.real) << index;
      break;
    case 's':
    case 'S':
      EXPECT_EQ(std::string(raw), v.text) << index;
      break;
    case 'c':
      EXPECT_EQ(raw[0], static_cast<char>(v.integer)) << index;
      break;
    case 'b':
      EXPECT_EQ(std::string(raw + 4, read_arg<std::int32_t>(a)), v.text) << index;
      break;
    case 't': {
      const std::uint64_t ntp =
          (std::uint64_t{read_arg<std::uint32_t>(a)} << 32) | read_arg<std::uint32_t>(a, 4);
      EXPECT_EQ(ntp, static_cast<std::uint64_t>(v.integer)) << index;
      break;
    }
    case 'm': {
      const auto* m = reinterpret_cast<const std::uint8_t*>(raw);
      const std::int64_t packed = (std::int64_t{m[0]} << 24) | (m[1] << 16) | (m[2] << 8) | m[3];
      EXPECT_EQ(packed, v.integer) << index;
      break;
    }
    default:
      break;
  }
}

std::vector<Value> random_values(std::mt19937_64& rng) {
  static constexpr std::string_view kTags = "ifsbhtdScmTFNI";
  std::vector<Value> values(rng() % 12);
  for (Value& v : values) {
    v.tag = kTags[rng() % kTags.size()];
    switch (v.tag) {
      case 'i':
        v.integer = static_cast<std::int32_t>(rng());
        break;
      case 'h':
        v.integer = static_cast<std::int64_t>(rng());
        break;
      case 'c':
        v.integer = static_cast<std::int64_t>(32 + rng() % 95);
        break;
      case 't':
        v.integer = static_cast<std::int64_t>(rng() | 2);
        break;  // never "immediately"
      case 'm':
        v.integer = static_cast<std::int64_t>(rng() & 0xFFFFFFFF);
        break;
      case 'f':
        v.real = static_cast<float>(std::uniform_real_distribution<double>(-1e6, 1e6)(rng));
        break;
      case 'd':
        v.real = std::uniform_real_distribution<double>(-1e300, 1e300)(rng);
        break;
      case 's':
      case 'S':
        v.text.assign(rng() % 13, 'a');
        for (char& c : v.text) c = static_cast<char>('a' + rng() % 26);
        break;
      case 'b':  // lo_blob_new refuses size 0, so liblo cannot make an empty blob
        v.text.assign(1 + rng() % 13, '\0');
        for (char& c : v.text) c = static_cast<char>(rng());
        break;
    }
  }
  return values;
}

TEST(LibloConformanceTest, MessagesLibloSerialisesParseToTheSameValues) {
  std::mt19937_64 rng(2024);
  for (int round = 0; round < 2000; ++round) {
    const std::vector<Value> values = random_values(rng);
    LoMessagePtr lo = make_lo_message(values);
    const std::string bytes = lo_serialise(lo.get(), "/conformance/test");
    const testing::ExactBuffer exact(bytes);
    Result<Packet> parsed = parse_packet(exact.view());
    ASSERT_TRUE(parsed.ok()) << parsed.error().reason << " round " << round;
    const Message& m = parsed->message();
    EXPECT_EQ(m.address(), "/conformance/test");
    EXPECT_EQ(m.type_tags(), lo_message_get_types(lo.get()));
    int index = 0;
    for (const Argument& a : m.arguments()) {
      ASSERT_LT(index, static_cast<int>(values.size()));
      expect_ours(a, values[index], index);
      ++index;
    }
    EXPECT_EQ(index, static_cast<int>(values.size()));
  }
}

TEST(LibloConformanceTest, MessagesWeEncodeMatchLibloBytesAndDeserialise) {
  std::mt19937_64 rng(7);
  std::vector<char> buffer(4096);
  for (int round = 0; round < 2000; ++round) {
    const std::vector<Value> values = random_values(rng);
    MessageBuilder builder(buffer, "/ours");
    for (const Value& v : values) add_to_builder(builder, v);
    Result<std::size_t> size = builder.finish();
    ASSERT_TRUE(size.ok()) << size.error().reason;

    LoMessagePtr reference = make_lo_message(values);
    EXPECT_EQ(std::string_view(buffer.data(), *size), lo_serialise(reference.get(), "/ours"))
        << "round " << round;

    int result = 0;
    LoMessagePtr lo(lo_message_deserialise(buffer.data(), *size, &result), &lo_message_free);
    ASSERT_NE(lo, nullptr) << "liblo error " << result << " round " << round;
    const std::string types = lo_message_get_types(lo.get());
    ASSERT_EQ(types.size(), values.size());
    lo_arg** argv = lo_message_get_argv(lo.get());
    for (std::size_t i = 0; i < values.size(); ++i)
      expect_liblo(types[i], argv[i], values[i], static_cast<int>(i));
  }
}

TEST(LibloConformanceTest, RewrittenAddressDeserialisesInLiblo) {
  std::mt19937_64 rng(11);
  std::vector<char> out(4096);
  for (int round = 0; round < 300; ++round) {
    const std::vector<Value> values = random_values(rng);
    LoMessagePtr original = make_lo_message(values);
    const std::string bytes = lo_serialise(original.get(), "/from/here");
    Result<Packet> parsed = parse_packet(bytes);
    ASSERT_TRUE(parsed.ok());
    Result<std::size_t> size = rewrite_address(parsed->message(), "/to/somewhere/else", out);
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(std::string_view(out.data(), *size),
              lo_serialise(original.get(), "/to/somewhere/else"));
    int result = 0;
    LoMessagePtr lo(lo_message_deserialise(out.data(), *size, &result), &lo_message_free);
    ASSERT_NE(lo, nullptr) << result;
    lo_arg** argv = lo_message_get_argv(lo.get());
    const std::string types = lo_message_get_types(lo.get());
    for (std::size_t i = 0; i < values.size(); ++i)
      expect_liblo(types[i], argv[i], values[i], static_cast<int>(i));
  }
}

TEST(LibloConformanceTest, LibloBundlesParseWithTheirTimetagsAndNesting) {
  const lo_timetag outer_time{3900000000u, 0x80000000u};
  const lo_timetag inner_time{3900000001u, 5u};
  lo_bundle outer = lo_bundle_new(outer_time);
  lo_bundle inner = lo_bundle_new(inner_time);
  lo_message a = make_lo_message({Value{'i', 1, 0, ""}, Value{'s', 0, 0, "one"}}).release();
  lo_message b = make_lo_message({Value{'f', 0, 2.5, ""}}).release();
  lo_message c = make_lo_message({}).release();
  lo_bundle_add_message(outer, "/a", a);
  lo_bundle_add_message(inner, "/b", b);
  lo_bundle_add_message(inner, "/c", c);
  lo_bundle_add_bundle(outer, inner);
  std::size_t size = 0;
  void* data = lo_bundle_serialise(outer, nullptr, &size);
  const std::string bytes(static_cast<const char*>(data), size);
  std::free(data);
  // Frees `inner` and the messages, which the bundles own from lo_bundle_add_message on.
  lo_bundle_free_recursive(outer);

  std::vector<std::tuple<std::string, std::string, std::uint64_t>> seen;
  Status status = for_each_message(bytes, [&](const Message& m, TimeTag t) {
    seen.emplace_back(std::string(m.address()), std::string(m.type_tags()), t.ntp());
  });
  ASSERT_TRUE(status.ok()) << status.error().reason;
  const std::uint64_t outer_ntp = (std::uint64_t{outer_time.sec} << 32) | outer_time.frac;
  const std::uint64_t inner_ntp = (std::uint64_t{inner_time.sec} << 32) | inner_time.frac;
  const std::vector<std::tuple<std::string, std::string, std::uint64_t>> expected = {
      {"/a", "is", outer_ntp}, {"/b", "f", inner_ntp}, {"/c", "", inner_ntp}};
  EXPECT_EQ(seen, expected);
}

// liblo reads bundles only through a server; dispatching needs no traffic, just a socket.
struct Dispatched {
  std::vector<std::string> paths;
  std::vector<std::string> types;
  std::vector<float> floats;
  std::vector<std::uint64_t> bundle_times;
};

TEST(LibloConformanceTest, BundlesWeEncodeDispatchInLiblo) {
  std::vector<char> buffer(512);
  const TimeTag outer_time(3900000000u, 1u);  // in the past, so liblo dispatches at once
  const TimeTag inner_time(3900000002u, 7u);
  BundleBuilder outer(buffer, outer_time);
  {
    MessageBuilder m(outer.element_space(), "/first");
    m.add_float(1.5f);
    outer.commit_element(m.finish());
  }
  {
    BundleBuilder inner(outer.element_space(), inner_time);
    MessageBuilder m(inner.element_space(), "/second");
    m.add_float(2.5f).add_string("x");
    inner.commit_element(m.finish());
    outer.commit_element(inner.finish());
  }
  Result<std::size_t> size = outer.finish();
  ASSERT_TRUE(size.ok());

  lo_server server = lo_server_new_with_proto(nullptr, LO_UDP, nullptr);
  ASSERT_NE(server, nullptr);
  Dispatched got;
  lo_server_add_method(
      server, nullptr, nullptr,
      [](const char* path, const char* types, lo_arg** argv, int, lo_message, void* user) -> int {
        auto* d = static_cast<Dispatched*>(user);
        d->paths.emplace_back(path);
        d->types.emplace_back(types);
        d->floats.push_back(read_arg<float>(argv[0]));
        return 0;
      },
      &got);
  lo_server_add_bundle_handlers(
      server,
      [](lo_timetag t, void* user) -> int {
        static_cast<Dispatched*>(user)->bundle_times.push_back((std::uint64_t{t.sec} << 32) |
                                                               t.frac);
        return 0;
      },
      [](void*) -> int { return 0; }, &got);
  const int dispatched = lo_server_dispatch_data(server, buffer.data(), *size);
  lo_server_free(server);
  EXPECT_EQ(dispatched, static_cast<int>(*size));
  EXPECT_EQ(got.paths, (std::vector<std::string>{"/first", "/second"}));
  EXPECT_EQ(got.types, (std::vector<std::string>{"f", "fs"}));
  EXPECT_EQ(got.floats, (std::vector<float>{1.5f, 2.5f}));
  EXPECT_EQ(got.bundle_times, (std::vector<std::uint64_t>{outer_time.ntp(), inner_time.ntp()}));
}

// The corpus verdicts agree with liblo wherever liblo can judge: every malformed message file is
// refused by liblo too (so "bad" is not mere strictness of ours), and every valid message file
// whose types liblo 0.31 knows is accepted by it.
TEST(LibloConformanceTest, LibloAgreesWithTheCorpusVerdicts) {
  int judged_bad = 0;
  int judged_ok = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(OSCBRIDGE_CORPUS_DIR) / "packet")) {
    const std::string name = entry.path().filename().string();
    std::string bytes = testing::read_file(entry.path());
    if (bytes.empty() || bytes[0] != '/') continue;  // liblo's message reader only
    int result = 0;
    lo_message m = lo_message_deserialise(bytes.data(), bytes.size(), &result);
    if (name.starts_with("bad-")) {
      ++judged_bad;
      EXPECT_EQ(m, nullptr) << name << " accepted by liblo";
    } else if (name.starts_with("ok-")) {
      Result<Packet> ours = parse_packet(bytes);
      ASSERT_TRUE(ours.ok()) << name;
      const std::string_view tags = ours->message().type_tags();
      if (ours->message().has_type_tag_string() &&
          tags.find_first_of("r[]") == std::string_view::npos) {
        ++judged_ok;
        EXPECT_NE(m, nullptr) << name << " refused by liblo, error " << result;
        if (m != nullptr) {
          EXPECT_EQ(tags, lo_message_get_types(m)) << name;
        }
      }
    }
    if (m != nullptr) lo_message_free(m);
  }
  EXPECT_GE(judged_bad, 100);
  EXPECT_GE(judged_ok, 8);
}

}  // namespace
}  // namespace oscbridge::osc
