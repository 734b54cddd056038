// What the stream deframers (slip.h, length_prefix.h) report for each step of decoding. A
// DecodeEvent's frame view points into the chunk being fed or into the decoder's own buffer and
// is valid only until the decoder is next called. Plain values; no ownership, no threads.
#pragma once

#include <string_view>

#include "osc/error.h"

namespace oscbridge::osc {

enum class DecodeStatus {
  need_more,  // the input is used up without completing a frame
  frame,      // `frame` holds one complete frame
  dropped,    // a frame was discarded (`error` says why); decoding goes on
  unusable,   // the stream cannot be decoded any further (`error` says why); close it
};

struct DecodeEvent {
  DecodeStatus status = DecodeStatus::need_more;
  std::string_view frame;
  Error error{};  // for dropped and unusable; offset counts bytes since the stream began
};

// Feeds a whole chunk through `decoder.next()`, calling on_frame(std::string_view) for every
// frame and on_error(const Error&) for every drop, and stopping at an unusable stream.
template <class Decoder, class OnFrame, class OnError>
void feed_chunk(Decoder& decoder, std::string_view chunk, OnFrame&& on_frame, OnError&& on_error) {
  for (;;) {
    DecodeEvent event = decoder.next(chunk);
    switch (event.status) {
      case DecodeStatus::need_more:
        return;
      case DecodeStatus::frame:
        on_frame(event.frame);
        break;
      case DecodeStatus::dropped:
        on_error(event.error);
        break;
      case DecodeStatus::unusable:
        on_error(event.error);
        return;
    }
  }
}

}  // namespace oscbridge::osc
