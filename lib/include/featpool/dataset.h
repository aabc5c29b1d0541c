// The audio files of a dataset: discovery from files, directories and Kaldi
// wav.scp lists, with the utterance ids outputs are named by, and a
// deterministic split into shards balanced by file size.
//
// Thread safety: plain functions on values.
#ifndef FEATPOOL_DATASET_H_
#define FEATPOOL_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

namespace featpool {

// One audio file to process.
struct Utterance {
  std::string id;     // utterance id: the Kaldi key and the output's relative path
  std::string path;   // the audio file
  int64_t bytes = 0;  // its size; 0 if it cannot be stat'ed (it fails later, reported)
};

struct DatasetOptions {
  // Name extensions searched for in directories: case-insensitive, no dot.
  std::vector<std::string> extensions = {"wav", "flac", "ogg", "opus"};

  // Throws Error naming --ext.
  void Validate() const;
};

// Splits "wav,flac" into {"wav", "flac"} (a leading dot is dropped).
std::vector<std::string> ParseExtensions(const std::string& list);

// Each input is
//  - "scp:FILE" (or a FILE named *.scp): a Kaldi wav.scp, lines "utt-id path";
//    ids are kept, relative paths are relative to the working directory (as in
//    Kaldi). Piped commands ("utt-id sox ... |"), stdin ("-") and archive
//    offsets ("file.ark:123") are rejected with a message saying so;
//  - a lhotse RecordingSet ("*.jsonl" or "*.jsonl.gz", lhotse.h): one
//    utterance per recording, id = the recording's id;
//  - a directory: searched recursively (following symbolic links, once each),
//    for files with one of the extensions; hidden files and directories
//    (".name") are skipped; id = the path relative to the directory, without
//    its extension ("spk1/utt1"); sorted by that path;
//  - anything else: an audio file; id = its name without extension. It need
//    not exist: a missing file is reported when it is processed.
// Returns the utterances in input order. Throws Error naming the input for a
// missing directory or scp file, an empty directory, or a bad scp line, and
// throws Error listing the duplicates if two utterances share an id. All of
// this happens before any audio is read.
std::vector<Utterance> FindUtterances(const std::vector<std::string>& inputs,
                                      const DatasetOptions& opts);

// True if `input` names a Kaldi script ("scp:..." or a *.scp file).
bool IsScpInput(const std::string& input);

// "K/N": shard K (1-based) of N.
struct ShardSpec {
  int32_t index = 1;
  int32_t count = 1;

  // Throws Error naming --shard.
  static ShardSpec Parse(const std::string& text);
  std::string ToString() const;
};

// Per-file cost added to the size when balancing shards, so that many small
// (or missing, size 0) files spread over the shards too.
constexpr int64_t kShardFileOverheadBytes = 16 * 1024;

// The utterances of one shard, in input order. Deterministic: the longest
// processing time rule on size + kShardFileOverheadBytes (largest first, ties
// by input order; each to the least loaded shard, ties to the lowest number),
// so the shards partition `all` and their total sizes differ by at most
// about one file. Every shard of a run must see the same list (same inputs,
// same file sizes).
std::vector<Utterance> SelectShard(const std::vector<Utterance>& all, ShardSpec shard);

}  // namespace featpool

#endif  // FEATPOOL_DATASET_H_
