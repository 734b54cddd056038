// Size and depth limits of the OSC codec and the stream deframers, shared by every part of
// osc/ and by config/ (which validates user-supplied limits against the same bounds).
// Plain constants: no ownership, no state, safe from any thread.
#pragma once

#include <cstddef>

namespace oscbridge::osc {

// A UDP datagram or a TCP frame larger than this is refused unless configured otherwise.
inline constexpr std::size_t kDefaultMaxFrameSize = 65536;
// The largest frame a deframer can be configured for; larger settings are clamped to it.
inline constexpr std::size_t kMaxFrameSizeLimit = 16 * 1024 * 1024;

// Bundles may contain bundles; a top-level bundle is depth 1, its child bundles depth 2.
inline constexpr int kDefaultMaxBundleDepth = 8;
// Configured depths are clamped to this so that validation recursion stays shallow.
inline constexpr int kMaxBundleDepthLimit = 64;

}  // namespace oscbridge::osc
