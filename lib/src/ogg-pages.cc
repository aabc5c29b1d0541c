#include "ogg-pages.h"

#include <ogg/ogg.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "featpool/error.h"
#include "printable.h"

namespace featpool {
namespace internal {
namespace {

constexpr long kBlockBytes = 1 << 16;

std::string Quote(const std::string& path) { return "'" + Printable(path) + "'"; }

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

File OpenOrThrow(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) throw Error(Quote(path) + ": " + std::strerror(errno));
  return f;
}

// One logical stream (RFC 3533 section 4: pages carry a serial number, a page
// sequence number and a granule position; the first page is flagged
// beginning-of-stream, the last end-of-stream).
struct Stream {
  int serial = 0;
  uint32_t last_page = 0;
  int64_t last_granule = -1;
  bool ended = false;
  OggSummary::Codec codec = OggSummary::Codec::kUnknown;
  int64_t pre_skip = 0;
  int64_t first_granule = 0;
};

// The codec from the identification header, the first packet of the
// beginning-of-stream page (Vorbis I spec 4.2.2, RFC 7845 section 5.1,
// Ogg FLAC mapping, Speex manual "Ogg file format").
void Identify(const ogg_page& page, Stream* s) {
  const unsigned char* b = page.body;
  const long n = page.body_len;
  auto starts = [&](const char* magic, long len) {
    return n >= len && std::memcmp(b, magic, len) == 0;
  };
  if (starts("\x01vorbis", 7)) {
    s->codec = OggSummary::Codec::kVorbis;
  } else if (starts("OpusHead", 8) && n >= 12) {
    s->codec = OggSummary::Codec::kOpus;
    s->pre_skip = b[10] | (b[11] << 8);  // little-endian, 48 kHz samples
  } else if (starts("\177FLAC", 5)) {
    s->codec = OggSummary::Codec::kFlac;
  } else if (starts("Speex   ", 8)) {
    s->codec = OggSummary::Codec::kSpeex;
  }
}

class Walker {
 public:
  explicit Walker(const std::string& path, const std::string* bytes = nullptr)
      : path_(path), bytes_(bytes) {
    ogg_sync_init(&sync_);
  }
  ~Walker() { ogg_sync_clear(&sync_); }
  Walker(const Walker&) = delete;
  Walker& operator=(const Walker&) = delete;

  OggSummary Run() {
    File file = bytes_ == nullptr ? OpenOrThrow(path_) : OpenBytes();
    bool eof = false;
    while (true) {
      const bool at_capture = BufferedStartsWithCapture();
      ogg_page page;
      const long got = ogg_sync_pageseek(&sync_, &page);
      if (got > 0) {
        Accept(page);
        offset_ += got;
        continue;
      }
      if (got < 0) {
        // Bytes after the end of every stream are not audio; stop there.
        if (AllEnded()) break;
        if (at_capture) {
          throw Corrupt("the page at byte " + std::to_string(offset_) + " fails its CRC check");
        }
        throw Corrupt(std::to_string(-got) + " bytes at byte " + std::to_string(offset_) +
                      " are not an Ogg page");
      }
      if (eof) break;
      char* buffer = ogg_sync_buffer(&sync_, kBlockBytes);
      if (buffer == nullptr) throw Error(Quote(path_) + ": out of memory walking the Ogg pages");
      const size_t n = std::fread(buffer, 1, kBlockBytes, file.get());
      if (n == 0 && std::ferror(file.get())) {
        throw Error(Quote(path_) + ": read error: " + std::strerror(errno));
      }
      ogg_sync_wrote(&sync_, static_cast<long>(n));
      eof = n == 0;
    }
    Finish();
    return summary_;
  }

 private:
  bool BufferedStartsWithCapture() const {
    const int avail = sync_.fill - sync_.returned;
    return avail >= 4 && std::memcmp(sync_.data + sync_.returned, "OggS", 4) == 0;
  }

  bool AllEnded() const {
    if (streams_.empty()) return false;
    for (const Stream& s : streams_) {
      if (!s.ended) return false;
    }
    return true;
  }

  Error Corrupt(const std::string& what) const {
    return Error(Quote(path_) + ": corrupt OGG file: " + what);
  }

  Stream* Find(int serial) {
    for (Stream& s : streams_) {
      if (s.serial == serial) return &s;
    }
    return nullptr;
  }

