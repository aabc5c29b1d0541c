// Where a dataset run (batch.h) puts its outputs: one .npy per utterance
// below a directory (NpyTreeWriter) or one Kaldi archive with its scp
// (ArchiveWriter), both behind UtteranceWriter, and the manifest journal
// (ManifestJournal) that makes a run resumable. README.md, "Dataset
// preparation", is the user's view of the files.
//
// Thread safety: an UtteranceWriter's Begin() may be called from any thread,
// and the UtteranceOutput it returns is used by one thread at a time; every
// other member is called from one thread (the one collecting results).
#ifndef FEATPOOL_WRITER_H_
#define FEATPOOL_WRITER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "featpool/compressed-matrix.h"
#include "featpool/dataset.h"
#include "featpool/error.h"
#include "featpool/kaldi-io.h"
#include "featpool/matrix.h"

namespace featpool {

// Where rows go as they become final (a streamed extraction).
class RowSink {
 public:
  virtual ~RowSink() = default;
  // Once, before any rows: the row count the input's header promises (-1 if
  // unknown; a hint only) and the width of every row.
  virtual void Begin(int64_t /*expected_rows*/, int64_t /*cols*/) {}
  // The next rows, in order (valid during the call only).
  virtual void Rows(MatrixView rows) = 0;
};

// A write to an output failed: unlike a bad input, that stops a whole run.
class OutputError : public Error {
 public:
  explicit OutputError(const std::string& message) : Error(message) {}
};

// One utterance's output being made. Destroyed without Close(), it leaves
// nothing behind (no file, no temporary file).
class UtteranceOutput : public RowSink {
 public:
  // After the last rows. Throws OutputError if they cannot be kept.
  virtual void Close() = 0;
};

// One finished line of a manifest (manifest.jsonl), read back for --resume:
// its text and its flat fields ("id", "status", "shape", ...).
struct ManifestEntry {
  std::string line;
  std::map<std::string, std::string> fields;

  bool ok() const { return Get("status") == "ok"; }
  // The field's text ("" if absent).
  std::string Get(const std::string& key) const;
  // The earlier entry is about the same audio as `u`: the same path (file
  // or wav.scp command) and, for a segment, the same recording and times.
  bool SameSource(const Utterance& u) const;
};

// The outputs of a run, per utterance. A run calls, in this order:
// CheckIds, MakeDirectories, Open or Resume, then Begin (worker threads),
// Close (same thread) and Finish (collecting thread, in input order) per
// utterance, and Commit at the end. Throws Error (OutputError for writes).
class UtteranceWriter {
 public:
  virtual ~UtteranceWriter() = default;

  // Throws Error naming the first utterance whose id cannot name its output.
  virtual void CheckIds(const std::vector<Utterance>& utts) const = 0;
  // The manifest's place when none is given ("" if there is none: an
  // archive written to stdout).
  virtual std::string DefaultManifestPath(ShardSpec shard) const = 0;
  // Makes the directories the outputs are written in.
  virtual void MakeDirectories() const = 0;
  // A fresh run.
  virtual void Open() = 0;
  // A resumed run: keeps what an earlier run finished and returns, per
  // utterance of `utts`, whether it is done (1) or to do (0). `previous`:
  // the earlier run's manifest entries with these options, by id.
  virtual std::vector<char> Resume(const std::vector<Utterance>& utts,
                                   const std::map<std::string, ManifestEntry>& previous) = 0;
  // Adds the names of the files this run writes, by directory ("" is the
  // current one), for the utterances not `done`: temporary files a killed
  // run left with those names are removed before the run.
  virtual void AddOutputNames(const std::vector<Utterance>& utts, const std::vector<char>& done,
                              std::map<std::string, std::set<std::string>>* names) const = 0;
  // True if a closed output holds its rows in memory until Finish() (an
  // archive written in input order); the run then keeps fewer of them.
  virtual bool HoldsRows() const = 0;
  // Where utterance `u`'s rows go (any thread).
  virtual std::unique_ptr<UtteranceOutput> Begin(const Utterance& u) = 0;
  // The closed `output` of `u`, in input order: stores it and returns what
  // the manifest's "output" field says of it (a path, "ARK:OFFSET").
  virtual std::string Finish(const Utterance& u, UtteranceOutput* output) = 0;
  // After the last utterance: puts the outputs in place.
  virtual void Commit() = 0;

