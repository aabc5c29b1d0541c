#include "featpool/speakers.h"

#include <algorithm>
#include <unordered_map>

#include "featpool/error.h"
#include "featpool/options.h"
#include "printable.h"

namespace featpool {
namespace {

std::string Quote(const std::string& s) { return "'" + internal::Printable(s) + "'"; }

bool HasVtln(FeatureType type) { return type == FeatureType::kFbank || type == FeatureType::kMfcc; }

}  // namespace

SpeakerSettings::SpeakerSettings(SpeakerMap speakers, VtlnWarpMap warps,
                                 const FeatureOptions& features,
                                 std::shared_ptr<const StageChain> stages)
    : speakers_(std::move(speakers)),
      warps_(std::move(warps)),
      features_(features),
      stages_(std::move(stages)) {
  if (!warps_.empty() && !HasVtln(features_.type)) {
    throw Error("the VTLN warp map " + Quote(warps_.source()) + " is for fbank and mfcc; " +
                FeatureTypeName(features_.type) + " has no VTLN");
  }
  if (warps_.per_speaker() && speakers_.empty()) {
    throw Error("spk2warp " + Quote(warps_.source()) + " needs the utterances' speakers (utt2spk)");
  }
  speaker_cmvn_ = stages_ != nullptr && stages_->options().cmvn.mode == CmvnMode::kSpeaker &&
                  stages_->NeedsSpeakerStats();
  if (speaker_cmvn_ && speakers_.empty()) {
    throw OptionError("cmvn", "speaker", "needs the utterances' speakers ({utt2spk})");
  }
  accumulate_ = speaker_cmvn_ && !stages_->HasSpeakerStatsTable();
  if (accumulate_) before_cmvn_ = stages_->StagesBefore("cmvn");
}

std::vector<size_t> SpeakerSettings::AccumulationOrder(const std::vector<Utterance>& utts,
                                                       const std::vector<char>& wanted) const {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < utts.size(); ++i) index.emplace(utts[i].id, i);
  std::vector<size_t> order;
  for (const auto& [speaker, list] : speakers_.speakers()) {
    std::vector<size_t> mine;
    bool any_wanted = false;
    for (const std::string& utt : list) {
      const auto it = index.find(utt);
      if (it == index.end()) continue;  // compute-cmvn-stats: "Did not find features"
      mine.push_back(it->second);
      any_wanted = any_wanted || wanted.empty() || wanted[it->second] != 0;
    }
    if (any_wanted) order.insert(order.end(), mine.begin(), mine.end());
  }
  return order;
}

void SpeakerSettings::Accumulate(const std::string& utt, MatrixView rows) {
  const std::string* speaker = speakers_.SpeakerOf(utt);
  if (speaker == nullptr || rows.rows == 0) return;
  auto it = stats_.find(*speaker);
  if (it == stats_.end()) it = stats_.emplace(*speaker, CmvnStats(rows.cols)).first;
  it->second.Accumulate(rows);
}

void SpeakerSettings::Finish() {
  for (const auto& [speaker, stats] : stats_) {
    if (stats.count() < 1) continue;
    chains_[speaker] = stages_->WithCmvnStats(stats, "speaker " + Quote(speaker));
  }
  stats_.clear();
}

FeatureOptions SpeakerSettings::FeaturesFor(const std::string& utt) const {
  if (warps_.empty()) return features_;
  const float warp = warps_.WarpOf(utt, &speakers_);
  FeatureOptions opts = features_;
  opts.fbank.mel_opts.vtln_warp = warp;
  opts.mfcc.mel_opts.vtln_warp = warp;
  try {
    MakeFeatureComputer(opts);  // Kaldi checks the cutoffs against the warp
  } catch (const Error& e) {
    throw Error("utterance " + Quote(utt) + ": warp factor " + FloatText(warp) + " from " +
                Quote(warps_.source()) + ": " + e.what());
  }
  return opts;
}

std::shared_ptr<const StageChain> SpeakerSettings::StagesFor(const std::string& utt) const {
  if (!speaker_cmvn_) return stages_;
  const std::string& speaker = speakers_.RequireSpeaker(utt);
  if (!accumulate_) {
    try {
      return stages_->ForSpeaker(speaker);
    } catch (const Error& e) {
      throw Error("utterance " + Quote(utt) + ": " + e.what());
    }
  }
  const auto it = chains_.find(speaker);
  if (it == chains_.end()) {
    throw Error("utterance " + Quote(utt) + ": its speaker " + Quote(speaker) +
                " has no CMVN stats (none of its utterances gave features)");
  }
  return it->second;
}

std::string SpeakerSettings::Text() const {
  std::string text;
  if (!warps_.empty()) {
    text += std::string(warps_.per_speaker() ? "spk2warp" : "utt2warp") + "\n" + warps_.Text();
  }
  if (warps_.per_speaker() || speaker_cmvn_) {
    text += "spk2utt\n";
    for (const auto& [speaker, list] : speakers_.speakers()) {
      text += speaker;
      for (const std::string& utt : list) text += " " + utt;
      text += "\n";
    }
  }
  return text;
}

}  // namespace featpool
