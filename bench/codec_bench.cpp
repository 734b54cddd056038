// The codec beside liblo (the reference implementation) in one binary, so the ratio holds on
// whatever machine runs it. Each pair does the same work: ours reads every argument after
// parsing, as lo_message_deserialise converts every argument. liblo exposes no SLIP decoder (its
// own is a static function), so SLIP is compared with a plain byte-at-a-time RFC 1055 decoder.
// No benchmark here allocates in our code; liblo's allocations are part of what it costs.
// Results and the command line: docs/bench-codec.md.
#include <benchmark/benchmark.h>
#include <lo/lo.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "osc/encoder.h"
#include "osc/packet.h"
#include "osc/slip.h"

namespace {

using namespace oscbridge::osc;

constexpr const char* kAddress = "/mixer/ch/01/fader";
constexpr const char* kNewAddress = "/track/1/volume";
const std::string kBlob("\x01\xc0\x02\xdb\x03\x04\x05", 7);  // SLIP specials inside

enum class Shape { fader, mixed };

lo_message make_lo(Shape shape) {
  lo_message m = lo_message_new();
  lo_message_add_float(m, 0.75f);
  if (shape == Shape::mixed) {
    lo_message_add_int32(m, 3);
    lo_message_add_string(m, "vocal");
    lo_blob b = lo_blob_new(static_cast<std::int32_t>(kBlob.size()), kBlob.data());
    lo_message_add_blob(m, b);
    lo_blob_free(b);
    lo_message_add_int64(m, 1234567890123);
    lo_message_add_double(m, 0.125);
    lo_message_add_timetag(m, lo_timetag{3900000000u, 5u});
    lo_message_add_true(m);
  }
  return m;
}

Result<std::size_t> build_ours(Shape shape, std::span<char> out) {
  MessageBuilder m(out, kAddress);
  m.add_float(0.75f);
  if (shape == Shape::mixed) {
    m.add_int32(3).add_string("vocal").add_blob(kBlob).add_int64(1234567890123).add_double(0.125);
    m.add_timetag(TimeTag(3900000000u, 5u)).add_bool(true);
  }
  return m.finish();
}

std::string serialised(Shape shape) {
  lo_message m = make_lo(shape);
  std::size_t size = 0;
  void* data = lo_message_serialise(m, kAddress, nullptr, &size);
  std::string out(static_cast<const char*>(data), size);
  std::free(data);
  lo_message_free(m);
  return out;
}

Shape shape_of(const benchmark::State& state) {
  return state.range(0) == 0 ? Shape::fader : Shape::mixed;
}

// Reads each argument's value by its tag, as a consumer of lo_message_get_argv would.
void read_all(const Message& m) {
  for (const Argument& a : m.arguments()) {
    switch (a.tag()) {
      case 'i':
        benchmark::DoNotOptimize(a.as_int32());
        break;
      case 'f':
        benchmark::DoNotOptimize(a.as_float());
        break;
      case 'h':
        benchmark::DoNotOptimize(a.as_int64());
        break;
      case 'd':
        benchmark::DoNotOptimize(a.as_double());
        break;
      case 't':
        benchmark::DoNotOptimize(a.as_timetag());
        break;
      case 's':
        benchmark::DoNotOptimize(a.as_string());
        break;
      case 'b':
        benchmark::DoNotOptimize(a.as_blob());
        break;
      default:
        benchmark::DoNotOptimize(a.as_bool());
        break;
    }
  }
}

// Parse alone: each side ends with a validated message whose arguments are ready to read.
void BM_Parse_Ours(benchmark::State& state) {
  const std::string bytes = serialised(shape_of(state));
  for (auto _ : state) {
    Result<Packet> parsed = parse_packet(bytes);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

void BM_Parse_Liblo(benchmark::State& state) {
  std::string bytes = serialised(shape_of(state));
  for (auto _ : state) {
    int result = 0;
    lo_message m = lo_message_deserialise(bytes.data(), bytes.size(), &result);
    benchmark::DoNotOptimize(lo_message_get_argv(m));
    lo_message_free(m);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

// Parse, then read every argument's value by its tag.
void BM_ParseRead_Ours(benchmark::State& state) {
  const std::string bytes = serialised(shape_of(state));
  for (auto _ : state) {
    Result<Packet> parsed = parse_packet(bytes);
    read_all(parsed->message());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

// lo_arg pointers are only 4-byte aligned, so values are read with memcpy.
template <class T>
T read_lo(const lo_arg* a) {
  T value;
  std::memcpy(&value, a, sizeof value);
  return value;
}

void BM_ParseRead_Liblo(benchmark::State& state) {
  std::string bytes = serialised(shape_of(state));
  for (auto _ : state) {
    int result = 0;
    lo_message m = lo_message_deserialise(bytes.data(), bytes.size(), &result);
    const char* types = lo_message_get_types(m);
    lo_arg** argv = lo_message_get_argv(m);
    for (int i = 0; types[i] != '\0'; ++i) {
      switch (types[i]) {
        case 'i':
          benchmark::DoNotOptimize(read_lo<std::int32_t>(argv[i]));
          break;
        case 'f':
          benchmark::DoNotOptimize(read_lo<float>(argv[i]));
          break;
        case 'h':
          benchmark::DoNotOptimize(read_lo<std::int64_t>(argv[i]));
          break;
        case 'd':
          benchmark::DoNotOptimize(read_lo<double>(argv[i]));
          break;
        case 't':
          benchmark::DoNotOptimize(read_lo<lo_timetag>(argv[i]));
          break;
        case 's':
          benchmark::DoNotOptimize(std::string_view(&argv[i]->s));
          break;
        case 'b':
          benchmark::DoNotOptimize(read_lo<std::int32_t>(argv[i]));
          break;
        default:
          benchmark::DoNotOptimize(types[i]);
          break;
      }
    }
    lo_message_free(m);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

void BM_Encode_Ours(benchmark::State& state) {
  std::array<char, 512> out;
  for (auto _ : state) {
    Result<std::size_t> size = build_ours(shape_of(state), out);
    benchmark::DoNotOptimize(size);
    benchmark::ClobberMemory();
  }
}

// liblo's way to encode from values: build an lo_message, serialise it into our buffer.
void BM_Encode_Liblo(benchmark::State& state) {
  std::array<char, 512> out;
  for (auto _ : state) {
    lo_message m = make_lo(shape_of(state));
    std::size_t size = 0;
    benchmark::DoNotOptimize(lo_message_serialise(m, kAddress, out.data(), &size));
    benchmark::ClobberMemory();
    lo_message_free(m);
  }
}

// Only the serialisation of an already built lo_message: liblo's best case.
void BM_EncodePrebuilt_Liblo(benchmark::State& state) {
  std::array<char, 512> out;
  lo_message m = make_lo(shape_of(state));
  for (auto _ : state) {
    std::size_t size = 0;
    benchmark::DoNotOptimize(lo_message_serialise(m, kAddress, out.data(), &size));
    benchmark::ClobberMemory();
  }
  lo_message_free(m);
}

// What forwarding under a new address costs: parse the datagram, write it out renamed.
void BM_RewriteAddress_Ours(benchmark::State& state) {
  const std::string bytes = serialised(shape_of(state));
  std::array<char, 512> out;
  for (auto _ : state) {
    Result<Packet> parsed = parse_packet(bytes);
    Result<std::size_t> size = rewrite_address(parsed->message(), kNewAddress, out);
    benchmark::DoNotOptimize(size);
    benchmark::ClobberMemory();
  }
}

void BM_RewriteAddress_Liblo(benchmark::State& state) {
  std::string bytes = serialised(shape_of(state));
  std::array<char, 512> out;
  for (auto _ : state) {
    int result = 0;
    lo_message m = lo_message_deserialise(bytes.data(), bytes.size(), &result);
    std::size_t size = 0;
    benchmark::DoNotOptimize(lo_message_serialise(m, kNewAddress, out.data(), &size));
    benchmark::ClobberMemory();
    lo_message_free(m);
  }
}

// 64 SLIP frames fed as 1,400-byte reads, as TCP segments would arrive.
std::string slip_stream() {
  std::string stream;
  std::vector<char> out(4096);
  const std::string frame = serialised(Shape::mixed);
  for (int i = 0; i < 64; ++i) stream.append(out.data(), *slip_encode(frame, out));
  return stream;
}

constexpr std::size_t kReadSize = 1400;

void BM_SlipDecode_Ours(benchmark::State& state) {
  const std::string stream = slip_stream();
  SlipDecoder decoder;
  std::size_t frames = 0;
  for (auto _ : state) {
    for (std::size_t at = 0; at < stream.size(); at += kReadSize) {
      decoder.feed(
          std::string_view(stream).substr(at, kReadSize),
          [&](std::string_view f) { frames += f.size(); }, [](const Error&) { std::abort(); });
    }
  }
  benchmark::DoNotOptimize(frames);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}

// The classic RFC 1055 receive loop: one byte at a time into a reused buffer.
class ByteLoopSlipDecoder {
 public:
  template <class OnFrame>
  void feed(std::string_view chunk, OnFrame&& on_frame) {
    for (const char c : chunk) {
      if (escaped_) {
        escaped_ = false;
        buffer_.push_back(c == kSlipEscEnd ? kSlipEnd : c == kSlipEscEsc ? kSlipEsc : c);
      } else if (c == kSlipEsc) {
        escaped_ = true;
      } else if (c == kSlipEnd) {
        if (!buffer_.empty()) on_frame(std::string_view(buffer_.data(), buffer_.size()));
        buffer_.clear();
      } else if (buffer_.size() < kDefaultMaxFrameSize) {
        buffer_.push_back(c);
      }
    }
  }

 private:
  std::vector<char> buffer_;
  bool escaped_ = false;
};

void BM_SlipDecode_ByteLoop(benchmark::State& state) {
  const std::string stream = slip_stream();
  ByteLoopSlipDecoder decoder;
  std::size_t frames = 0;
  for (auto _ : state) {
    for (std::size_t at = 0; at < stream.size(); at += kReadSize) {
      decoder.feed(std::string_view(stream).substr(at, kReadSize),
                   [&](std::string_view f) { frames += f.size(); });
    }
  }
  benchmark::DoNotOptimize(frames);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}

// Arg 0: a one-float fader message (the common case); arg 1: eight mixed arguments.
BENCHMARK(BM_Parse_Ours)->Arg(0)->Arg(1);
BENCHMARK(BM_Parse_Liblo)->Arg(0)->Arg(1);
BENCHMARK(BM_ParseRead_Ours)->Arg(0)->Arg(1);
BENCHMARK(BM_ParseRead_Liblo)->Arg(0)->Arg(1);
BENCHMARK(BM_Encode_Ours)->Arg(0)->Arg(1);
BENCHMARK(BM_Encode_Liblo)->Arg(0)->Arg(1);
BENCHMARK(BM_EncodePrebuilt_Liblo)->Arg(0)->Arg(1);
BENCHMARK(BM_RewriteAddress_Ours)->Arg(0)->Arg(1);
BENCHMARK(BM_RewriteAddress_Liblo)->Arg(0)->Arg(1);
BENCHMARK(BM_SlipDecode_Ours);
BENCHMARK(BM_SlipDecode_ByteLoop);

}  // namespace

BENCHMARK_MAIN();
