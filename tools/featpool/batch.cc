#include "featpool/batch.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "../../lib/src/fused-extract.h"
#include "../../lib/src/json-line.h"
#include "../../lib/src/printable.h"
#include "../../lib/src/recording-cache.h"
#include "../../lib/src/std-descriptors.h"
#include "../../lib/src/worker-pool.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/kaldi-io.h"
#include "featpool/npy.h"
#include "featpool/output-file.h"
#include "featpool/std-streams.h"

namespace featpool {
namespace cli {

using internal::DefaultThreadCount;
using internal::ExtractFused;
using internal::FusedResult;
using internal::JsonLine;
using internal::MatrixRowSink;
using internal::NpyRowSink;
using internal::OrderedWorkerPool;
using internal::ParseJsonLine;
using internal::RecordingCache;
using internal::RowSink;

namespace {

// Ids and paths come from files and listings: control bytes are shown escaped.
std::string Quote(const std::string& s) { return "'" + internal::Printable(s) + "'"; }

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

void MakeDirectories(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error("cannot create directory " + Quote(dir) + ": " + ec.message());
}

// FNV-1a, 64 bits: a stable tag of the options text, not a security hash.
std::string OptionsHash(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

int64_t NpyFileSize(int64_t rows, int64_t cols) {
  return static_cast<int64_t>(NpyHeader("<f4", rows, cols).size()) + rows * cols * 4;
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  return static_cast<int64_t>(st.st_size);
}

// Removes "<dir>/.<name>.tmp.<pid>.<n>" (AtomicOutputFile's temporary
// names) left by a killed run, for the given output names in `dir`. Only
// files this run owns are named, and the journal lock keeps other runs out.
void RemoveStaleTemps(const std::string& dir, const std::set<std::string>& names) {
  std::error_code ec;
  const std::string where = dir.empty() ? "." : dir;
  for (std::filesystem::directory_iterator it(where, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    const size_t tmp = file.rfind(".tmp.");
    if (file.size() < 2 || file[0] != '.' || tmp == std::string::npos) continue;
    if (names.count(file.substr(1, tmp - 1)) > 0) std::remove(it->path().c_str());
  }
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Ids become paths below the output directory: keep them there.
void CheckIdsAsPaths(const std::vector<Utterance>& utts) {
  for (const Utterance& u : utts) {
    bool ok = !u.id.empty() && u.id[0] != '/' && u.id.find('\0') == std::string::npos;
    size_t start = 0;
    while (ok && start <= u.id.size()) {
      size_t slash = u.id.find('/', start);
      if (slash == std::string::npos) slash = u.id.size();
      const std::string part = u.id.substr(start, slash - start);
      ok = !part.empty() && part != "." && part != "..";
      start = slash + 1;
    }
    if (!ok) {
      throw Error("utterance id " + Quote(u.id) + " (" + Quote(u.path) +
                  ") cannot name a file below the output directory; use ids without empty, "
                  "'.' or '..' parts, or ark output");
    }
  }
}

void CheckIdsAsKeys(const std::vector<Utterance>& utts) {
  for (const Utterance& u : utts) {
    try {
      CheckKaldiKey(u.id);
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + " (from " + Quote(u.path) + ")");
    }
  }
}

// A write to an output failed: that stops the run (unlike a bad input).
class OutputError : public Error {
 public:
  explicit OutputError(const std::string& message) : Error(message) {}
};

struct Result {
  // kShort: shorter than --min-duration, no output (Kaldi's
  // compute-fbank-feats: "producing no output"); not a failure.
  enum class Status { kOk, kFailed, kSkipped, kShort };
  Status status = Status::kSkipped;
  bool has_info = false;
  bool resampled = false;
  AudioInfo info;
  int64_t frames = 0;
  int64_t dims = 0;
  int64_t rows = 0;  // stored shape (pooled, with a transform)
  int64_t cols = 0;
  Matrix features;  // ark output only: written by the collecting thread
  std::string error;
  std::string warning;
};

// The manifest being built: "<dir>/.<name>.partial", one line per finished
// utterance, handed to the kernel at once (so a kill loses no finished
// line), locked against a second run. Commit() writes the ordered manifest
// (temporary name, then rename) and removes the journal.
class Journal {
 public:
  explicit Journal(const std::string& manifest) : manifest_(manifest) {
    const std::string dir = DirName(manifest);
    const size_t slash = manifest.find_last_of('/');
    const std::string name = slash == std::string::npos ? manifest : manifest.substr(slash + 1);
    path_ = JoinPath(dir, "." + name + ".partial");
    // A manifest that is not a regular file (/dev/null) gets no journal.
    struct stat st;
    direct_ = stat(manifest.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
  }
  ~Journal() {
    if (fd_ >= 0) close(fd_);
  }

  // Locks and empties the journal; returns the complete lines it held, or
  // with `resume` and an empty journal those of a finished manifest.
  std::vector<std::string> Open(bool resume) {
    if (direct_) {
      if (resume) throw Error("--resume needs a manifest file, not " + Quote(manifest_));
      return {};
    }
    fd_ =
        internal::AboveStandardDescriptors(open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (fd_ < 0) throw Error("cannot write " + Quote(path_) + ": " + std::strerror(errno));
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      throw Error("another featpool run is writing " + Quote(manifest_) + " (" + Quote(path_) +
                  " is locked)");
    }
    std::vector<std::string> lines;
    if (resume) {
      lines = ReadLines(path_);
      if (lines.empty()) lines = ReadLines(manifest_);
    }
    if (ftruncate(fd_, 0) != 0) {
      throw Error("cannot truncate " + Quote(path_) + ": " + std::strerror(errno));
    }
    return lines;
  }

  void Append(const std::string& text) {
    if (direct_) return;
    const char* p = text.data();
    size_t left = text.size();
    while (left > 0) {
      const ssize_t n = write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        throw Error("cannot write " + Quote(manifest_) + " (its journal " + Quote(path_) +
                    "): " + std::strerror(errno));
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }

  void Commit(const std::vector<std::string>& lines) {
    AtomicOutputFile out(manifest_);
    for (const std::string& line : lines) {
      if (line.empty()) continue;
      out.Write(line.data(), line.size());
      out.Write("\n", 1);
    }
    out.Commit();
    if (direct_) return;
    std::remove(path_.c_str());
    close(fd_);
    fd_ = -1;
  }

 private:
  // Lines ending in '\n'; a last line cut short by a kill is dropped.
  static std::vector<std::string> ReadLines(const std::string& path) {
    std::vector<std::string> lines;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return lines;
    std::string line;
    int c;
    while ((c = std::fgetc(f)) != EOF) {
      if (c == '\n') {
        lines.push_back(line);
        line.clear();
      } else {
        line.push_back(static_cast<char>(c));
      }
    }
    std::fclose(f);
    return lines;
  }

  std::string manifest_;
  std::string path_;
  bool direct_ = false;
  int fd_ = -1;
};

struct PreviousEntry {
  std::string line;
  std::map<std::string, std::string> fields;
  bool ok() const { return fields.count("status") && fields.at("status") == "ok"; }
  std::string Get(const std::string& key) const {
    auto it = fields.find(key);
    return it == fields.end() ? "" : it->second;
  }
};

std::map<std::string, PreviousEntry> IndexPrevious(const std::vector<std::string>& lines,
                                                   const std::string& hash) {
  std::map<std::string, PreviousEntry> out;
  for (const std::string& line : lines) {
    PreviousEntry entry;
    if (!ParseJsonLine(line, &entry.fields)) continue;
    if (entry.Get("options") != hash || entry.Get("id").empty()) continue;
    const std::string status = entry.Get("status");
    if (status != "ok" && status != "error" && status != "short") continue;
    entry.line = line;
    out[entry.Get("id")] = std::move(entry);
  }
  return out;
}

// Segment times in the manifest: enough digits to tell any two apart.
constexpr const char* kTimeFormat = "%.12g";

std::string TimeText(double t) {
  char text[64];
  std::snprintf(text, sizeof(text), kTimeFormat, t);
  return text;
}

// The earlier run's entry is about the same audio: the same path (file or
// wav.scp command) and, for a segment, the same recording and times.
bool SameSource(const PreviousEntry& e, const Utterance& u) {
  if (e.Get("path") != u.path) return false;
  if (!u.IsSegment()) return e.Get("recording").empty();
  return e.Get("recording") == u.recording && e.Get("start") == TimeText(u.start) &&
         e.Get("end") == (u.end >= 0 ? TimeText(u.end) : std::string());
}

std::string ShapeText(int64_t rows, int64_t cols) {
  return "[" + std::to_string(rows) + "," + std::to_string(cols) + "]";
}

std::string ManifestLine(const Utterance& u, const Result& r, const std::string& output,
                         const std::string& hash) {
  JsonLine line;
  line.Add("id", u.id).Add("path", u.path);
  if (u.IsSegment()) {
    line.Add("recording", u.recording).AddNumber("start", u.start, kTimeFormat);
    if (u.end >= 0) line.AddNumber("end", u.end, kTimeFormat);
  }
  line.Add("status", r.status == Result::Status::kOk
                         ? "ok"
                         : (r.status == Result::Status::kShort ? "short" : "error"));
  if (r.has_info) {
    line.Add("sample_rate", int64_t{r.info.sample_rate});
    if (r.resampled) line.Add("resampled_from", int64_t{r.info.sample_rate});
    line.Add("channels", int64_t{r.info.channels});
    // Unknown before decoding only (a pipe); ExtractFile fills in the decoded
    // length, so an unknown one is left out rather than written as -1.
    if (r.info.frames >= 0) {
      line.AddNumber("duration", r.info.Duration(), "%.6f").Add("samples", r.info.frames);
    }
  }
  if (r.status == Result::Status::kOk) {
    line.Add("frames", r.frames).Add("dims", r.dims).AddShape("shape", r.rows, r.cols);
    line.Add("output", output);
  } else {
    line.Add("error", r.error);
  }
  if (!r.warning.empty()) line.Add("warning", r.warning);
  line.Add("options", hash);
  return line.Finish();
}

std::string WithPath(const std::string& message, const std::string& path) {
  if (message.find(path) != std::string::npos) return message;
  return Quote(path) + ": " + message;
}

// A file's messages name the file (its id is its name); a piped entry's and
// a segment's also name the utterance id.
std::string Describe(const Utterance& u, const std::string& message) {
  if (u.command.empty() && !u.IsSegment()) return WithPath(message, u.path);
  const std::string id = Quote(u.id);
  if (message.rfind(id + ": ", 0) == 0 || message.find("segment " + id) != std::string::npos) {
    return message;
  }
  return id + ": " + message;
}

std::string RecordingKey(const Utterance& u) {
  return u.recording + "\n" + std::to_string(u.channel);
}

// The audio of `u`: its file, its command, or its cut of its recording
// (decoded once for all its segments, through `cache`).
AudioInput InputOf(const Utterance& u, const BatchConfig& c, RecordingCache* cache) {
  if (!u.IsSegment()) {
    return u.command.empty() ? AudioInput(u.path) : AudioInput::Command(u.command, u.path);
  }
  const std::shared_ptr<const DecodedAudio> audio = cache->Acquire(RecordingKey(u), [&] {
    AudioReadOptions opts = c.audio;
    if (u.channel >= 0) opts.channel = u.channel;
    const AudioInput whole =
        u.command.empty() ? AudioInput(u.path) : AudioInput::Command(u.command, u.path);
    return std::shared_ptr<const DecodedAudio>(DecodeAudio(whole, opts, c.max_recording_samples));
  });
  const SampleRange range = SegmentSamples(u, static_cast<int64_t>(audio->samples.size()),
                                           static_cast<float>(audio->info.sample_rate));
  return AudioInput::Part(audio, range.begin, range.end, u.path);
}

// "ark:...", "ark,scp:...", "scp,ark:...", "scp:..." (Kaldi's wspecifier
// prefixes; anything before the ':' is a comma-separated option list).
bool IsWspecifier(const std::string& output) {
  const size_t colon = output.find(':');
  if (colon == std::string::npos || output.find('/') < colon) return false;
  const std::string opts = "," + output.substr(0, colon) + ",";
  return opts.find(",ark,") != std::string::npos || opts.find(",scp,") != std::string::npos;
}

// Lets the workers start writing .npy files until Close(): a run stopped by
// a signal waits for the files being written (no temporary file left
// behind), not for the inputs being read.
class WriteGate {
 public:
  // False once closed: do not start writing.
  bool Enter() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    ++writers_;
    return true;
  }
  void Leave() {
    std::lock_guard<std::mutex> lock(mutex_);
    --writers_;
    left_.notify_all();
  }
  void CloseAndWait() {
    std::unique_lock<std::mutex> lock(mutex_);
    closed_ = true;
    left_.wait(lock, [&] { return writers_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable left_;
  int writers_ = 0;
  bool closed_ = false;
};

// Interrupted (SIGINT, SIGTERM, SIGHUP) while writing: the utterance is
// not done; its temporary file is gone by the time the gate is left.
struct StopWriting {};

// A worker's .npy: opened (through the gate) at the first rows; a write
// error stops the run (OutputError); a signal stops the writing between
// blocks of rows.
class BatchNpySink : public NpyRowSink {
 public:
  BatchNpySink(std::string path, WriteGate* gate) : NpyRowSink(std::move(path)), gate_(gate) {}
  ~BatchNpySink() override {
    Discard();
    if (entered_) gate_->Leave();
  }
  void Rows(MatrixView rows) override {
    Enter();
    try {
      NpyRowSink::Rows(rows);
    } catch (const Error& e) {
      throw OutputError(e.what());
    }
  }
  void Commit() {
    Enter();
    try {
      NpyRowSink::Commit();
    } catch (const Error& e) {
      throw OutputError(e.what());
    }
  }

 private:
  void Enter() {
    if (!entered_) {
      if (!gate_->Enter()) throw StopWriting();
      entered_ = true;
    }
    if (InterruptCatcher::Interrupted() != 0) throw StopWriting();
  }

  WriteGate* gate_;
  bool entered_ = false;
};

// Extracts (and pools) one utterance on a worker thread, streamed
// (fused-extract.h): into its .npy as the rows become final, or with
// `npy_path` empty into r.features for the collecting thread to write. A
// bad input becomes a failed Result; an output that cannot be written
// throws OutputError, which stops the run; a signal gives an empty Result
// (not done).
Result ExtractUtterance(const Utterance& u, const BatchConfig& c, const std::string& npy_path,
                        WriteGate* gate, RecordingCache* cache) {
  Result r;
  FusedResult fused;
  // The segment's recording is dropped after its last segment.
  struct Release {
    RecordingCache* cache;
    const Utterance& u;
    ~Release() {
      if (u.IsSegment() && u.error.empty()) cache->Release(RecordingKey(u));
    }
  } release{cache, u};
  try {
    if (!u.error.empty()) throw Error(u.error);
    std::unique_ptr<BatchNpySink> npy;
    MatrixRowSink matrix;
    RowSink* sink = &matrix;
    if (!npy_path.empty()) {
      npy = std::make_unique<BatchNpySink>(npy_path, gate);
      sink = npy.get();
    }
    try {
      ExtractFused(InputOf(u, c, cache), c.features, c.audio, c.stages.get(), c.pool_error, sink,
                   &fused);
    } catch (const OutputError&) {
      throw;
    } catch (const Error&) {
      if (fused.extracted) {  // pooling failed: the audio was fine
        r.has_info = true;
        r.info = fused.file.info;
        r.warning = fused.file.warning;
      }
      throw;
    }
    r.has_info = true;
    r.info = fused.file.info;
    r.warning = fused.file.warning;
    r.resampled = fused.file.resampled;
    r.frames = fused.file.num_frames;
    r.dims = fused.file.dim;
    if (c.min_duration > 0 && r.info.Duration() < c.min_duration) {
      // Kaldi featbin/compute-fbank-feats.cc --min-duration: no output. The
      // unfinished .npy is dropped with its sink.
      r.status = Result::Status::kShort;
      r.error =
          Describe(u, "its " + std::to_string(r.info.Duration()) +
                          " s are shorter than --min-duration=" + std::to_string(c.min_duration) +
                          "; no output");
      return r;
    }
    if (r.frames == 0) {
      throw Error(ShortInputMessage(u.path, fused.file.num_samples, c.features.frame_opts()));
    }
    r.rows = fused.rows;
    r.cols = fused.cols;
    if (npy) {
      npy->Commit();
    } else {
      r.features = matrix.Take();
    }
    r.status = Result::Status::kOk;
  } catch (const StopWriting&) {
    return Result();  // interrupted: not done
  } catch (const OutputError&) {
    throw;
  } catch (const Error& e) {
    r.status = Result::Status::kFailed;
    r.error = Describe(u, e.what());
    r.warning.clear();  // the error is the one thing to say about this file
  } catch (const std::bad_alloc&) {
    r.status = Result::Status::kFailed;
    r.error = Describe(u, Quote(u.path) + ": out of memory while processing it");
    r.warning.clear();
  } catch (const std::exception& e) {
    r.status = Result::Status::kFailed;
    r.error = Describe(u, e.what());
    r.warning.clear();
  }
  return r;
}

// --resume with ark output: the longest prefix of `utts` recorded by the
// earlier run whose ok utterances are the archive's first records, at the
// recorded offsets. Keeps those records; returns which utterances to skip.
std::vector<char> PlanArkResume(const std::vector<Utterance>& utts,
                                const std::map<std::string, PreviousEntry>& previous,
                                const std::string& ark_path, bool compressed,
                                KaldiArkWriter* writer) {
  const std::vector<KaldiArkRecord> records = writer->OpenForResume();
  std::vector<char> skip(utts.size(), 0);
  size_t r = 0;
  for (size_t i = 0; i < utts.size(); ++i) {
    auto it = previous.find(utts[i].id);
    if (it == previous.end() || !SameSource(it->second, utts[i])) break;
    const PreviousEntry& e = it->second;
    if (e.ok()) {
      if (r == records.size() || records[r].key != utts[i].id ||
          records[r].compressed != compressed ||
          e.Get("shape") != ShapeText(records[r].rows, records[r].cols) ||
          e.Get("output") != ark_path + ":" + std::to_string(records[r].offset)) {
        break;
      }
      ++r;
    }
    skip[i] = 1;
  }
  writer->KeepRecords(records, r);
  return skip;
}

// --resume with .npy output: each utterance recorded by the earlier run as
// failed, or as ok with its .npy of the recorded shape in place.
std::vector<char> PlanNpyResume(const std::vector<Utterance>& utts,
                                const std::map<std::string, PreviousEntry>& previous,
                                const std::function<std::string(const Utterance&)>& output_path) {
  std::vector<char> skip(utts.size(), 0);
  for (size_t i = 0; i < utts.size(); ++i) {
    auto it = previous.find(utts[i].id);
    if (it == previous.end() || !SameSource(it->second, utts[i])) continue;
    const PreviousEntry& e = it->second;
    if (e.ok()) {
      const std::string path = output_path(utts[i]);
      int64_t rows = 0;
      int64_t cols = 0;
      if (e.Get("output") != path ||
          std::sscanf(e.Get("shape").c_str(), "[%" SCNd64 ",%" SCNd64 "]", &rows, &cols) != 2 ||
          FileSize(path) != NpyFileSize(rows, cols)) {
        continue;
      }
    }
    skip[i] = 1;
  }
  return skip;
}

struct Counts {
  int64_t short_now = 0;  // shorter than --min-duration
  int64_t short_before = 0;
  int64_t resampled = 0;
  int64_t segments = 0;  // processed now
  int64_t recordings_decoded = 0;
  int64_t ok_now = 0;
  int64_t failed_now = 0;
  int64_t already_done = 0;
  int64_t failed_before = 0;
  double audio_seconds = 0;
};

// "featpool: 110 processed, 7 failed, 0.029 h audio, 0.04 s wall, RTF ..."
std::string Summary(const Counts& n, double wall) {
  char text[512];
  int len = std::snprintf(text, sizeof(text), "featpool: %lld processed, %lld failed",
                          static_cast<long long>(n.ok_now),
                          static_cast<long long>(n.failed_now + n.failed_before));
  if (n.already_done > 0) {
    len += std::snprintf(
        text + len, sizeof(text) - len, " (%lld done by an earlier run, %lld of them failed)",
        static_cast<long long>(n.already_done), static_cast<long long>(n.failed_before));
  }
  if (n.short_now + n.short_before > 0) {
    len += std::snprintf(text + len, sizeof(text) - len, ", %lld shorter than --min-duration",
                         static_cast<long long>(n.short_now + n.short_before));
  }
  if (n.resampled > 0) {
    len += std::snprintf(text + len, sizeof(text) - len, ", %lld resampled",
                         static_cast<long long>(n.resampled));
  }
  if (n.segments > 0) {
    len += std::snprintf(
        text + len, sizeof(text) - len, ", %lld segments cut from %lld recordings (each read once)",
        static_cast<long long>(n.segments), static_cast<long long>(n.recordings_decoded));
  }
  len += std::snprintf(text + len, sizeof(text) - len, ", %.3f h audio, %.2f s wall",
                       n.audio_seconds / 3600, wall);
  if (n.audio_seconds > 0 && wall > 0) {
    const double rtf = wall / n.audio_seconds;
    std::snprintf(text + len, sizeof(text) - len, ", RTF %.4f (%.0fx real time)", rtf, 1 / rtf);
  }
  return text;
}

// Kaldi's text form of a scalar in an ark,t: table (util/kaldi-holder-inl.h
// BasicHolder::Write, base/io-funcs.cc WriteBasicType, precision 7 from
// base/io-funcs-inl.h InitKaldiOutputStream): "key value \n", with the space.
std::string KaldiTextScalar(const std::string& key, const std::string& value) {
  return key + " " + value + " \n";
}

void WriteWholeFile(const std::string& path, const std::string& text) {
  AtomicOutputFile out(path);
  out.Write(text.data(), text.size());
  out.Commit();
}

// What steps/make_fbank.sh leaves in the data directory: feats.scp (the
// scp of the archive; an earlier one moved to .backup/ as the script does),
// utt2num_frames (copy-feats --write-num-frames: rows stored), utt2dur
// (compute-fbank-feats --write-utt2dur: WaveData::Duration(), float samples /
// float rate, of the audio before resampling) and frame_shift (seconds;
// "0.01" when it is the default 10 ms, as the script writes without
// --frame-shift in its config). Only utterances with output are listed.
void WriteDataDirFiles(const BatchConfig& c, const BatchOutput& out,
                       const std::vector<std::string>& lines) {
  std::string num_frames;
  std::string durations;
  for (const std::string& line : lines) {
    PreviousEntry e;
    if (line.empty() || !ParseJsonLine(line, &e.fields) || !e.ok()) continue;
    int64_t rows = 0;
    int64_t cols = 0;
    std::sscanf(e.Get("shape").c_str(), "[%" SCNd64 ",%" SCNd64 "]", &rows, &cols);
    num_frames += KaldiTextScalar(e.Get("id"), std::to_string(rows));
    const float duration = static_cast<float>(std::atoll(e.Get("samples").c_str())) /
                           static_cast<float>(std::atof(e.Get("sample_rate").c_str()));
    char text[32];
    std::snprintf(text, sizeof(text), "%.7g", static_cast<double>(duration));
    durations += KaldiTextScalar(e.Get("id"), text);
  }
  const std::string& dir = c.data_dir;
  if (out.kind == BatchOutput::Kind::kArk && !out.scp.empty()) {
    const std::string feats = JoinPath(dir, "feats.scp");
    std::error_code ec;
    if (!std::filesystem::equivalent(out.scp, feats, ec)) {
      struct stat st;
      if (stat(feats.c_str(), &st) == 0) {
        MakeDirectories(JoinPath(dir, ".backup"));
        std::rename(feats.c_str(), JoinPath(dir, ".backup/feats.scp").c_str());
      }
      std::ifstream in(out.scp, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      WriteWholeFile(feats, text.str());
    }
  }
  if (c.write_utt2num_frames) WriteWholeFile(JoinPath(dir, "utt2num_frames"), num_frames);
  if (c.write_utt2dur) WriteWholeFile(JoinPath(dir, "utt2dur"), durations);
  const float shift_ms = c.features.frame_opts().frame_shift_ms;
  char shift[32];
  if (shift_ms == 10.0f) {
    std::snprintf(shift, sizeof(shift), "0.01");
  } else if (shift_ms == std::floor(shift_ms)) {
    std::snprintf(shift, sizeof(shift), "%.3f", 0.001 * shift_ms);  // the script's printf
  } else {
    std::snprintf(shift, sizeof(shift), "%.7g", 0.001 * shift_ms);
  }
  WriteWholeFile(JoinPath(dir, "frame_shift"), std::string(shift) + "\n");
}

}  // namespace

bool IsBatchOutput(const std::string& output) {
  if (IsWspecifier(output)) return true;
  if (!output.empty() && output.back() == '/') return true;
  struct stat st;
  return stat(output.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

BatchOutput ParseBatchOutput(const std::string& output) {
  BatchOutput out;
  const size_t colon = output.find(':');
  if (!IsWspecifier(output)) {
    if (!IsBatchOutput(output)) {
      throw Error("-o " + Quote(output) +
                  ": batch output is a directory (ending in '/') or a "
                  "Kaldi wspecifier such as ark,scp:feats.ark,feats.scp");
    }
    out.kind = BatchOutput::Kind::kNpyDir;
    out.dir = output;
    while (out.dir.size() > 1 && out.dir.back() == '/') out.dir.pop_back();
    return out;
  }
  // Kaldi util/kaldi-table.cc ClassifyWspecifier()
  out.kind = BatchOutput::Kind::kArk;
  bool ark = false;
  bool scp = false;
  const std::string opts = output.substr(0, colon);
  const std::string rest = output.substr(colon + 1);
  size_t start = 0;
  while (start <= opts.size()) {
    size_t comma = opts.find(',', start);
    if (comma == std::string::npos) comma = opts.size();
    const std::string o = opts.substr(start, comma - start);
    start = comma + 1;
    if (o == "ark") {
      ark = true;
    } else if (o == "scp") {
      scp = true;
    } else if (o == "b" || o == "f" || o == "nf") {
      continue;
    } else if (o == "t") {
      out.text = true;  // Kaldi's text matrices, as copy-feats ark,t: writes
    } else {
      throw Error("-o " + Quote(output) + ": unknown wspecifier option " + Quote(o) +
                  " (expected ark or ark,scp)");
    }
  }
  if (!ark) {
    throw Error("-o " + Quote(output) + ": an scp needs an archive: use ark,scp:A.ark,A.scp");
  }
  if (scp) {
    const size_t comma = rest.find(',');
    if (comma == std::string::npos || comma == 0 || comma + 1 == rest.size()) {
      throw Error("-o " + Quote(output) + ": expected ark,scp:ARCHIVE,SCP");
    }
    out.ark = rest.substr(0, comma);
    out.scp = rest.substr(comma + 1);
  } else {
    out.ark = rest;
  }
  if (out.ark.empty()) throw Error("-o " + Quote(output) + ": empty archive name");
  if (out.ark != "-" && out.ark == out.scp) {
    throw Error("-o " + Quote(output) + ": the archive and the scp must be different files");
  }
  return out;
}

std::string DefaultManifestPath(const BatchOutput& output, ShardSpec shard) {
  const std::string name = shard.count == 1 ? "manifest.jsonl"
                                            : "manifest." + std::to_string(shard.index) + "-of-" +
                                                  std::to_string(shard.count) + ".jsonl";
  if (output.kind == BatchOutput::Kind::kNpyDir) return JoinPath(output.dir, name);
  if (!output.scp.empty()) return JoinPath(DirName(output.scp), name);
  if (output.ark == "-") return "";
  return JoinPath(DirName(output.ark), name);
}

namespace {

// The lhotse FeatureSet of the finished manifest `lines`: every "ok" entry,
// stored as DIR/ID.npy (numpy_files, storage_path DIR) or under its key in
// the archive that the scp indexes (kaldiio, storage_path the scp).
LhotseFeatureSet LhotseSet(const BatchConfig& c, const BatchOutput& out,
                           const std::vector<std::string>& lines) {
  LhotseFeatureSet set = c.lhotse;
  const bool ark = out.kind == BatchOutput::Kind::kArk;
  set.storage_type = ark ? "kaldiio" : "numpy_files";
  set.storage_path = ark ? out.scp : out.dir;
  while (set.storage_path.size() > 1 && set.storage_path.back() == '/') set.storage_path.pop_back();
  for (const std::string& line : lines) {
    PreviousEntry e;
    if (line.empty() || !ParseJsonLine(line, &e.fields) || !e.ok()) continue;
    LhotseFeatures f;
    // A segment names its recording and where in it it starts (lhotse's
    // Features of a supervision); its duration is the segment's.
    const std::string recording = e.Get("recording");
    f.recording_id = recording.empty() ? e.Get("id") : recording;
    f.start = recording.empty() ? 0.0 : std::strtod(e.Get("start").c_str(), nullptr);
    f.channel = c.audio.channel >= 0 ? c.audio.channel : 0;
    f.duration = std::strtod(e.Get("duration").c_str(), nullptr);
    long long rows = 0;
    long long cols = 0;
    std::sscanf(e.Get("shape").c_str(), "[%lld,%lld]", &rows, &cols);
    f.num_frames = rows;
    f.num_features = cols;
    f.storage_key = ark ? e.Get("id") : e.Get("id") + ".npy";
    set.features.push_back(std::move(f));
  }
  return set;
}

}  // namespace

int RunBatch(const BatchConfig& c) {
  // SIGINT/SIGTERM/SIGHUP only set a flag until the run is over (see
  // stop_for_signal below); one that comes while the outputs are finalised
  // is raised again when this is destroyed, last.
  const InterruptCatcher interrupts;
  Progress progress(c.progress);
  const BatchOutput out = ParseBatchOutput(c.output);
  const bool ark = out.kind == BatchOutput::Kind::kArk;
  if (c.compress && !ark) {
    throw Error("--compress is for Kaldi archive output (-o ark:... or ark,scp:...)");
  }
  if (!c.lhotse_manifest.empty() && ark && out.scp.empty()) {
    throw Error("--lhotse=" + c.lhotse_manifest +
                ": lhotse reads Kaldi archives through their scp: use -o ark,scp:A,S (or -o DIR/)");
  }
  if (out.text && c.compress) {
    throw Error("-o " + c.output + ": --compress writes binary matrices; a text archive (t) cannot "
                "hold them");
  }
  if (out.text && c.resume) {
    throw Error("-o " + c.output + ": --resume reads binary archives only; write text (t) "
                "archives in one run, or convert with copy-feats");
  }
  if (c.resume && ark && out.ark == "-") {
    throw Error("--resume needs outputs in files; -o ark:- writes to stdout");
  }
  if (ark && out.ark == "-") CheckStdout("-o " + c.output);
  if (ark) CheckStdoutFor(out.ark, "-o " + c.output);
  CheckStdoutFor(c.manifest, "--manifest=" + c.manifest);
  const std::vector<Utterance> utts = SelectShard(FindUtterances(c.inputs, c.dataset), c.shard);
  if (ark) {
    CheckIdsAsKeys(utts);
  } else {
    CheckIdsAsPaths(utts);
  }
  // One audio file into a bare archive (`extract x.wav -o ark:x.ark`, as
  // compute-fbank-feats is used) is not a dataset run: no manifest unless
  // --manifest asks for one, so none appears in the current directory.
  struct stat input_stat;
  const bool one_file_into_ark =
      ark && out.scp.empty() && c.inputs.size() == 1 && !IsScpInput(c.inputs[0]) &&
      stat(c.inputs[0].c_str(), &input_stat) == 0 && S_ISREG(input_stat.st_mode) &&
      utts.size() == 1 && utts[0].path == c.inputs[0];
  const std::string manifest = !c.manifest.empty()
                                   ? c.manifest
                                   : (one_file_into_ark ? "" : DefaultManifestPath(out, c.shard));
  if (c.resume && manifest.empty()) {
    throw Error("--resume needs a manifest (--manifest=FILE)");
  }
  const std::string hash = OptionsHash(c.options_text);
  auto output_path = [&](const Utterance& u) { return JoinPath(out.dir, u.id + ".npy"); };

  // Directories first, so workers never race to create them.
  if (ark) {
    if (out.ark != "-") MakeDirectories(DirName(out.ark));
    MakeDirectories(DirName(out.scp));
  } else {
    MakeDirectories(out.dir);
  }
  MakeDirectories(DirName(manifest));

  std::unique_ptr<Journal> journal;
  std::map<std::string, PreviousEntry> previous;
  if (!manifest.empty()) {
    journal = std::make_unique<Journal>(manifest);
    previous = IndexPrevious(journal->Open(c.resume), hash);
  }

  // --resume: which utterances are already done (ok or failed) with these
  // options.
  const size_t n = utts.size();
  std::vector<char> skip(n, 0);
  std::vector<std::string> lines(n);
  std::unique_ptr<KaldiArkWriter> writer;
  if (ark) writer = std::make_unique<KaldiArkWriter>(out.ark, out.scp);
  if (ark && c.compress) writer->SetCompression(c.compression_method);
  if (ark && out.text) writer->SetText();
  if (c.resume) {
    skip = ark ? PlanArkResume(utts, previous, out.ark, c.compress, writer.get())
               : PlanNpyResume(utts, previous, output_path);
  } else if (ark) {
    writer->Open();
  }
  std::string kept;
  for (size_t i = 0; i < n; ++i) {
    if (!skip[i]) continue;
    lines[i] = previous.at(utts[i].id).line;
    kept += lines[i] + "\n";
  }
  if (journal) journal->Append(kept);
  previous.clear();

  // Output directories, made before the workers start so they never race;
  // and temporary files a killed run left behind.
  std::map<std::string, std::set<std::string>> outputs_by_dir;
  if (!ark) {
    for (size_t i = 0; i < n; ++i) {
      if (skip[i]) continue;
      const std::string path = output_path(utts[i]);
      outputs_by_dir[DirName(path)].insert(BaseName(path));
    }
  } else if (!out.scp.empty()) {
    outputs_by_dir[DirName(out.scp)].insert(BaseName(out.scp));
  }
  if (!manifest.empty()) outputs_by_dir[DirName(manifest)].insert(BaseName(manifest));
  for (const auto& [dir, names] : outputs_by_dir) {
    MakeDirectories(dir);
    RemoveStaleTemps(dir, names);
  }

  ProgressState state;
  state.files_total = static_cast<int64_t>(n);
  for (size_t i = 0; i < n; ++i) {
    if (skip[i]) {
      ++state.already_done;
    } else {
      state.bytes_total += utts[i].bytes + kShardFileOverheadBytes;
    }
  }
  state.files_done = state.already_done;
  progress.Update(state);

  // More workers than utterances to process would only wait.
  int64_t to_do = 0;
  for (size_t i = 0; i < n; ++i) to_do += skip[i] ? 0 : 1;
  const int threads = static_cast<int>(std::max<int64_t>(
      1, std::min<int64_t>({c.jobs > 0 ? c.jobs : DefaultThreadCount(), to_do, kMaxJobs})));
  WriteGate gate;
  RecordingCache recordings;
  for (size_t i = 0; i < n; ++i) {
    if (!skip[i] && utts[i].IsSegment() && utts[i].error.empty()) {
      recordings.Expect(RecordingKey(utts[i]));
    }
  }
  auto work = [&](size_t i, int /*worker*/) {
    if (skip[i] || InterruptCatcher::Interrupted() != 0) return Result();
    return ExtractUtterance(utts[i], c, ark ? std::string() : output_path(utts[i]), &gate,
                            &recordings);
  };

  int64_t warnings = 0;
  constexpr int64_t kMaxWarnings = 5;
  Counts counts;
  counts.already_done = state.already_done;
  bool stopped = false;
  auto report = [&](const std::string& text) { progress.Print("featpool: " + text); };
  // A signal: no new .npy is started, the ones being written finish, and the
  // process dies by the signal without waiting for the inputs being read
  // (one may block forever: a pipe, a hung mount). Everything journalled so
  // far is in the kernel already, so --resume takes it from there.
  auto stop_for_signal = [&](int signal) {
    gate.CloseAndWait();
    progress.Finish();
    std::fprintf(stderr, "%s\n", Summary(counts, progress.ElapsedSeconds()).c_str());
    std::fprintf(stderr,
                 "featpool: interrupted by %s; outputs are not finalised; rerun with --resume "
                 "to continue\n",
                 InterruptCatcher::Name(signal));
    InterruptCatcher::Die(signal);
  };
  auto sink = [&](size_t i, Result& r) {
    const Utterance& u = utts[i];
    if (const int signal = InterruptCatcher::Interrupted()) stop_for_signal(signal);
    if (r.status == Result::Status::kSkipped) {
      PreviousEntry e;
      ParseJsonLine(lines[i], &e.fields);
      if (e.Get("status") == "short") {
        ++counts.short_before;
      } else if (!e.ok()) {
        ++counts.failed_before;
        ++state.files_failed;
        report("error: " + Describe(u, e.Get("error")) + " (recorded by an earlier run)");
        if (c.strict) {
          stopped = true;
          return false;
        }
      }
      progress.Update(state);
      return true;
    }
    state.bytes_done += u.bytes + kShardFileOverheadBytes;
    std::string output;
    if (r.status == Result::Status::kOk) {
      output = ark ? out.ark + ":" + std::to_string(writer->Write(u.id, r.features.View()))
                   : output_path(u);
      r.features = Matrix();
      counts.audio_seconds += r.info.Duration();
      state.audio_seconds = counts.audio_seconds;
      ++counts.ok_now;
      if (r.resampled) ++counts.resampled;
      if (u.IsSegment()) ++counts.segments;
    } else if (r.status == Result::Status::kShort) {
      ++counts.short_now;
      report("skipped: " + r.error);
    } else {
      ++counts.failed_now;
      ++state.files_failed;
      report("error: " + r.error);
    }
    if (r.status == Result::Status::kOk && !r.warning.empty() && ++warnings <= kMaxWarnings) {
      report("warning: " + r.warning +
             (warnings == kMaxWarnings ? " (further warnings only in the manifest)" : ""));
    }
    ++state.files_done;
    progress.Update(state);
    progress.Tick();
    if (r.status == Result::Status::kFailed && c.strict) {
      // Not journalled: after a fix, --resume retries it.
      stopped = true;
      return false;
    }
    lines[i] = ManifestLine(u, r, output, hash);
    if (journal) journal->Append(lines[i] + "\n");
    return true;
  };

  const bool holds_features = ark;
  const size_t window = static_cast<size_t>(threads) * (holds_features ? 2 : 64);
  OrderedWorkerPool<Result> pool(threads, window);
  auto tick = [&] {
    if (const int signal = InterruptCatcher::Interrupted()) stop_for_signal(signal);
    progress.Tick();
  };
  pool.Run(n, work, sink, tick, std::chrono::milliseconds(100));
  counts.recordings_decoded = recordings.decoded();
  progress.Finish();
  if (const int signal = InterruptCatcher::Interrupted()) stop_for_signal(signal);

  if (!stopped) {
    if (writer) writer->Commit();
    if (journal) journal->Commit(lines);
    if (!c.lhotse_manifest.empty()) {
      WriteLhotseFeatureSet(c.lhotse_manifest, LhotseSet(c, out, lines));
    }
    if (!c.data_dir.empty()) WriteDataDirFiles(c, out, lines);
  }

  std::fprintf(stderr, "%s\n", Summary(counts, progress.ElapsedSeconds()).c_str());
  if (stopped) {
    std::fprintf(stderr,
                 "featpool: stopped at the first failure (--strict); outputs are not "
                 "finalised; fix it and rerun with --resume to continue\n");
  }
  return counts.failed_now + counts.failed_before > 0 || stopped ? 1 : 0;
}

}  // namespace cli
}  // namespace featpool
