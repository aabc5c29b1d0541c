#include "featpool/writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "batch-files.h"
#include "featpool/npy.h"
#include "featpool/output-file.h"
#include "fused-extract.h"
#include "locked-file.h"

namespace featpool {

using internal::BaseName;
using internal::DirName;
using internal::JoinPath;
using internal::Quote;

namespace {

int64_t NpyFileSize(int64_t rows, int64_t cols) {
  return static_cast<int64_t>(NpyHeader("<f4", rows, cols).size()) + rows * cols * 4;
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  return static_cast<int64_t>(st.st_size);
}

// A worker's .npy: opened at the first rows (so an input that fails before
// giving any leaves no file); a write error is an OutputError.
class NpyOutput : public UtteranceOutput {
 public:
  explicit NpyOutput(std::string path) : sink_(std::move(path)) {}
  void Begin(int64_t expected_rows, int64_t cols) override { sink_.Begin(expected_rows, cols); }
  void Rows(MatrixView rows) override {
    try {
      sink_.Rows(rows);
    } catch (const Error& e) {
      throw OutputError(e.what());
    }
  }
  void Close() override {
    try {
      sink_.Commit();
    } catch (const Error& e) {
      throw OutputError(e.what());
    }
  }

 private:
  internal::NpyRowSink sink_;
};

// An archive record's rows, held until the collecting thread writes them.
class HeldRows : public UtteranceOutput {
 public:
  void Begin(int64_t expected_rows, int64_t cols) override { sink_.Begin(expected_rows, cols); }
  void Rows(MatrixView rows) override { sink_.Rows(rows); }
  void Close() override {}
  Matrix Take() { return sink_.Take(); }

