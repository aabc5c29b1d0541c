// Checks the page structure of an Ogg file with libogg before libsndfile
// decodes it. libsndfile decodes a truncated or damaged Ogg stream as far as
// it can and reports success, so featpool walks the pages itself: every page
// must pass its CRC, follow the previous page of its logical stream without a
// gap, not move the granule position backwards, and every stream must end
// with its end-of-stream page. The last granule position gives the length the
// decoder must deliver.
//
// Internal to the library (libogg is a private dependency).
#ifndef FEATPOOL_SRC_OGG_PAGES_H_
#define FEATPOOL_SRC_OGG_PAGES_H_

#include <cstdint>
#include <string>

namespace featpool {
namespace internal {

// True if the file starts with the Ogg capture pattern "OggS".
bool LooksLikeOgg(const std::string& path);

struct OggSummary {
  enum class Codec { kUnknown, kVorbis, kOpus, kFlac, kSpeex };
  Codec codec = Codec::kUnknown;  // of the first audio stream
  int32_t audio_streams = 0;      // logical streams of a known audio codec
  // The audio stream's last granule position minus the Opus pre-skip: its
  // length in samples if it starts at 0 (at 48 kHz for Opus, at the stream's
  // rate for the others); -1 if it has none.
  int64_t declared_samples = -1;
  // Its first positive granule position. A stream may start later than 0
  // (Vorbis I spec A.2, RFC 7845 section 4.5), by at most this much.
  int64_t first_granule = 0;
  int64_t bytes = 0;  // bytes walked
};

// Reads the file once, in blocks (memory is bounded by one Ogg page, at most
// 65307 bytes, plus one block). Throws Error naming the file, the problem and
// its byte offset for a page that fails its CRC, bytes that are not a page, a
// gap in a stream's page sequence, a page of a stream that has ended or never
// began, a granule position that goes backwards, and a file that ends inside
// a page or before a stream's end-of-stream page (truncation). Bytes after
// the end of every stream (e.g. a tag some tools append) are ignored. A file
// with several audio streams (chained or multiplexed) is an error too:
// libsndfile would decode only the first.
OggSummary CheckOggPages(const std::string& path);

// The same for a file held in memory (a piped wav.scp entry's output);
// `name` is used in messages.
bool LooksLikeOggBytes(const std::string& bytes);
OggSummary CheckOggPagesInMemory(const std::string& bytes, const std::string& name);

// The frame counts, at `sample_rate`, a decoder may deliver for the audio
// stream: `max` if it starts at 0, `min` if it starts as late as its first
// audio page allows. max < 0: not known (no audio stream of a known codec).
struct FrameRange {
  int64_t min = -1;
  int64_t max = -1;
};
FrameRange DeclaredFrames(const OggSummary& summary, int32_t sample_rate);

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_OGG_PAGES_H_
