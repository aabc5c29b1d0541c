// What a dataset's speaker maps change per utterance (kaldi-maps.h):
//  - the VTLN warp factor, from utt2warp or spk2warp, as compute-fbank-feats
//    / compute-mfcc-feats --vtln-map [--utt2spk] take it (a map replaces
//    --vtln-warp for every utterance; one the map does not cover gets no
//    output);
//  - speaker CMVN ({cmvn}=speaker): each utterance normalised by its
//    speaker's stats, as apply-cmvn --utt2spk, the stats read from a table
//    ({cmvn_stats}) or accumulated here over all of the speaker's utterances
//    in spk2utt order, as compute-cmvn-stats --spk2utt does (Accumulate(),
//    called in AccumulationOrder(), on the rows reaching the cmvn stage).
// A batch asks FeaturesFor() and StagesFor() of each utterance; either
// throws Error naming the utterance (and its speaker), which fails that
// utterance only.
//
// Thread safety: Accumulate() and Finish() from one thread, before any
// other call; then every const member is shareable.
#ifndef FEATPOOL_SPEAKERS_H_
#define FEATPOOL_SPEAKERS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "featpool/cmvn.h"
#include "featpool/dataset.h"
#include "featpool/feature-options.h"
#include "featpool/kaldi-maps.h"
#include "featpool/matrix.h"
#include "featpool/stage.h"

namespace featpool {

class SpeakerSettings {
 public:
  // `speakers` may be empty (no utt2spk); `warps` may be empty (no map);
  // `stages` may be null. Throws Error if the chain's {cmvn}=speaker or a
  // spk2warp needs a speaker map and there is none, or a map is given for
  // a feature type without VTLN.
  SpeakerSettings(SpeakerMap speakers, VtlnWarpMap warps, const FeatureOptions& features,
                  std::shared_ptr<const StageChain> stages);

  const SpeakerMap& speakers() const { return speakers_; }
  // Whether speaker stats must be accumulated (Accumulate()) before
  // StagesFor(): {cmvn}=speaker without a table of stats.
  bool NeedsAccumulation() const { return accumulate_; }
  // The utterances to accumulate, as indices into `utts`: speaker by
  // speaker in spk2utt order, each speaker's utterances in its order, only
  // speakers with an utterance i with wanted[i] (all if `wanted` is empty).
  // Utterances the map does not list are left out, and listed ones not in
  // `utts` skipped, as compute-cmvn-stats skips what it cannot find.
  std::vector<size_t> AccumulationOrder(const std::vector<Utterance>& utts,
                                        const std::vector<char>& wanted) const;
  // The chain the stats are accumulated on: the stages before cmvn (maybe
  // empty).
  std::shared_ptr<const StageChain> AccumulationStages() const { return before_cmvn_; }
  // The rows of utterance `utt` reaching the cmvn stage, in
  // AccumulationOrder(); a failed utterance is simply not given.
  void Accumulate(const std::string& utt, MatrixView rows);
  // After the last Accumulate(): each speaker's chain. Speakers left without
  // frames have none (their utterances fail).
  void Finish();
  // Speakers with accumulated stats.
  int64_t NumSpeakersWithStats() const { return static_cast<int64_t>(chains_.size()); }

  // The feature options of `utt`: its warp from the map, else `features`.
  FeatureOptions FeaturesFor(const std::string& utt) const;
  // The stage chain of `utt` (its speaker's stats with {cmvn}=speaker; the
  // chain as given otherwise; null without stages).
  std::shared_ptr<const StageChain> StagesFor(const std::string& utt) const;
  // What the outputs depend on besides the options: the warp map's entries,
  // and with speaker CMVN each speaker's utterances ("" if neither).
  std::string Text() const;

 private:
  SpeakerMap speakers_;
  VtlnWarpMap warps_;
  FeatureOptions features_;
  std::shared_ptr<const StageChain> stages_;
  bool speaker_cmvn_ = false;
  bool accumulate_ = false;
  std::shared_ptr<const StageChain> before_cmvn_;
  std::map<std::string, CmvnStats> stats_;
  std::map<std::string, std::shared_ptr<const StageChain>> chains_;
};

}  // namespace featpool

#endif  // FEATPOOL_SPEAKERS_H_
