// The per-utterance and per-speaker maps of a Kaldi data directory, read as
// Kaldi's text tables read them:
//   utt2spk   "utt spk"            the speaker of each utterance
//   spk2utt   "spk utt1 utt2 ..."  each speaker's utterances, in order
//   utt2warp  "utt warp"           a VTLN warp factor per utterance
//   spk2warp  "spk warp"           ... per speaker (with utt2spk)
// A speaker's utterances are in spk2utt order, or (from utt2spk) in file
// order, as utils/utt2spk_to_spk2utt.pl makes spk2utt: the order Kaldi's
// compute-cmvn-stats --spk2utt accumulates them in.
//
// Every error names the file and the line ("data/utt2spk:3: ..."); a key
// listed twice is an error (Kaldi's random-access readers would take one of
// them silently).
//
// Thread safety: immutable once read; shareable.
#ifndef FEATPOOL_KALDI_MAPS_H_
#define FEATPOOL_KALDI_MAPS_H_

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace featpool {

// The file of a Kaldi rspecifier for a text table: "ark:FILE", "ark,t:FILE"
// (any of Kaldi's rspecifier options) or a plain FILE give FILE. "scp:" and
// other indirections, pipes ("cmd |") and "-" throw Error naming `flag`.
std::string KaldiTableFile(const std::string& rspecifier, const std::string& flag);

class SpeakerMap {
 public:
  using Speaker = std::pair<std::string, std::vector<std::string>>;

  SpeakerMap() = default;
  // Reads utt2spk: exactly one token after each utterance id.
  static SpeakerMap FromUtt2Spk(const std::string& path);
  // Reads spk2utt: a speaker, then its utterances (at least one).
  static SpeakerMap FromSpk2Utt(const std::string& path);

  bool empty() const { return speakers_.empty(); }
  const std::string& source() const { return source_; }
  // The speaker of `utt`; nullptr if the map does not list it.
  const std::string* SpeakerOf(const std::string& utt) const;
  // The speaker of `utt`; throws Error "utterance 'u' is not in utt2spk
  // 'FILE'" if not listed.
  const std::string& RequireSpeaker(const std::string& utt) const;
  // Speakers in order of first appearance, each with its utterances.
  const std::vector<Speaker>& speakers() const { return speakers_; }

 private:
  std::string source_;
  std::vector<Speaker> speakers_;
  std::unordered_map<std::string, std::string> speaker_of_;
};

// Kaldi compute-fbank-feats / compute-mfcc-feats --vtln-map (a BaseFloat
// table) with or without --utt2spk: utt2warp, or spk2warp keyed by speaker.
class VtlnWarpMap {
 public:
  VtlnWarpMap() = default;
  // "key warp" per line, the warp a finite number > 0. `per_speaker`: the
  // keys are speakers (spk2warp).
  static VtlnWarpMap Read(const std::string& path, bool per_speaker);

  bool empty() const { return source_.empty(); }
  bool per_speaker() const { return per_speaker_; }
  const std::string& source() const { return source_; }
  // The warp of `utt`: its own entry, or (per speaker) its speaker's in
  // `speakers`. Throws Error naming the utterance (and its speaker) and
  // the file when there is none: Kaldi gives such an utterance no output
  // ("No vtln-map entry for utterance-id (or speaker-id)"), and a speaker
  // map that does not list the utterance stops Kaldi's whole run
  // (RandomAccessTableReaderMapped::HasKey).
  float WarpOf(const std::string& utt, const SpeakerMap* speakers) const;
  // "key=warp" lines in file order: what the outputs depend on (for the
  // options tag).
  std::string Text() const;

 private:
  std::string source_;
  bool per_speaker_ = false;
  std::vector<std::pair<std::string, float>> entries_;
  std::unordered_map<std::string, float> warp_of_;
};

}  // namespace featpool

#endif  // FEATPOOL_KALDI_MAPS_H_
