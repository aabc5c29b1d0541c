// lhotse manifests: a RecordingSet read as utterances to extract, and a
// FeatureSet written for features stored as .npy files or in a Kaldi
// archive, with the field names of lhotse's own dataclasses (lhotse 2.0.0a3:
// lhotse/audio/recording.py `Recording`, lhotse/audio/source.py
// `AudioSource`, lhotse/features/base.py `Features`, lhotse/features/io.py
// storage names "numpy_files" and "kaldiio"). A manifest is one JSON object
// per line, gzip-compressed when its name ends in ".gz", as lhotse's
// load_manifest reads it.
//
// Thread safety: the functions are pure apart from the files they read or
// write.
#ifndef FEATPOOL_LHOTSE_H_
#define FEATPOOL_LHOTSE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "featpool/dataset.h"

namespace featpool {

// True for "*.jsonl" and "*.jsonl.gz" inputs (a lhotse manifest).
bool IsLhotseManifest(const std::string& input);

// The recordings of a lhotse RecordingSet as utterances: id = the
// recording's id; path = the source of a "file" source, or "CMD |" for a
// "command" source (run as a piped wav.scp entry is). Throws Error naming
// the manifest and line for anything else: unreadable or not JSON, no
// "id" or "sources", a "url" or "memory" source, several sources (one file
// per channel), or "transforms" (speed perturbation, resampling, ...), which
// featpool does not apply. Checked before any audio is read.
std::vector<Utterance> ReadLhotseRecordings(const std::string& path);

// One stored feature matrix, for the FeatureSet.
struct LhotseFeatures {
  std::string recording_id;
  int32_t channel = 0;
  double start = 0;     // seconds into the recording
  double duration = 0;  // seconds
  int64_t num_frames = 0;
  int64_t num_features = 0;
  std::string storage_key;  // the .npy path relative to storage_path, or the archive key
};

struct LhotseFeatureSet {
  std::string type;           // lhotse's extractor name, e.g. "kaldi-fbank"
  double frame_shift = 0;     // seconds between rows
  int32_t sampling_rate = 0;  // Hz of the audio the features were computed from
  std::string storage_type;   // "numpy_files" or "kaldiio"
  std::string storage_path;   // the directory of the .npy files, or the feats.scp
  std::vector<LhotseFeatures> features;
};

// The FeatureSet as JSON lines (lhotse's field names; "channels" is an int).
std::string LhotseFeatureSetText(const LhotseFeatureSet& set);

// Writes it to `path` atomically, gzip-compressed if `path` ends in ".gz".
// Throws Error naming the path.
void WriteLhotseFeatureSet(const std::string& path, const LhotseFeatureSet& set);

}  // namespace featpool

#endif  // FEATPOOL_LHOTSE_H_