  void Accept(const ogg_page& page) {
    const int serial = ogg_page_serialno(&page);
    const uint32_t number = static_cast<uint32_t>(ogg_page_pageno(&page));
    const int64_t granule = ogg_page_granulepos(&page);
    const std::string where = " at byte " + std::to_string(offset_);
    Stream* s = Find(serial);
    if (ogg_page_bos(&page)) {
      if (s != nullptr) {
        throw Corrupt("a second beginning-of-stream page for stream " + std::to_string(serial) +
                      where);
      }
      streams_.push_back(Stream());
      s = &streams_.back();
      s->serial = serial;
      s->last_page = number;
      Identify(page, s);
      if (s->codec != OggSummary::Codec::kUnknown && ++summary_.audio_streams == 1) {
        audio_serial_ = serial;
        summary_.codec = s->codec;
      }
    } else {
      if (s == nullptr) {
        throw Corrupt("the page" + where + " belongs to stream " + std::to_string(serial) +
                      ", which has no beginning-of-stream page");
      }
      if (s->ended) {
        throw Corrupt("the page" + where + " follows the end-of-stream page of stream " +
                      std::to_string(serial));
      }
      if (number != s->last_page + 1) {
        throw Corrupt("gap in the page sequence" + where + " (page " + std::to_string(number) +
                      " follows page " + std::to_string(s->last_page) + "): pages are missing");
      }
      s->last_page = number;
    }
    // -1: no packet ends on this page.
    if (granule > 0 && s->first_granule == 0) s->first_granule = granule;
    if (granule != -1) {
      if (granule < s->last_granule) {
        throw Corrupt("the granule position goes backwards" + where + " (" +
                      std::to_string(granule) + " after " + std::to_string(s->last_granule) + ")");
      }
      s->last_granule = granule;
    }
    if (ogg_page_eos(&page)) s->ended = true;
  }

  void Finish() {
    const std::string end = std::to_string(offset_ + (sync_.fill - sync_.returned));
    if (streams_.empty()) {
      throw Error(Quote(path_) + ": truncated OGG file: it ends at byte " + end +
                  " before its first complete page");
    }
    for (const Stream& s : streams_) {
      if (s.ended) continue;
      if (sync_.fill > sync_.returned) {
        throw Error(Quote(path_) + ": truncated OGG file: no end-of-stream page (it ends at byte " +
                    end + " inside the page that starts at byte " + std::to_string(offset_) + ")");
      }
      throw Error(Quote(path_) + ": truncated OGG file: no end-of-stream page (it ends at byte " +
                  end + " after page " + std::to_string(s.last_page) + " of stream " +
                  std::to_string(s.serial) + ")");
    }
    summary_.bytes = offset_;
    // libsndfile decodes the first link of a chained file only and says
    // nothing of the rest.
    if (summary_.audio_streams > 1) {
      throw Error(Quote(path_) + ": OGG file with " + std::to_string(summary_.audio_streams) +
                  " audio streams (chained or multiplexed); only single-stream files are read");
    }
    if (summary_.audio_streams == 0) return;
    const Stream& audio = *Find(audio_serial_);
    if (audio.last_granule >= 0) {
      summary_.declared_samples = std::max<int64_t>(audio.last_granule - audio.pre_skip, 0);
      summary_.first_granule = audio.first_granule;
    }
  }

  File OpenBytes() const {
    File f(fmemopen(const_cast<char*>(bytes_->data()), bytes_->size(), "rb"));
    if (!f) throw Error(Quote(path_) + ": " + std::strerror(errno));
    return f;
  }

  std::string path_;
  const std::string* bytes_ = nullptr;
  ogg_sync_state sync_;
  int64_t offset_ = 0;  // file offset of the first byte libogg has not consumed
  std::vector<Stream> streams_;
  int audio_serial_ = 0;
  OggSummary summary_;
};

}  // namespace

bool LooksLikeOgg(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return false;
  char magic[4];
  return std::fread(magic, 1, 4, f.get()) == 4 && std::memcmp(magic, "OggS", 4) == 0;
}

OggSummary CheckOggPages(const std::string& path) { return Walker(path).Run(); }

bool LooksLikeOggBytes(const std::string& bytes) { return bytes.compare(0, 4, "OggS") == 0; }

OggSummary CheckOggPagesInMemory(const std::string& bytes, const std::string& name) {
  return Walker(name, &bytes).Run();
}

FrameRange DeclaredFrames(const OggSummary& summary, int32_t sample_rate) {
  FrameRange range;
  if (summary.audio_streams != 1 || summary.declared_samples < 0) return range;
  int64_t per_frame = 1;
  if (summary.codec == OggSummary::Codec::kOpus) {
    // Opus granule positions count 48 kHz samples whatever rate the decoder
    // delivers (RFC 7845 section 4).
    if (sample_rate <= 0 || 48000 % sample_rate != 0) return range;
    per_frame = 48000 / sample_rate;
  }
  const int64_t latest_start = std::min(summary.first_granule, summary.declared_samples);
  range.max = summary.declared_samples / per_frame;
  range.min = (summary.declared_samples - latest_start) / per_frame;
  return range;
}

}  // namespace internal
}  // namespace featpool
