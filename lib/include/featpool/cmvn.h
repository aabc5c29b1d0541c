// Cepstral mean and variance normalisation, as Kaldi applies it:
//   utterance  apply-cmvn with the utterance's own stats (compute-cmvn-stats
//              then apply-cmvn, per utterance; Kaldi transform/cmvn.cc
//              AccCmvnStats l.29-46, ApplyCmvn l.64-115)
//   sliding    apply-cmvn-sliding (feat/feature-functions.cc
//              SlidingWindowCmnInternal l.250-347): the mean (and variance)
//              of a window of cmn_window frames around each frame
//   global     apply-cmvn with fixed stats from --cmvn-stats (GlobalCmvn)
//   speaker    apply-cmvn --utt2spk: each utterance normalised by its
//              speaker's stats, accumulated over all of that speaker's
//              utterances as compute-cmvn-stats --spk2utt does (or read
//              from a Kaldi table of them, cmvn.scp / cmvn.ark); the
//              chain is given each utterance's stats (StageChain::
//              WithCmvnStats), after which it streams as global does
// Options keep Kaldi's names: norm_means, norm_vars (apply-cmvn), cmn_window,
// min_cmn_window (Kaldi's min-cmn-window), cmn_center (Kaldi's center).
//
// Arithmetic is Kaldi's operation by operation: stats in double with x*x
// rounded to float first (AccCmvnStats multiplies floats); means only adds
// the float offset float(float(-1/count) * sum); with variances x * scale +
// offset in float, scale = float(1/sqrt(var)), var floored at 1e-20. Sliding
// sums are running double sums updated one frame in and one out, as Kaldi's
// loop, variance floored at 1e-10 and a one-frame window giving 0.
//
// Thread safety: GlobalCmvn is immutable and shareable.
#ifndef FEATPOOL_CMVN_H_
#define FEATPOOL_CMVN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "featpool/matrix.h"

namespace featpool {

class OptionVisitor;  // options.h

enum class CmvnMode { kNone, kUtterance, kSliding, kGlobal, kSpeaker };

struct CmvnOptions {
  CmvnMode mode = CmvnMode::kNone;  // key "cmvn"
  bool norm_means = true;
  bool norm_vars = false;
  int32_t cmn_window = 600;      // sliding
  int32_t min_cmn_window = 100;  // sliding, not centred
  bool cmn_center = false;       // sliding
  // global: the stats file; speaker: "" (accumulated by the caller), or
  // a Kaldi table of per-speaker stats (scp:cmvn.scp, ark:cmvn.ark, or a
  // file named *.scp / *.ark), as compute_cmvn_stats.sh leaves them.
  std::string cmvn_stats;

  void VisitOptions(OptionVisitor& v);
  // Throws OptionError naming the option (a sliding option with another
  // mode, global without --cmvn-stats, norm_vars without norm_means, ...).
  void Validate() const;
};

// Kaldi's stats of D-dimensional features: 2 x (D + 1) doubles, row 0 the
// sums and the count, row 1 the sums of squares (and 0).
struct CmvnStats {
  int64_t dim = 0;
  std::vector<double> values;  // 2 * (dim + 1), row-major

  explicit CmvnStats(int64_t d = 0) : dim(d), values(static_cast<size_t>(2 * (d + 1)), 0.0) {}
  double count() const { return values[static_cast<size_t>(dim)]; }
  // Kaldi AccCmvnStats with weight 1, every row of `feats`.
  void Accumulate(MatrixView feats);
  void Accumulate(const float* row);
};

// The stats as Kaldi writes a double matrix: binary "\0B" "DM " with
// int32 sizes and the doubles (compute-cmvn-stats to a table), or text
// " [\n  v v ...\n  v v ... ]\n" with round-trip precision.
std::string KaldiStatsBytes(const CmvnStats& stats, bool binary);

// Per-speaker stats as compute-cmvn-stats --spk2utt writes them to
// ark,scp:cmvn.ark,cmvn.scp: one binary record "spk \0BDM ..." per speaker
// in order, the scp lines "spk ARK:offset" (the offset of the record's
// "\0B"). Writes both files atomically (temporary name, then rename; the
// archive first); no scp if `scp_path` is empty. Throws Error naming the
// file.
void WriteKaldiStatsTable(const std::vector<std::pair<std::string, CmvnStats>>& stats,
                          const std::string& ark_path, const std::string& scp_path);
// Reads a table of stats: "scp:FILE" or a FILE ending in .scp ("key
// ARK:offset" lines), "ark:FILE" or any other FILE (an archive of "key "
// records, binary DM/FM or text matrices). Each must be 2 x (D+1). Throws
// Error naming the file (and the key).
std::vector<std::pair<std::string, CmvnStats>> ReadKaldiStatsTable(const std::string& spec);

// Per-column affine normalisation with fixed parameters.
class GlobalCmvn {
 public:
  enum class Rule {
    kKaldiMeans,  // x + offset                  (apply-cmvn, means only)
    kKaldiVars,   // x * scale + offset          (apply-cmvn --norm-vars)
    kShiftScale,  // (x + shift) * scale, float  (FunASR am.mvn)
    kMeanStd,     // (x - mean) / std in double  (ESPnet GlobalMVN)
  };

  // Kaldi ApplyCmvn()'s parameters from `stats`; throws Error (with
  // `source` in front) for a count below 1 or NaN/inf scales.
  static GlobalCmvn FromKaldiStats(const CmvnStats& stats, bool norm_means, bool norm_vars,
                                   const std::string& source);
  // Reads a stats file (the cmvn_stats option): a Kaldi matrix 2 x (D+1) (binary "\0B" DM/FM, or text
  // "[ ... ]", optionally the one record of an archive "key ..."), a .npy of
  // that matrix, an ESPnet feats_stats.npz (count, sum, sum_square; numpy's
  // uncompressed savez), or a FunASR am.mvn (<AddShift> / <Rescale>). Throws
  // Error naming the file.
  static GlobalCmvn Read(const std::string& path, bool norm_means, bool norm_vars);

  Rule rule() const { return rule_; }
  int64_t Dim() const { return static_cast<int64_t>(a_.size()); }
  void Apply(const float* in, float* out) const;

 private:
  Rule rule_ = Rule::kKaldiMeans;
  std::vector<float> a_, b_;        // offset / scale, shift / scale
  std::vector<double> mean_, std_;  // kMeanStd
};

// Kaldi's sliding-window rule (SlidingWindowCmnInternal): the window
// [*start, *end) of frame t among `num_frames` (INT64_MAX while the length is
// unknown).
void SlidingCmnWindow(const CmvnOptions& opts, int64_t t, int64_t num_frames, int64_t* start,
                      int64_t* end);

}  // namespace featpool

#endif  // FEATPOOL_CMVN_H_
