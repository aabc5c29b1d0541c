#include "featpool/batch.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include "batch-files.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-registry.h"
#include "featpool/options.h"
#include "featpool/output-file.h"
#include "featpool/writer.h"
#include "fused-extract.h"
#include "json-line.h"
#include "recording-cache.h"
#include "worker-pool.h"

namespace featpool {
namespace {

using internal::DirName;
using internal::ExtractFused;
using internal::FusedResult;
using internal::JoinPath;
using internal::JsonLine;
using internal::kTimeFormat;
using internal::MakeDirectories;
using internal::OrderedWorkerPool;
using internal::ParseJsonLine;
using internal::Quote;
using internal::RecordingCache;

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

struct Result {
  // kShort: shorter than min_duration, no output (Kaldi's
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
  // The closed output, for the collecting thread to Finish().
  std::shared_ptr<UtteranceOutput> output;
  // The failure (or shortness) in the library's own words, keys as they are
  // ("min_duration=2: ..."): what the manifest records, so every frontend
  // writes the same manifest. `shown` is the same as the frontend says it
  // (stage_error: "--min-duration=2: ..."), for the observer.
  std::string error;
  std::string shown;
  std::string warning;
};

std::map<std::string, ManifestEntry> IndexPrevious(const std::vector<std::string>& lines,
                                                   const std::string& hash) {
  std::map<std::string, ManifestEntry> out;
  for (const std::string& line : lines) {
    ManifestEntry entry;
    if (!ParseJsonLine(line, &entry.fields)) continue;
    if (entry.Get("options") != hash || entry.Get("id").empty()) continue;
    const std::string status = entry.Get("status");
    if (status != "ok" && status != "error" && status != "short") continue;
    entry.line = line;
    out[entry.Get("id")] = std::move(entry);
  }
  return out;
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

// The run is stopping (BatchObserver::StopRequested()) while an output is
// being written: the utterance is not done; its temporary file is gone by
// the time the gate is left.
struct StopWriting {};

// A worker's output, through the gate: entered at the first rows, left when
// closed or dropped (after the output is gone); a stop request stops the
// writing between blocks of rows.
class GatedOutput : public UtteranceOutput {
 public:
  GatedOutput(std::unique_ptr<UtteranceOutput> output, WriteGate* gate, BatchObserver* observer)
      : output_(std::move(output)), gate_(gate), observer_(observer) {}
  ~GatedOutput() override {
    output_.reset();
    if (entered_) gate_->Leave();
  }
  void Begin(int64_t expected_rows, int64_t cols) override { output_->Begin(expected_rows, cols); }
  void Rows(MatrixView rows) override {
    Enter();
    output_->Rows(rows);
  }
  void Close() override {
    Enter();
    output_->Close();
    entered_ = false;
    gate_->Leave();
  }
  UtteranceOutput* inner() { return output_.get(); }

 private:
  void Enter() {
    if (!entered_) {
      if (!gate_->Enter()) throw StopWriting();
      entered_ = true;
    }
    if (observer_ != nullptr && observer_->StopRequested() != 0) throw StopWriting();
  }

  std::unique_ptr<UtteranceOutput> output_;
  WriteGate* gate_;
  BatchObserver* observer_;
  bool entered_ = false;
};

// Extracts (and runs the stages on) one utterance on a worker thread,
// streamed (fused-extract.h) into the writer's output. A bad input becomes
// a failed Result; an output that cannot be written throws OutputError,
// which stops the run; a stop request gives an empty Result (not done).
// Rows dropped: an utterance extracted only to find out why it fails.
class DiscardRows : public RowSink {
 public:
  void Rows(MatrixView /*rows*/) override {}
};

Result ExtractUtterance(const Utterance& u, const BatchConfig& c, const SpeakerSettings* speakers,
                        UtteranceWriter* writer, WriteGate* gate, BatchObserver* observer,
                        RecordingCache* cache) {
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
    // The utterance's own options (its warp) and stages (its speaker's
    // stats). Without its speaker's stats (none of its utterances gave
    // features, or all were shorter than min_duration), or without a speaker
    // at all, it is still extracted, with no output, so that its own failure
    // or shortness is what is reported if it has one.
    FeatureOptions own_features;
    const FeatureOptions* features = &c.features;
    std::shared_ptr<const StageChain> stages = c.stages;
    // A stage's error: the library's text, and the frontend's.
    std::string stage_failure;
    std::string stage_failure_shown;
    const auto shown = [&c](const Error& e) {
      return c.stage_error ? c.stage_error(e) : std::string(e.what());
    };
    if (speakers != nullptr) {
      own_features = speakers->FeaturesFor(u.id);
      features = &own_features;
      try {
        stages = speakers->StagesFor(u.id);
      } catch (const Error& e) {
        stage_failure = e.what();
        stage_failure_shown = shown(e);
        stages = nullptr;
      }
    }
    std::unique_ptr<GatedOutput> output;
    DiscardRows discard;
    if (stage_failure.empty()) {
      output = std::make_unique<GatedOutput>(writer->Begin(u), gate, observer);
    }
    RowSink* sink = output ? static_cast<RowSink*>(output.get()) : &discard;
    try {
      ExtractFused(
          InputOf(u, c, cache), *features, c.audio, stages.get(),
          [&](const Error& e) {
            stage_failure = e.what();
            stage_failure_shown = shown(e);
            return stage_failure_shown;
          },
          sink, &fused);
    } catch (const OutputError&) {
      throw;
    } catch (const Error& e) {
      if (!fused.extracted) throw;
      // A stage failed (ExtractFused threw stage_failure_shown): the audio
      // was fine.
      r.has_info = true;
      r.info = fused.file.info;
      r.warning = fused.file.warning;
      r.status = Result::Status::kFailed;
      r.error = Describe(u, stage_failure.empty() ? std::string(e.what()) : stage_failure);
      r.shown = Describe(u, e.what());
      r.warning.clear();
      return r;
    }
    r.has_info = true;
    r.info = fused.file.info;
    r.warning = fused.file.warning;
    r.resampled = fused.file.resampled;
    r.frames = fused.file.num_frames;
    r.dims = fused.file.dim;
    if (c.min_duration > 0 && r.info.Duration() < c.min_duration) {
      // Kaldi featbin/compute-fbank-feats.cc --min-duration: no output. The
      // unfinished output is dropped with it.
      r.status = Result::Status::kShort;
      const OptionError shorter("min_duration", DoubleText(c.min_duration),
                                "its " + DoubleText(r.info.Duration()) + " s are shorter; no output");
      r.error = Describe(u, shorter.what());
      r.shown = Describe(u, shown(shorter));
      return r;
    }
    if (r.frames == 0) {
      throw Error(ShortInputMessage(u.path, fused.file.num_samples, c.features.frame_opts()));
    }
    if (!stage_failure.empty()) {
      r.status = Result::Status::kFailed;
      r.error = Describe(u, stage_failure);
      r.shown = Describe(u, stage_failure_shown);
      r.warning.clear();
      return r;
    }
    r.rows = fused.rows;
    r.cols = fused.cols;
    output->Close();
    r.output = std::move(output);
    r.status = Result::Status::kOk;
  } catch (const StopWriting&) {
    return Result();  // stopped: not done
  } catch (const OutputError&) {
    throw;
  } catch (const OptionError& e) {  // an option refusing this file (its rate, its channels)
    r.status = Result::Status::kFailed;
    r.error = Describe(u, e.what());
    r.shown = Describe(u, c.stage_error ? c.stage_error(e) : std::string(e.what()));
    r.warning.clear();
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
void WriteDataDirFiles(const BatchConfig& c, const UtteranceWriter& writer,
                       const std::vector<std::string>& lines) {
  std::string num_frames;
  std::string durations;
  for (const std::string& line : lines) {
    ManifestEntry e;
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
  const std::string scp = writer.ScpPath();
  if (!scp.empty()) {
    const std::string feats = JoinPath(dir, "feats.scp");
    std::error_code ec;
    if (!std::filesystem::equivalent(scp, feats, ec)) {
      struct stat st;
      if (stat(feats.c_str(), &st) == 0) {
        MakeDirectories(JoinPath(dir, ".backup"));
        std::rename(feats.c_str(), JoinPath(dir, ".backup/feats.scp").c_str());
      }
      std::ifstream in(scp, std::ios::binary);
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
      throw OptionError("output", output,
                        "batch output is a directory (ending in '/') or a "
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
      throw OptionError("output", output,
                        "unknown wspecifier option " + Quote(o) + " (expected ark or ark,scp)");
    }
  }
  if (!ark) {
    throw OptionError("output", output, "an scp needs an archive: use ark,scp:A.ark,A.scp");
  }
  if (scp) {
    const size_t comma = rest.find(',');
    if (comma == std::string::npos || comma == 0 || comma + 1 == rest.size()) {
      throw OptionError("output", output, "expected ark,scp:ARCHIVE,SCP");
    }
    out.ark = rest.substr(0, comma);
    out.scp = rest.substr(comma + 1);
  } else {
    out.ark = rest;
  }
  if (out.ark.empty()) throw OptionError("output", output, "empty archive name");
  if (out.ark != "-" && out.ark == out.scp) {
    throw OptionError("output", output, "the archive and the scp must be different files");
  }
  return out;
}

namespace {

// The lhotse FeatureSet of the finished manifest `lines`: every "ok" entry,
// stored as DIR/ID.npy (numpy_files, storage_path DIR) or under its key in
// the archive that the scp indexes (kaldiio, storage_path the scp).
LhotseFeatureSet LhotseSet(const BatchConfig& c, const UtteranceWriter& writer,
                           const std::vector<std::string>& lines) {
  LhotseFeatureSet set = c.lhotse;
  set.storage_type = writer.LhotseStorageType();
  set.storage_path = writer.LhotseStoragePath();
  while (set.storage_path.size() > 1 && set.storage_path.back() == '/') set.storage_path.pop_back();
  for (const std::string& line : lines) {
    ManifestEntry e;
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
    f.storage_key = writer.LhotseStorageKey(e.Get("id"));
    set.features.push_back(std::move(f));
  }
  return set;
}

std::unique_ptr<UtteranceWriter> MakeWriter(const BatchOutput& out, const BatchConfig& c) {
  if (out.kind == BatchOutput::Kind::kNpyDir) return std::make_unique<NpyTreeWriter>(out.dir);
  ArchiveWriter::Options options;
  options.ark = out.ark;
  options.scp = out.scp;
  options.text = out.text;
  options.compress = c.compress;
  options.compression_method = c.compression_method;
  return std::make_unique<ArchiveWriter>(options);
}

// Thrown out of the worker pool when the observer asked the run to stop.
struct StopRun {};

// The groups SelectShard() keeps whole: each utterance's speaker; an
// utterance the map does not list is a group of its own (it fails alone).
std::vector<std::string> SpeakerGroups(const std::vector<Utterance>& utts,
                                       const SpeakerMap& speakers) {
  std::vector<std::string> groups;
  groups.reserve(utts.size());
  for (const Utterance& u : utts) {
    const std::string* speaker = speakers.SpeakerOf(u.id);
    groups.push_back(speaker != nullptr ? *speaker : "\n" + u.id);  // no id holds a newline
  }
  return groups;
}

// Speaker CMVN without a table of stats, the first pass: the stats of each
// speaker of the shard with an utterance to do, over the rows that reach
// the cmvn stage of each of its utterances (the same per-utterance options
// and stages before cmvn as the output pass), accumulated one utterance
// after the other in spk2utt order, as compute-cmvn-stats --spk2utt does
// on feats.scp. What gives no features (an error, shorter than
// min_duration: no output, so not in feats.scp) adds nothing here and is
// reported by the output pass. The audio is read on `threads` workers;
// `tick` runs while waiting (it may throw StopRun).
void AccumulateSpeakerStats(const std::vector<Utterance>& utts, const std::vector<char>& skip,
                            const BatchConfig& c, int threads, BatchObserver& obs,
                            const std::function<void()>& tick, BatchProgress* progress,
                            SpeakerSettings* speakers) {
  std::vector<char> wanted(utts.size());
  for (size_t i = 0; i < utts.size(); ++i) wanted[i] = skip[i] ? 0 : 1;
  const std::vector<size_t> order = speakers->AccumulationOrder(utts, wanted);
  progress->stats_total = static_cast<int64_t>(order.size());
  progress->stats_done = 0;
  obs.Progress(*progress, false);
  RecordingCache recordings;
  for (const size_t i : order) {
    if (utts[i].IsSegment() && utts[i].error.empty()) recordings.Expect(RecordingKey(utts[i]));
  }
  const StageChain* before = speakers->AccumulationStages().get();
  // The shared settings for the workers: the copy being accumulated is
  // only touched by the sink.
  const SpeakerSettings& shared = *c.speakers;
  struct Rows {
    bool ok = false;
    Matrix rows;
  };
  auto work = [&](size_t k, int /*worker*/) {
    Rows out;
    const Utterance& u = utts[order[k]];
    struct Release {
      RecordingCache* cache;
      const Utterance& u;
      ~Release() {
        if (u.IsSegment() && u.error.empty()) cache->Release(RecordingKey(u));
      }
    } release{&recordings, u};
    if (!u.error.empty() || obs.StopRequested() != 0) return out;
    try {
      internal::MatrixRowSink sink;
      FusedResult fused;
      ExtractFused(InputOf(u, c, &recordings), shared.FeaturesFor(u.id), c.audio, before, {}, &sink,
                   &fused);
      if (fused.file.num_frames == 0) return out;
      if (c.min_duration > 0 && fused.file.info.Duration() < c.min_duration) return out;
      out.rows = sink.Take();
      out.ok = true;
    } catch (const std::exception&) {
      out.ok = false;  // reported by the output pass
    }
    return out;
  };
  auto sink = [&](size_t k, Rows& r) {
    if (r.ok) speakers->Accumulate(utts[order[k]].id, r.rows.View());
    ++progress->stats_done;
    obs.Progress(*progress, true);
    return true;
  };
  OrderedWorkerPool<Rows> pool(threads, static_cast<size_t>(threads) * 2);
  pool.Run(order.size(), work, sink, tick, std::chrono::milliseconds(100));
  if (obs.StopRequested() == 0) speakers->Finish();
}

}  // namespace

std::string DefaultManifestPath(const BatchOutput& output, ShardSpec shard) {
  return MakeWriter(output, BatchConfig())->DefaultManifestPath(shard);
}

BatchSummary RunBatch(const BatchConfig& c, BatchObserver* observer) {
  const auto start = std::chrono::steady_clock::now();
  BatchObserver quiet;
  BatchObserver& obs = observer != nullptr ? *observer : quiet;
  const BatchOutput out = ParseBatchOutput(c.output);
  const bool ark = out.kind == BatchOutput::Kind::kArk;
  if (c.compress && !ark) {
    throw OptionError("compress", std::nullopt,
                      "is for Kaldi archive output ({output} ark:... or ark,scp:...)");
  }
  if (!c.lhotse_manifest.empty() && ark && out.scp.empty()) {
    throw OptionError("lhotse", c.lhotse_manifest,
                      "lhotse reads Kaldi archives through their scp: use {output} ark,scp:A,S "
                      "(or a directory DIR/)");
  }
  if (out.text && c.compress) {
    throw OptionError("output", c.output,
                      "{compress} writes binary matrices; a text archive (t) cannot hold them");
  }
  if (out.text && c.resume) {
    throw OptionError("output", c.output,
                      "{resume} reads binary archives only; write text (t) archives in one "
                      "run, or convert with copy-feats");
  }
  if (c.resume && ark && out.ark == "-") {
    throw OptionError("resume", std::nullopt, "needs outputs in files; ark:- writes to stdout");
  }
  const std::unique_ptr<UtteranceWriter> writer = MakeWriter(out, c);
  // With a speaker map, a shard keeps each speaker whole (utils/split_data.sh
  // splits a data directory by speaker), so its stats are all in one shard.
  std::vector<Utterance> utts = FindUtterances(c.inputs, c.dataset);
  if (c.speakers && !c.speakers->speakers().empty()) {
    utts = SelectShard(utts, c.shard, SpeakerGroups(utts, c.speakers->speakers()));
  } else {
    utts = SelectShard(utts, c.shard);
  }
  writer->CheckIds(utts);
  // One audio file into a bare archive (`extract x.wav -o ark:x.ark`, as
  // compute-fbank-feats is used) is not a dataset run: no manifest unless
  // one is asked for, so none appears in the current directory.
  struct stat input_stat;
  const bool one_file_into_ark =
      ark && out.scp.empty() && c.inputs.size() == 1 && !IsScpInput(c.inputs[0]) &&
      stat(c.inputs[0].c_str(), &input_stat) == 0 && S_ISREG(input_stat.st_mode) &&
      utts.size() == 1 && utts[0].path == c.inputs[0];
  const std::string manifest =
      !c.manifest.empty() ? c.manifest
                          : (one_file_into_ark ? "" : writer->DefaultManifestPath(c.shard));
  if (c.resume && manifest.empty()) {
    throw OptionError("resume", std::nullopt, "needs a manifest ({manifest}=FILE)");
  }
  const std::string hash = OptionsHash(c.options_text);

  // Directories first, so workers never race to create them.
  writer->MakeDirectories();
  MakeDirectories(DirName(manifest));

  std::unique_ptr<ManifestJournal> journal;
  std::map<std::string, ManifestEntry> previous;
  if (!manifest.empty()) {
    journal = std::make_unique<ManifestJournal>(manifest);
    previous = IndexPrevious(journal->Open(c.resume), hash);
  }

  // Resuming: which utterances are already done (ok or failed) with these
  // options.
  const size_t n = utts.size();
  std::vector<char> skip(n, 0);
  std::vector<std::string> lines(n);
  if (c.resume) {
    skip = writer->Resume(utts, previous);
  } else {
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
  writer->AddOutputNames(utts, skip, &outputs_by_dir);
  if (!manifest.empty()) {
    outputs_by_dir[DirName(manifest)].insert(internal::BaseName(manifest));
  }
  for (const auto& [dir, names] : outputs_by_dir) {
    MakeDirectories(dir);
    RemoveStaleTemps(dir, names);
  }

  BatchProgress state;
  state.files_total = static_cast<int64_t>(n);
  for (size_t i = 0; i < n; ++i) {
    if (skip[i]) {
      ++state.already_done;
    } else {
      state.bytes_total += utts[i].bytes + kShardFileOverheadBytes;
    }
  }
  state.files_done = state.already_done;
  obs.Started(state);

  // More workers than utterances to process would only wait.
  int64_t to_do = 0;
  for (size_t i = 0; i < n; ++i) to_do += skip[i] ? 0 : 1;
  const int threads = static_cast<int>(std::max<int64_t>(
      1,
      std::min<int64_t>({c.jobs > 0 ? c.jobs : internal::DefaultThreadCount(), to_do, kMaxJobs})));
  WriteGate gate;
  RecordingCache recordings;
  for (size_t i = 0; i < n; ++i) {
    if (!skip[i] && utts[i].IsSegment() && utts[i].error.empty()) {
      recordings.Expect(RecordingKey(utts[i]));
    }
  }
  // A copy of the speaker settings, to accumulate speaker stats into.
  std::optional<SpeakerSettings> speakers;
  if (c.speakers) speakers.emplace(*c.speakers);
  auto work = [&](size_t i, int /*worker*/) {
    if (skip[i] || obs.StopRequested() != 0) return Result();
    return ExtractUtterance(utts[i], c, speakers ? &*speakers : nullptr, writer.get(), &gate, &obs,
                            &recordings);
  };

  BatchSummary summary;
  summary.already_done = state.already_done;
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  // A stop request: no new output is started, the ones being written
  // finish, and the observer hears of it (the command dies by its signal
  // there, without waiting for the inputs being read: one may block
  // forever, a pipe, a hung mount). Everything journalled so far is in the
  // kernel already, so a resumed run takes it from there.
  auto stop_if_requested = [&] {
    const int stop = obs.StopRequested();
    if (stop == 0) return;
    gate.CloseAndWait();
    summary.wall_seconds = elapsed();
    summary.interrupted = stop;
    summary.exit_status = 128 + stop;
    obs.Interrupted(summary);
    throw StopRun();
  };
  auto sink = [&](size_t i, Result& r) {
    const Utterance& u = utts[i];
    stop_if_requested();
    if (r.status == Result::Status::kSkipped) {
      ManifestEntry e;
      ParseJsonLine(lines[i], &e.fields);
      if (e.Get("status") == "short") {
        ++summary.short_before;
      } else if (!e.ok()) {
        ++summary.failed_before;
        ++state.files_failed;
        obs.FailedBefore(u, Describe(u, e.Get("error")));
        if (c.strict) {
          summary.stopped = true;
          return false;
        }
      }
      obs.Progress(state, false);
      return true;
    }
    state.bytes_done += u.bytes + kShardFileOverheadBytes;
    std::string output;
    if (r.status == Result::Status::kOk) {
      output = writer->Finish(u, static_cast<GatedOutput*>(r.output.get())->inner());
      r.output.reset();
      summary.audio_seconds += r.info.Duration();
      state.audio_seconds = summary.audio_seconds;
      ++summary.ok;
      if (r.resampled) ++summary.resampled;
      if (u.IsSegment()) ++summary.segments;
      obs.Done(u, r.warning);
    } else if (r.status == Result::Status::kShort) {
      ++summary.short_now;
      obs.Skipped(u, r.shown.empty() ? r.error : r.shown);
    } else {
      ++summary.failed;
      ++state.files_failed;
      obs.Failed(u, r.shown.empty() ? r.error : r.shown);
    }
    ++state.files_done;
    obs.Progress(state, true);
    if (r.status == Result::Status::kFailed && c.strict) {
      // Not journalled: after a fix, a resumed run retries it.
      summary.stopped = true;
      return false;
    }
    lines[i] = ManifestLine(u, r, output, hash);
    if (journal) journal->Append(lines[i] + "\n");
    return true;
  };

  const size_t window = static_cast<size_t>(threads) * (writer->HoldsRows() ? 2 : 64);
  OrderedWorkerPool<Result> pool(threads, window);
  auto tick = [&] {
    stop_if_requested();
    obs.Progress(state, true);
  };
  try {
    if (speakers && speakers->NeedsAccumulation()) {
      AccumulateSpeakerStats(utts, skip, c, threads, obs, tick, &state, &*speakers);
      stop_if_requested();
    }
    pool.Run(n, work, sink, tick, std::chrono::milliseconds(100));
    summary.recordings_decoded = recordings.decoded();
    stop_if_requested();
  } catch (const StopRun&) {
    return summary;
  }
  summary.exit_status = summary.failed + summary.failed_before > 0 || summary.stopped ? 1 : 0;
  summary.wall_seconds = elapsed();
  obs.Finished(summary);

  if (!summary.stopped) {
    writer->Commit();
    if (journal) journal->Commit(lines);
    if (!c.lhotse_manifest.empty()) {
      WriteLhotseFeatureSet(c.lhotse_manifest, LhotseSet(c, *writer, lines));
    }
    if (!c.data_dir.empty()) WriteDataDirFiles(c, *writer, lines);
  }
  summary.wall_seconds = elapsed();
  return summary;
}

namespace {

// What decides an output's contents, in a canonical text: the feature
// options (the chosen type's table, defaults included), the pooling options
// when pooling, the other stages' when any is on, the audio reading and the
// archive's compression. A resumed run reuses only outputs made with the
// same text.
std::string OutputOptionsText(const BatchRequest& r, const BatchConfig& c) {
  std::string text = "feature=" + FeatureTypeName(r.features.type) + "\n" + OptionsText(r.features);
  if (r.stages.pool) text += "pool\n" + OptionsText(*r.stages.pool);
  StageOptions others = r.stages;
  others.pool.reset();
  // Only with a stage other than pooling on, so pooled outputs keep the tag
  // they had before the stage chain.
  if (others.Any()) text += "stages\n" + OptionsText(others);
  const std::string channel =
      r.audio.channel == AudioReadOptions::kMixChannels ? "mix" : std::to_string(r.audio.channel);
  text += "channel=" + channel + "\nno_resample=" + (r.audio.resample ? "false" : "true") + "\n";
  // Only when not the default, so that outputs of earlier versions are reused.
  if (!r.audio.allow_downsample) text += "allow_downsample=false\n";
  if (!r.audio.allow_upsample) text += "allow_upsample=false\n";
  if (c.compress) {
    text += "compression_method=" + std::to_string(static_cast<int>(c.compression_method)) + "\n";
  }
  if (c.min_duration > 0) text += "min_duration=" + std::to_string(c.min_duration) + "\n";
  return text;
}

// What a lhotse FeatureSet says about every row: the type (lhotse names its
// extractors "kaldi-fbank", "fbank", ...; featpool's are "featpool-NAME", with
// "-MODEpool" when pooled), the seconds between rows and the audio's rate.
// Pooling without a fixed time step (adaptive, stats) has no frame_shift, so
// it cannot be described.
LhotseFeatureSet LhotseDescription(const FeatureOptions& opts, const Pooler* pooler) {
  const FrameExtractionOptions& frame = opts.frame_opts();
  LhotseFeatureSet set;
  set.type = "featpool-" + FeatureTypeName(opts.type);
  set.sampling_rate = static_cast<int32_t>(frame.samp_freq);
  int64_t step = frame.WindowShift();
  if (pooler != nullptr) {
    const PoolOptions& pool = pooler->options();
    switch (pool.mode) {
      case PoolMode::kMax:
      case PoolMode::kAvg:
      case PoolMode::kLp:
        step *= pool.EffectiveStride().time;
        break;
      case PoolMode::kStack:
        step *= pool.stack_stride;
        break;
      default:
        throw OptionError("pool", PoolModeName(pool.mode),
                          "has no fixed time step between rows, so a lhotse manifest's "
                          "frame_shift cannot describe it");
    }
    set.type += "-" + PoolModeName(pool.mode) + "pool";
  }
  set.frame_shift = static_cast<double>(step) / frame.samp_freq;
  return set;
}

bool IsFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The file of a map option's rspecifier (KaldiTableFile), its errors as
// OptionErrors of `key`, so each frontend spells the option its way.
std::string MapFile(const std::string& value, const std::string& key) {
  try {
    return KaldiTableFile(value, key);
  } catch (const Error& e) {
    const std::string prefix = key + "=" + value + ": ";
    std::string reason = e.what();
    if (reason.rfind(prefix, 0) == 0) reason = reason.substr(prefix.size());
    throw OptionError(key, value, reason);
  }
}

// At most one of the options `keys` (with their values) may be given.
void AtMostOne(const std::vector<std::pair<std::string, const std::string*>>& options) {
  std::string given;
  for (const auto& [key, value] : options) {
    if (value->empty()) continue;
    if (!given.empty()) throw OptionError(given, std::nullopt, "and {" + key + "}: give one");
    given = key;
  }
}

// The speaker settings of a run (null when no map is used and no stage
// needs one): the maps given, else a Kaldi data directory's own.
std::shared_ptr<const SpeakerSettings> MakeSpeakerSettings(const BatchRequest& r,
                                                           const BatchConfig& c) {
  AtMostOne({{"utt2spk", &r.utt2spk}, {"spk2utt", &r.spk2utt}});
  AtMostOne({{"utt2warp", &r.utt2warp}, {"spk2warp", &r.spk2warp}, {"vtln_map", &r.vtln_map}});
  const bool speaker_cmvn = c.stages && c.stages->NeedsSpeakerStats();
  const bool has_vtln =
      c.features.type == FeatureType::kFbank || c.features.type == FeatureType::kMfcc;
  SpeakerMap speakers;
  if (!r.spk2utt.empty()) {
    speakers = SpeakerMap::FromSpk2Utt(MapFile(r.spk2utt, "spk2utt"));
  } else if (!r.utt2spk.empty()) {
    speakers = SpeakerMap::FromUtt2Spk(MapFile(r.utt2spk, "utt2spk"));
  }
  VtlnWarpMap warps;
  if (!r.utt2warp.empty()) {
    warps = VtlnWarpMap::Read(MapFile(r.utt2warp, "utt2warp"), false);
  } else if (!r.spk2warp.empty()) {
    warps = VtlnWarpMap::Read(MapFile(r.spk2warp, "spk2warp"), true);
  } else if (!r.vtln_map.empty()) {
    // Kaldi compute-mfcc-feats.cc l.84-85 (kaldi-asr/kaldi f4007661):
    // RandomAccessBaseFloatReaderMapped(vtln_map, utt2spk) looks an
    // utterance up by its speaker when --utt2spk is given, by itself
    // otherwise.
    warps = VtlnWarpMap::Read(MapFile(r.vtln_map, "vtln_map"), !speakers.empty());
  }
  // A Kaldi data directory's own maps, for what is not given. Its VTLN
  // warps as steps/make_fbank.sh (l.80-86) and make_mfcc.sh (l.78-84) take
  // them: --vtln-map=ark:$data/spk2warp --utt2spk=ark:$data/utt2spk if
  // there is a spk2warp, else --vtln-map=ark:$data/utt2warp if there is an
  // utt2warp; only for the features with VTLN (make_spectrogram.sh has no
  // warps). Its speakers when speaker CMVN or a spk2warp needs them: its
  // spk2utt, the order steps/compute_cmvn_stats.sh accumulates in, else
  // its utt2spk.
  if (!c.data_dir.empty()) {
    const std::string dir = c.data_dir;
    if (warps.empty() && r.utt2warp.empty() && has_vtln) {
      if (IsFile(JoinPath(dir, "spk2warp"))) {
        warps = VtlnWarpMap::Read(JoinPath(dir, "spk2warp"), true);
      } else if (IsFile(JoinPath(dir, "utt2warp"))) {
        warps = VtlnWarpMap::Read(JoinPath(dir, "utt2warp"), false);
      }
    }
    if (speakers.empty() && (speaker_cmvn || warps.per_speaker())) {
      if (IsFile(JoinPath(dir, "spk2utt"))) {
        speakers = SpeakerMap::FromSpk2Utt(JoinPath(dir, "spk2utt"));
      } else if (IsFile(JoinPath(dir, "utt2spk"))) {
        speakers = SpeakerMap::FromUtt2Spk(JoinPath(dir, "utt2spk"));
      }
    }
  }
  // Kaldi compute-mfcc-feats.cc l.81-83: "The --utt2spk option is only
  // needed if the --vtln-map option is used" (compute-fbank-feats.cc l.81
  // has the test inverted, refusing the two together, which
  // steps/make_fbank.sh passes with a spk2warp; compute-mfcc-feats's rule is
  // the intended one). Here a speaker map is also what speaker CMVN needs.
  // (A data directory's own map is only read when needed.)
  if (!speakers.empty() && !warps.per_speaker() && !speaker_cmvn) {
    throw OptionError(r.spk2utt.empty() ? "utt2spk" : "spk2utt", std::nullopt,
                      "is only needed with {cmvn}=speaker, {spk2warp} or {vtln_map}");
  }
  if (speakers.empty() && warps.empty() && !speaker_cmvn) return nullptr;
  return std::make_shared<const SpeakerSettings>(std::move(speakers), std::move(warps), c.features,
                                                 c.stages);
}

std::string ShardedName(ShardSpec shard) {
  return "features." + std::to_string(shard.index) + "-of-" + std::to_string(shard.count) +
         ".jsonl.gz";
}

}  // namespace

void BatchRequest::VisitOptions(OptionVisitor& v) {
  v.Visit(
      OptionInfo::Range("manifest", "path",
                        "manifest.jsonl path; \"\" = in the output directory, or beside the scp "
                        "or the archive (manifest.K-of-N.jsonl for a shard)"),
      OptionRef::Of(&manifest));
  v.Visit(OptionInfo::Range("lhotse", "path",
                            "Also write a lhotse FeatureSet manifest (.jsonl.gz or .jsonl) of the "
                            "outputs: numpy_files for a directory, kaldiio for ark,scp"),
          OptionRef::Of(&lhotse));
  v.Visit(OptionInfo::Range("extensions", "", "Extensions searched for in directories"),
          OptionRef::Of(&extensions));
  v.Visit(OptionInfo::Range("segments", "path",
                            "Kaldi segments file ('utt-id recording-id start end [channel]'): "
                            "each utterance cut from its recording, decoded once for all its "
                            "segments"),
          OptionRef::Of(&segments));
  v.Visit(OptionInfo::Range("utt2spk", "path",
                            "Kaldi utt2spk (FILE or ark:FILE): each utterance's speaker, for "
                            "speaker CMVN (apply-cmvn --utt2spk) and a spk2warp; shards keep "
                            "speakers whole. Default for a data directory: its spk2utt, else its "
                            "utt2spk, when needed"),
          OptionRef::Of(&utt2spk));
  v.Visit(OptionInfo::Range("spk2utt", "path",
                            "Kaldi spk2utt: as utt2spk, each speaker's stats accumulated over its "
                            "utterances in this order"),
          OptionRef::Of(&spk2utt));
  v.Visit(OptionInfo::Range("utt2warp", "path",
                            "Kaldi utt2warp: a VTLN warp factor per utterance, replacing the one "
                            "VTLN warp (fbank, mfcc). Default for a data directory: its utt2warp "
                            "if it has one and no spk2warp, as make_fbank.sh"),
          OptionRef::Of(&utt2warp));
  v.Visit(OptionInfo::Range("spk2warp", "path",
                            "Kaldi spk2warp: a VTLN warp factor per speaker (with utt2spk or "
                            "spk2utt). Default for a data directory: its spk2warp, as "
                            "make_fbank.sh"),
          OptionRef::Of(&spk2warp));
  v.Visit(OptionInfo::Range("vtln_map", "path",
                            "Kaldi's vtln-map: warps keyed by speaker with utt2spk or spk2utt, by "
                            "utterance without, as compute-mfcc-feats reads it"),
          OptionRef::Of(&vtln_map));
  v.Visit(OptionInfo::Range("shard", "",
                            "K/N: shard K of N (deterministic, balanced by file size); \"\" = all"),
          OptionRef::Of(&shard));
  v.Visit(OptionInfo::Range("jobs", "",
                            "Worker threads; 0 = every available CPU; never more than the "
                            "utterances",
                            0, kMaxJobs),
          OptionRef::Of(&jobs));
  v.Visit(
      OptionInfo::Range("resume", "",
                        "Skip the utterances an interrupted run with the same options finished"),
      OptionRef::Of(&resume));
  v.Visit(OptionInfo::Range("strict", "", "Stop at the first bad input"), OptionRef::Of(&strict));
  v.Visit(OptionInfo::Range("compress", "",
                            "Kaldi archive output: compressed matrices, byte for byte as Kaldi's "
                            "copy-feats --compress=true"),
          OptionRef::Of(&compress));
  v.Visit(OptionInfo::Range("compression_method", "",
                            "With compress: Kaldi's CompressionMethod 1-7 or its name (1 auto: "
                            "speech-feature above 8 rows, else two-byte-auto; 2 "
                            "speech-feature, 3 two-byte-auto, 4 two-byte-signed-integer, 5 "
                            "one-byte-auto, 6 one-byte-unsigned-integer, 7 one-byte-zero-one)"),
          OptionRef::Of(&compression_method));
  v.Visit(OptionInfo::Range("min_duration", "s",
                            "Utterances shorter than this give no output (reported, recorded as "
                            "short in the manifest, not failures), as Kaldi's compute-fbank-feats",
                            0.0),
          OptionRef::Of(&min_duration));
  v.Visit(OptionInfo::Range("write_utt2num_frames", "",
                            "A Kaldi data directory input: write its utt2num_frames, as "
                            "make_fbank.sh"),
          OptionRef::Of(&write_utt2num_frames));
  v.Visit(OptionInfo::Range("write_utt2dur", "",
                            "A Kaldi data directory input: write its utt2dur, as make_fbank.sh"),
          OptionRef::Of(&write_utt2dur));
  audio.VisitOptions(v);
  v.Visit(OptionInfo::Range("pipe_timeout", "s",
                            "Seconds a wav.scp command may run before it is killed and its "
                            "utterance fails; 0: no limit",
                            0.0),
          OptionRef::Of(&audio.pipe.timeout_seconds));
  v.Visit(OptionInfo::Range("pipe_max_bytes", "",
                            "Most bytes a wav.scp command may write (held in memory)", 1.0),
          OptionRef::Of(&audio.pipe.max_bytes));
}

BatchConfig MakeBatchConfig(const BatchRequest& r) {
  CheckOptionRanges(r);  // jobs, min_duration, the pipe limits
  BatchConfig config;
  config.inputs = r.inputs;
  config.output = r.output;
  config.lhotse_manifest = r.lhotse;
  // lhotse:DIR is DIR/ with the FeatureSet DIR/features.jsonl.gz (lhotse's
  // own name for one; features.K-of-N.jsonl.gz for a shard).
  if (r.output.rfind("lhotse:", 0) == 0) {
    std::string dir = r.output.substr(7);
    if (dir.empty()) throw Error("-o lhotse:DIR: no directory given");
    if (dir.back() != '/') dir += '/';
    if (config.lhotse_manifest.empty()) {
      config.lhotse_manifest =
          dir + (r.shard.empty() ? "features.jsonl.gz" : ShardedName(ShardSpec::Parse(r.shard)));
    }
    config.output = dir;
  }
  config.manifest = r.manifest;
  config.dataset.extensions = ParseExtensions(r.extensions);
  config.dataset.segments = r.segments;
  config.min_duration = r.min_duration;
  // steps/make_fbank.sh leaves feats.scp, utt2num_frames, utt2dur and
  // frame_shift in the data directory.
  if (r.inputs.size() == 1 && IsDataDir(r.inputs[0])) {
    config.data_dir = r.inputs[0];
    config.write_utt2num_frames = r.write_utt2num_frames;
    config.write_utt2dur = r.write_utt2dur;
  }
  if (!r.shard.empty()) config.shard = ShardSpec::Parse(r.shard);
  config.jobs = r.jobs;
  config.resume = r.resume;
  config.strict = r.strict;
  config.compress = r.compress;
  config.compression_method = ParseCompressionMethod(r.compression_method);
  config.features = r.features;
  config.audio = r.audio;
  config.stages = r.chain ? r.chain : MakeStageChain(r.features, r.stages);
  config.stage_error = r.stage_error;
  config.speakers = MakeSpeakerSettings(r, config);
  config.options_text = OutputOptionsText(r, config);
  // The maps' contents, so that a resumed run never reuses an output made
  // with other warps or other speakers.
  if (config.speakers) config.options_text += config.speakers->Text();
  if (!config.lhotse_manifest.empty()) {
    config.lhotse =
        LhotseDescription(r.features, config.stages ? config.stages->pooler() : nullptr);
  }
  return config;
}

}  // namespace featpool