 private:
  internal::MatrixRowSink sink_;
};

std::string ManifestFileName(ShardSpec shard) {
  return shard.count == 1 ? "manifest.jsonl"
                          : "manifest." + std::to_string(shard.index) + "-of-" +
                                std::to_string(shard.count) + ".jsonl";
}

}  // namespace

namespace internal {

void MakeDirectories(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error("cannot create directory " + Quote(dir) + ": " + ec.message());
}

}  // namespace internal

std::string ManifestEntry::Get(const std::string& key) const {
  auto it = fields.find(key);
  return it == fields.end() ? "" : it->second;
}

bool ManifestEntry::SameSource(const Utterance& u) const {
  if (Get("path") != u.path) return false;
  if (!u.IsSegment()) return Get("recording").empty();
  return Get("recording") == u.recording && Get("start") == internal::TimeText(u.start) &&
         Get("end") == (u.end >= 0 ? internal::TimeText(u.end) : std::string());
}

// ---- NpyTreeWriter

NpyTreeWriter::NpyTreeWriter(std::string dir) : dir_(std::move(dir)) {}

std::string NpyTreeWriter::OutputPath(const Utterance& u) const {
  return JoinPath(dir_, u.id + ".npy");
}

// Ids become paths below the output directory: keep them there.
void NpyTreeWriter::CheckIds(const std::vector<Utterance>& utts) const {
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

std::string NpyTreeWriter::DefaultManifestPath(ShardSpec shard) const {
  return JoinPath(dir_, ManifestFileName(shard));
}

void NpyTreeWriter::MakeDirectories() const { internal::MakeDirectories(dir_); }

// Each utterance recorded by the earlier run as failed (or short), or as ok
// with its .npy of the recorded shape in place.
std::vector<char> NpyTreeWriter::Resume(const std::vector<Utterance>& utts,
                                        const std::map<std::string, ManifestEntry>& previous) {
  std::vector<char> done(utts.size(), 0);
  for (size_t i = 0; i < utts.size(); ++i) {
    auto it = previous.find(utts[i].id);
    if (it == previous.end() || !it->second.SameSource(utts[i])) continue;
    const ManifestEntry& e = it->second;
    if (e.ok()) {
      const std::string path = OutputPath(utts[i]);
      int64_t rows = 0;
      int64_t cols = 0;
      if (e.Get("output") != path ||
          std::sscanf(e.Get("shape").c_str(), "[%" SCNd64 ",%" SCNd64 "]", &rows, &cols) != 2 ||
          FileSize(path) != NpyFileSize(rows, cols)) {
        continue;
      }
    }
    done[i] = 1;
  }
  return done;
}

void NpyTreeWriter::AddOutputNames(const std::vector<Utterance>& utts,
                                   const std::vector<char>& done,
                                   std::map<std::string, std::set<std::string>>* names) const {
  for (size_t i = 0; i < utts.size(); ++i) {
    if (done[i]) continue;
    const std::string path = OutputPath(utts[i]);
    (*names)[DirName(path)].insert(BaseName(path));
  }
}

std::unique_ptr<UtteranceOutput> NpyTreeWriter::Begin(const Utterance& u) {
  return std::make_unique<NpyOutput>(OutputPath(u));
}

std::string NpyTreeWriter::Finish(const Utterance& u, UtteranceOutput* /*output*/) {
  return OutputPath(u);
}

// ---- ArchiveWriter

ArchiveWriter::ArchiveWriter(Options options) : options_(std::move(options)) {}

void ArchiveWriter::CheckIds(const std::vector<Utterance>& utts) const {
  for (const Utterance& u : utts) {
    try {
      CheckKaldiKey(u.id);
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + " (from " + Quote(u.path) + ")");
    }
  }
}

std::string ArchiveWriter::DefaultManifestPath(ShardSpec shard) const {
  if (!options_.scp.empty()) return JoinPath(DirName(options_.scp), ManifestFileName(shard));
  if (options_.ark == "-") return "";
  return JoinPath(DirName(options_.ark), ManifestFileName(shard));
}

void ArchiveWriter::MakeDirectories() const {
  if (options_.ark != "-") internal::MakeDirectories(DirName(options_.ark));
  internal::MakeDirectories(DirName(options_.scp));
}

void ArchiveWriter::Create() {
  writer_ = std::make_unique<KaldiArkWriter>(options_.ark, options_.scp);
  if (options_.compress) writer_->SetCompression(options_.compression_method);
  if (options_.text) writer_->SetText();
}

void ArchiveWriter::Open() {
  Create();
  writer_->Open();
}

// The longest prefix of `utts` recorded by the earlier run whose ok
// utterances are the archive's first records, at the recorded offsets.
// Keeps those records.
std::vector<char> ArchiveWriter::Resume(const std::vector<Utterance>& utts,
                                        const std::map<std::string, ManifestEntry>& previous) {
  Create();
  const std::vector<KaldiArkRecord> records = writer_->OpenForResume();
  std::vector<char> done(utts.size(), 0);
  size_t r = 0;
  for (size_t i = 0; i < utts.size(); ++i) {
    auto it = previous.find(utts[i].id);
    if (it == previous.end() || !it->second.SameSource(utts[i])) break;
    const ManifestEntry& e = it->second;
    if (e.ok()) {
      if (r == records.size() || records[r].key != utts[i].id ||
          records[r].compressed != options_.compress ||
          e.Get("shape") != internal::ShapeText(records[r].rows, records[r].cols) ||
          e.Get("output") != options_.ark + ":" + std::to_string(records[r].offset)) {
        break;
      }
      ++r;
    }
    done[i] = 1;
  }
  writer_->KeepRecords(records, r);
  return done;
}

void ArchiveWriter::AddOutputNames(const std::vector<Utterance>& /*utts*/,
                                   const std::vector<char>& /*done*/,
                                   std::map<std::string, std::set<std::string>>* names) const {
  if (!options_.scp.empty()) (*names)[DirName(options_.scp)].insert(BaseName(options_.scp));
}

std::unique_ptr<UtteranceOutput> ArchiveWriter::Begin(const Utterance& /*u*/) {
  return std::make_unique<HeldRows>();
}

std::string ArchiveWriter::Finish(const Utterance& u, UtteranceOutput* output) {
  HeldRows* held = dynamic_cast<HeldRows*>(output);
  if (held == nullptr || !writer_) throw Error("ArchiveWriter::Finish: not an output it began");
  const Matrix rows = held->Take();
  return options_.ark + ":" + std::to_string(writer_->Write(u.id, rows.View()));
}

void ArchiveWriter::Commit() {
  if (writer_) writer_->Commit();
}

// ---- ManifestJournal

ManifestJournal::ManifestJournal(std::string manifest) : manifest_(std::move(manifest)) {
  path_ = JoinPath(DirName(manifest_), "." + BaseName(manifest_) + ".partial");
  struct stat st;
  direct_ = stat(manifest_.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
}

ManifestJournal::~ManifestJournal() {
  if (fd_ >= 0) close(fd_);
}

namespace {

// Lines ending in '\n'; a last line cut short by a kill is dropped.
std::vector<std::string> ReadLines(const std::string& path) {
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

}  // namespace

std::vector<std::string> ManifestJournal::Open(bool resume) {
  if (direct_) {
    if (resume) throw OptionError("resume", "true", "needs a manifest file, not " + Quote(manifest_));
    return {};
  }
  fd_ = internal::OpenLocked(path_, "another featpool run is writing " + Quote(manifest_) + " (" +
                                        Quote(path_) + " is locked)");
  std::vector<std::string> lines;
  if (resume) {
    lines = ReadLines(path_);
    if (lines.empty()) lines = ReadLines(manifest_);
  }
  internal::TruncateLocked(fd_, 0, path_);
  return lines;
}

void ManifestJournal::Append(const std::string& text) {
  if (direct_) return;
  const std::string reason = internal::WriteFully(fd_, text.data(), text.size());
  if (!reason.empty()) {
    throw Error("cannot write " + Quote(manifest_) + " (its journal " + Quote(path_) +
                "): " + reason);
  }
}

void ManifestJournal::Commit(const std::vector<std::string>& lines) {
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

}  // namespace featpool