  // How lhotse reads these outputs (lhotse.h): storage type, path and the
  // key of utterance `id`.
  virtual std::string LhotseStorageType() const = 0;
  virtual std::string LhotseStoragePath() const = 0;
  virtual std::string LhotseStorageKey(const std::string& id) const = 0;
  // The scp a Kaldi data directory's feats.scp is a copy of ("" if none).
  virtual std::string ScpPath() const { return ""; }
};

// DIR/ID.npy per utterance (float32, [rows, cols]), each written under a
// temporary name as its rows come and renamed into place when closed.
class NpyTreeWriter : public UtteranceWriter {
 public:
  explicit NpyTreeWriter(std::string dir);

  // The .npy of `u`.
  std::string OutputPath(const Utterance& u) const;

  void CheckIds(const std::vector<Utterance>& utts) const override;
  std::string DefaultManifestPath(ShardSpec shard) const override;
  void MakeDirectories() const override;
  void Open() override {}
  std::vector<char> Resume(const std::vector<Utterance>& utts,
                           const std::map<std::string, ManifestEntry>& previous) override;
  void AddOutputNames(const std::vector<Utterance>& utts, const std::vector<char>& done,
                      std::map<std::string, std::set<std::string>>* names) const override;
  bool HoldsRows() const override { return false; }
  std::unique_ptr<UtteranceOutput> Begin(const Utterance& u) override;
  std::string Finish(const Utterance& u, UtteranceOutput* output) override;
  void Commit() override {}
  std::string LhotseStorageType() const override { return "numpy_files"; }
  std::string LhotseStoragePath() const override { return dir_; }
  std::string LhotseStorageKey(const std::string& id) const override { return id + ".npy"; }

 private:
  std::string dir_;
};

// A Kaldi archive ("-": stdout) and optionally its scp (KaldiArkWriter),
// one record per utterance in input order: binary, compressed or text.
class ArchiveWriter : public UtteranceWriter {
 public:
  struct Options {
    std::string ark;  // path, "-" for stdout
    std::string scp;  // "" for none
    bool text = false;
    bool compress = false;
    CompressionMethod compression_method = CompressionMethod::kAuto;
  };
  explicit ArchiveWriter(Options options);

  void CheckIds(const std::vector<Utterance>& utts) const override;
  std::string DefaultManifestPath(ShardSpec shard) const override;
  void MakeDirectories() const override;
  void Open() override;
  std::vector<char> Resume(const std::vector<Utterance>& utts,
                           const std::map<std::string, ManifestEntry>& previous) override;
  void AddOutputNames(const std::vector<Utterance>& utts, const std::vector<char>& done,
                      std::map<std::string, std::set<std::string>>* names) const override;
  bool HoldsRows() const override { return true; }
  std::unique_ptr<UtteranceOutput> Begin(const Utterance& u) override;
  std::string Finish(const Utterance& u, UtteranceOutput* output) override;
  void Commit() override;
  std::string LhotseStorageType() const override { return "kaldiio"; }
  std::string LhotseStoragePath() const override { return options_.scp; }
  std::string LhotseStorageKey(const std::string& id) const override { return id; }
  std::string ScpPath() const override { return options_.scp; }

 private:
  void Create();

  Options options_;
  std::unique_ptr<KaldiArkWriter> writer_;  // made by Open() or Resume()
};

// The manifest being built: "<dir>/.<name>.partial", one line per finished
// utterance handed to the kernel at once (a kill loses no finished line),
// under the same exclusive lock as a partial archive, so a second run on the
// same manifest is refused. Commit() writes the ordered manifest (temporary
// name, then rename) and removes the journal. A manifest that is not a
// regular file (/dev/null) is written at Commit() only, with no journal.
class ManifestJournal {
 public:
  explicit ManifestJournal(std::string manifest);
  ~ManifestJournal();
  ManifestJournal(const ManifestJournal&) = delete;
  ManifestJournal& operator=(const ManifestJournal&) = delete;

  // Locks and empties the journal; with `resume` returns the complete lines
  // it held, or if it held none those of a finished manifest.
  std::vector<std::string> Open(bool resume);
  // Appends lines (each ending in '\n').
  void Append(const std::string& text);
  // Writes `lines` (empty ones skipped) as the manifest.
  void Commit(const std::vector<std::string>& lines);

  const std::string& manifest() const { return manifest_; }

 private:
  std::string manifest_;
  std::string path_;
  bool direct_ = false;
  int fd_ = -1;
};

}  // namespace featpool

#endif  // FEATPOOL_WRITER_H_
