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

// One utterance to process: an audio file, a piped wav.scp entry, or a
// segment of either.
struct Utterance {
  std::string id;     // utterance id: the Kaldi key and the output's relative path
  std::string path;   // the audio file; for a piped entry its wav.scp text ("sox ... |")
  int64_t bytes = 0;  // its size (a segment: an estimate); 0 if unknown
  // A piped wav.scp entry: the command (the text before the final '|'), run
  // with /bin/sh -c as Kaldi does.
  std::string command;
  // A segment (Kaldi `segments`: "utt-id rec-id start end [channel]"): cut
  // from recording `recording` (its audio: path / command), seconds
  // [start, end); end -1 is the recording's end; channel -1: --channel.
  std::string recording;
  double start = 0;
  double end = -1;
  int32_t channel = -1;
  // Non-empty: this utterance fails with this message when it is processed
  // (a segment of a recording wav.scp does not list, a bad segments line).
  std::string error;

  bool IsSegment() const { return !recording.empty(); }
};

struct DatasetOptions {
  // Name extensions searched for in directories: case-insensitive, no dot.
  std::vector<std::string> extensions = {"wav", "flac", "ogg", "opus"};
  // A Kaldi segments file applied to the recordings of every input (--segments).
  std::string segments;

  // Throws OptionError naming extensions.
  void Validate() const;
};

// Splits "wav,flac" into {"wav", "flac"} (a leading dot is dropped).
std::vector<std::string> ParseExtensions(const std::string& list);
// DatasetOptions' default extensions as such a list: "wav,flac,ogg,opus".
std::string DefaultExtensionList();

// Each input is
//  - "scp:FILE" (or a FILE named *.scp): a Kaldi wav.scp, lines "utt-id path";
//    ids are kept, relative paths are relative to the working directory (as in
//    Kaldi). An entry ending in '|' is a command whose standard output is the
//    audio (Kaldi util/kaldi-io.cc ClassifyRxfilename: kPipeInput). The
//    rspecifier options Kaldi's ClassifyRspecifier accepts before "scp"
//    (b, t, o, no, p, np, s, ns, cs, ncs, bg: "scp,p:wav.scp") are accepted;
//    they change nothing here (every bad entry is reported on its own, every
//    recording read once). Stdin ("-"), archive offsets ("file.ark:123"),
//    output pipes ("| cmd") and "ark:" inputs are rejected with a message
//    saying so;
//  - a Kaldi data directory (a directory holding wav.scp): its wav.scp, and
//    its segments file if there is one, as steps/make_fbank.sh reads them;
//  - a lhotse RecordingSet ("*.jsonl" or "*.jsonl.gz", lhotse.h): one
//    utterance per recording, id = the recording's id;
//  - a directory: searched recursively (following symbolic links, once each),
//    for files with one of the extensions; hidden files and directories
//    (".name") are skipped; id = the path relative to the directory, without
//    its extension ("spk1/utt1"); sorted by that path;
//  - anything else: an audio file; id = its name without extension. It need
//    not exist: a missing file is reported when it is processed.
// With a segments file (a data directory's, or opts.segments for all inputs;
// not both), its segments replace the recordings it names, in its order;
// recordings no segment names are dropped (as make_fbank.sh does).
// Returns the utterances in input order. Throws Error naming the input for a
// missing directory or scp file, an empty directory, or a bad scp line, and
// throws Error listing the duplicates if two utterances share an id. All of
// this happens before any audio is read.
std::vector<Utterance> FindUtterances(const std::vector<std::string>& inputs,
                                      const DatasetOptions& opts);

// True if `input` names a Kaldi script ("scp:...", "scp,p:..." or a *.scp
// file) or a Kaldi data directory (a directory with wav.scp).
bool IsScpInput(const std::string& input);

// True if `dir` is a Kaldi data directory: a directory holding wav.scp.
bool IsDataDir(const std::string& dir);

// Kaldi featbin/extract-segments.cc (kaldi-asr/kaldi f4007661): the samples
// [begin, end) of segment `u` in a recording of `num_samples` samples at
// `sample_rate`. A start past the end, an end more than 0.5 s
// (--max-overshoot) past it, or a segment shorter than 0.1 s
// (--min-segment-length) after the end is clipped is an Error naming the
// segment. Sample positions are int32(t * rate + 0.5), as there.
struct SampleRange {
  int64_t begin = 0;
  int64_t end = 0;
};
SampleRange SegmentSamples(const Utterance& u, int64_t num_samples, float sample_rate);

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

// The same rule over groups of utterances that must stay in one shard:
// `groups[i]` names the group of all[i] (its speaker, for speaker CMVN, as
// Kaldi's utils/split_data.sh splits a data directory by speaker); a group
// weighs its utterances' sizes and overheads together, ties by first
// appearance. Each shard keeps input order.
std::vector<Utterance> SelectShard(const std::vector<Utterance>& all, ShardSpec shard,
                                   const std::vector<std::string>& groups);

}  // namespace featpool

#endif  // FEATPOOL_DATASET_H_
