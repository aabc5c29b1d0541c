#include "featpool/lhotse.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "featpool/error.h"
#include "featpool/output-file.h"
#include "printable.h"

namespace featpool {
namespace {

std::string Quote(const std::string& s) { return "'" + internal::Printable(s) + "'"; }

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A manifest line longer than this is not a recording (lhotse writes a few
// hundred bytes per recording); it is refused before it is buffered whole.
constexpr size_t kMaxLineBytes = 1 << 20;

// Reads `path` (gzip or plain: zlib reads both) line by line.
template <typename OnLine>
void ForEachLine(const std::string& path, OnLine on_line) {
  errno = 0;
  gzFile in = gzopen(path.c_str(), "rb");
  if (in == nullptr) {
    throw Error("cannot open lhotse manifest " + Quote(path) + ": " +
                (errno != 0 ? std::strerror(errno) : "out of memory"));
  }
  struct Closer {
    gzFile f;
    ~Closer() { gzclose(f); }
  } closer{in};
  std::string line;
  int64_t number = 1;
  char buffer[1 << 16];
  for (;;) {
    const int n = gzread(in, buffer, sizeof(buffer));
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(in, &code);
      throw Error("lhotse manifest " + Quote(path) + " is corrupt (" +
                  (code == Z_ERRNO ? std::strerror(errno) : message) + ")");
    }
    if (n == 0) break;
    for (int i = 0; i < n; ++i) {
      if (buffer[i] == '\n') {
        on_line(number++, line);
        line.clear();
      } else if (line.size() == kMaxLineBytes) {
        throw Error(Quote(path) + " line " + std::to_string(number) + ": longer than " +
                    std::to_string(kMaxLineBytes) + " bytes: not a lhotse manifest");
      } else {
        line.push_back(buffer[i]);
      }
    }
  }
  if (!line.empty()) on_line(number, line);
}

std::string StringField(const nlohmann::json& o, const char* key, const std::string& where) {
  const auto it = o.find(key);
  if (it == o.end() || !it->is_string()) {
    throw Error(where + "no \"" + key + "\" string: not a lhotse Recording");
  }
  return it->get<std::string>();
}

// gzip (RFC 1952) in memory with zlib, as lhotse's open_best writes .gz.
std::string Gzip(const std::string& text, const std::string& path) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw Error("cannot compress " + Quote(path) + ": zlib failed to start");
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(text.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw Error("cannot compress " + Quote(path) + ": zlib failed");
  return out;
}

}  // namespace

bool IsLhotseManifest(const std::string& input) {
  return EndsWith(input, ".jsonl") || EndsWith(input, ".jsonl.gz");
}

std::vector<Utterance> ReadLhotseRecordings(const std::string& path) {
  std::vector<Utterance> out;
  ForEachLine(path, [&](int64_t number, const std::string& line) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) return;
    const std::string where = Quote(path) + " line " + std::to_string(number) + ": ";
    const nlohmann::json o = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (o.is_discarded() || !o.is_object()) throw Error(where + "not a JSON object");
    const std::string id = StringField(o, "id", where);
    const std::string at = where + "recording " + Quote(id) + ": ";
    if (o.contains("supervisions") || o.contains("recording")) {
      throw Error(at +
                  "a CutSet or SupervisionSet line; give the RecordingSet (recordings.jsonl.gz)");
    }
    const auto sources = o.find("sources");
    if (sources == o.end() || !sources->is_array() || sources->empty()) {
      throw Error(at + "no \"sources\": not a lhotse Recording");
    }
    if (sources->size() > 1) {
      throw Error(at + std::to_string(sources->size()) +
                  " sources (one per channel) are not supported: give one multi-channel file");
    }
    const auto transforms = o.find("transforms");
    if (transforms != o.end() && !transforms->is_null() && !transforms->empty()) {
      throw Error(at +
                  "has \"transforms\" (speed perturbation, resampling, ...), which featpool "
                  "does not apply; give the recordings without them");
    }
    const nlohmann::json& source = (*sources)[0];
    if (!source.is_object()) throw Error(at + "a source is not an object");
    const std::string type = StringField(source, "type", at + "source: ");
    const std::string value = StringField(source, "source", at + "source: ");
    Utterance u;
    u.id = id;
    if (type == "file") {
      u.path = value;
    } else if (type == "command") {
      u.path = value + " |";  // as a piped wav.scp entry: run with /bin/sh -c
      u.command = value;
    } else {
      throw Error(at + "source type " + Quote(type) +
                  " is not supported (featpool reads \"file\" and \"command\" sources)");
    }
    out.push_back(std::move(u));
  });
  if (out.empty()) throw Error("lhotse manifest " + Quote(path) + " has no recordings");
  return out;
}

std::string LhotseFeatureSetText(const LhotseFeatureSet& set) {
  std::string text;
  for (const LhotseFeatures& f : set.features) {
    // Field order of lhotse's Features dataclass.
    nlohmann::ordered_json o;
    o["type"] = set.type;
    o["num_frames"] = f.num_frames;
    o["num_features"] = f.num_features;
    o["frame_shift"] = set.frame_shift;
    o["sampling_rate"] = set.sampling_rate;
    o["start"] = f.start;
    o["duration"] = f.duration;
    o["storage_type"] = set.storage_type;
    o["storage_path"] = set.storage_path;
    o["storage_key"] = f.storage_key;
    o["recording_id"] = f.recording_id;
    o["channels"] = f.channel;
    // Ids are bytes from files: invalid UTF-8 is replaced, not thrown.
    text += o.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text += '\n';
  }
  return text;
}

void WriteLhotseFeatureSet(const std::string& path, const LhotseFeatureSet& set) {
  const std::string text = LhotseFeatureSetText(set);
  const std::string bytes = EndsWith(path, ".gz") ? Gzip(text, path) : text;
  AtomicOutputFile out(path);
  out.Write(bytes.data(), bytes.size());
  out.Commit();
}

}  // namespace featpool
