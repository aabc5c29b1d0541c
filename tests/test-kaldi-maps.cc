// kaldi-maps.h: utt2spk, spk2utt, utt2warp and spk2warp read as Kaldi's text
// tables; speakers in utils/utt2spk_to_spk2utt.pl's order; warps looked up
// as compute-mfcc-feats --vtln-map [--utt2spk] does (featbin/
// compute-mfcc-feats.cc, util/kaldi-table-inl.h
// RandomAccessTableReaderMapped); every error names FILE:LINE or the
// utterance.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "featpool/batch.h"
#include "featpool/dataset.h"
#include "featpool/error.h"
#include "featpool/kaldi-maps.h"
#include "featpool/speakers.h"

using namespace featpool;

namespace {

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("featpool-test-kaldi-maps-" + std::to_string(getpid()) + "-" + name))
                               .string();
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("utt2spk and spk2utt give each utterance's speaker and each speaker's utterances",
          "[kaldi-maps]") {
  const std::string utt2spk = Write("utt2spk", "s1-a s1\ns2-a s2\n\ns1-b  s1 \ns1-c s1\n");
  const SpeakerMap from_utt = SpeakerMap::FromUtt2Spk(utt2spk);
  REQUIRE(from_utt.speakers().size() == 2);
  CHECK(from_utt.speakers()[0].first == "s1");
  CHECK(from_utt.speakers()[0].second == std::vector<std::string>{"s1-a", "s1-b", "s1-c"});
  CHECK(*from_utt.SpeakerOf("s2-a") == "s2");
  CHECK(from_utt.SpeakerOf("s3-a") == nullptr);
  CHECK_THROWS_WITH(
      from_utt.RequireSpeaker("s3-a"),
      Catch::Contains("utterance 's3-a' has no speaker") && Catch::Contains("utt2spk"));
  const SpeakerMap from_spk = SpeakerMap::FromSpk2Utt(Write("spk2utt", "s1 s1-c s1-a\ns2 s2-a\n"));
  CHECK(from_spk.speakers()[0].second == std::vector<std::string>{"s1-c", "s1-a"});
  CHECK(*from_spk.SpeakerOf("s1-a") == "s1");

  CHECK_THROWS_WITH(SpeakerMap::FromUtt2Spk(Write("bad1", "u1 s1\nu2\n")),
                    Catch::Contains("bad1:2: expected 'utterance-id speaker-id', got 1 fields"));
  CHECK_THROWS_WITH(SpeakerMap::FromUtt2Spk(Write("bad2", "u1 s1 extra\n")),
                    Catch::Contains("bad2:1:"));
  CHECK_THROWS_WITH(SpeakerMap::FromUtt2Spk(Write("dup", "u1 s1\nu1 s2\n")),
                    Catch::Contains("dup:2: utterance 'u1' is listed twice (also line 1)"));
  CHECK_THROWS_WITH(SpeakerMap::FromSpk2Utt(Write("dup2", "s1 u1\ns2 u1\n")),
                    Catch::Contains("dup2:2: utterance 'u1' is listed twice"));
  CHECK_THROWS_WITH(SpeakerMap::FromSpk2Utt(Write("empty", "s1\n")), Catch::Contains("empty:1:"));
  CHECK_THROWS_WITH(SpeakerMap::FromUtt2Spk("/nonexistent/utt2spk"),
                    Catch::Contains("cannot read utt2spk '/nonexistent/utt2spk'"));
}

TEST_CASE("utt2warp / spk2warp: Kaldi's --vtln-map, with --utt2spk for speakers", "[kaldi-maps]") {
  const SpeakerMap speakers = SpeakerMap::FromUtt2Spk(Write("u2s", "a s1\nb s1\nc s2\nd s3\n"));
  const VtlnWarpMap per_utt = VtlnWarpMap::Read(Write("utt2warp", "a 0.9\nb 1.05\n"), false);
  CHECK(per_utt.WarpOf("a", nullptr) == 0.9f);
  CHECK(per_utt.WarpOf("b", &speakers) == 1.05f);  // keyed by utterance
  CHECK_THROWS_WITH(per_utt.WarpOf("c", nullptr),
                    Catch::Contains("utterance 'c' has no warp factor in utt2warp"));
  const VtlnWarpMap per_spk = VtlnWarpMap::Read(Write("spk2warp", "s1 0.88\ns2 1.12\n"), true);
  CHECK(per_spk.WarpOf("b", &speakers) == 0.88f);
  CHECK(per_spk.WarpOf("c", &speakers) == 1.12f);
  CHECK_THROWS_WITH(per_spk.WarpOf("d", &speakers),
                    Catch::Contains("utterance 'd': its speaker 's3' has no warp factor"));
  CHECK_THROWS_WITH(per_spk.WarpOf("e", &speakers),
                    Catch::Contains("utterance 'e' has no speaker"));
  CHECK(per_spk.Text() == "s1=0.88\ns2=1.12\n");
  CHECK_THROWS_WITH(VtlnWarpMap::Read(Write("w1", "a x\n"), false),
                    Catch::Contains("w1:1: warp factor 'x' of 'a' is not a number > 0"));
  CHECK_THROWS_WITH(VtlnWarpMap::Read(Write("w2", "a 0.9\n\na -1\n"), false),
                    Catch::Contains("w2:3: warp factor '-1'"));
  CHECK_THROWS_WITH(VtlnWarpMap::Read(Write("w3", "a 0.9\na 1.0\n"), false),
                    Catch::Contains("w3:2: 'a' is listed twice"));
  CHECK_THROWS_WITH(VtlnWarpMap::Read(Write("w4", "a 0.9 1\n"), false),
                    Catch::Contains("w4:1: expected 'utterance-id warp-factor'"));
}

TEST_CASE("Kaldi rspecifiers of text tables name a file", "[kaldi-maps]") {
  CHECK(KaldiTableFile("data/utt2spk", "--utt2spk") == "data/utt2spk");
  CHECK(KaldiTableFile("ark:data/utt2spk", "--utt2spk") == "data/utt2spk");
  CHECK(KaldiTableFile("ark,t,s,cs:data/spk2warp", "--spk2warp") == "data/spk2warp");
  CHECK(KaldiTableFile("./a:b", "--utt2spk") == "./a:b");
  CHECK_THROWS_WITH(KaldiTableFile("scp:x.scp", "--utt2spk"),
                    Catch::Contains("--utt2spk=scp:x.scp: an scp of tables"));
  CHECK_THROWS_WITH(KaldiTableFile("ark:-", "--utt2spk"), Catch::Contains("pipes"));
  CHECK_THROWS_WITH(KaldiTableFile("ark,q:x", "--utt2spk"),
                    Catch::Contains("unknown rspecifier option 'q'"));
}

TEST_CASE("sharding by speaker keeps each speaker's utterances in one shard", "[kaldi-maps]") {
  std::vector<Utterance> all;
  std::vector<std::string> groups;
  for (int i = 0; i < 40; ++i) {
    Utterance u;
    u.id = "u" + std::to_string(i);
    u.bytes = 1000 * (i % 7 + 1);
    all.push_back(u);
    groups.push_back("s" + std::to_string(i % 9));
  }
  std::vector<int> shard_of_group(9, 0);
  size_t total = 0;
  for (int32_t k = 1; k <= 4; ++k) {
    const std::vector<Utterance> part = SelectShard(all, {k, 4}, groups);
    total += part.size();
    for (size_t j = 0; j < part.size(); ++j) {
      const int i = std::stoi(part[j].id.substr(1));
      if (j > 0) CHECK(std::stoi(part[j - 1].id.substr(1)) < i);  // input order
      int& owner = shard_of_group[static_cast<size_t>(i % 9)];
      CHECK((owner == 0 || owner == k));
      owner = k;
    }
  }
  CHECK(total == all.size());
  CHECK(SelectShard(all, {1, 1}, groups).size() == all.size());
}

TEST_CASE("SpeakerSettings: warps and speaker CMVN per utterance", "[kaldi-maps]") {
  const SpeakerMap speakers = SpeakerMap::FromSpk2Utt(Write("s2u", "s1 u3 u1\ns2 u2\ns3 u4\n"));
  FeatureOptions features;
  features.type = FeatureType::kFbank;
  // spk2warp: each utterance gets its speaker's warp, checked as Kaldi
  // checks the VTLN cutoffs for that warp.
  const VtlnWarpMap warps = VtlnWarpMap::Read(Write("s2w", "s1 0.9\ns2 1.1\ns3 3.5\n"), true);
  const SpeakerSettings warped(speakers, warps, features, nullptr);
  CHECK(warped.FeaturesFor("u1").fbank.mel_opts.vtln_warp == 0.9f);
  CHECK(warped.FeaturesFor("u2").mfcc.mel_opts.vtln_warp == 1.1f);
  CHECK(warped.FeaturesFor("u4").fbank.mel_opts.vtln_warp == 3.5f);
  // A --vtln-low below --low-freq is fine unwarped, an error for a warp.
  FeatureOptions low = features;
  low.fbank.mel_opts.vtln_low = 10;
  const SpeakerSettings bad_low(speakers, warps, low, nullptr);
  CHECK_THROWS_WITH(
      bad_low.FeaturesFor("u2"),
      Catch::Contains("utterance 'u2': warp factor 1.1 from '") && Catch::Contains("vtln_low"));
  CHECK_THROWS_WITH(warped.FeaturesFor("u9"), Catch::Contains("utterance 'u9' has no speaker"));
  CHECK(!warped.NeedsAccumulation());
  CHECK(warped.StagesFor("u1") == nullptr);
  CHECK_THROWS_WITH(SpeakerSettings(SpeakerMap(), warps, features, nullptr),
                    Catch::Contains("needs the utterances' speakers"));
  FeatureOptions spectrogram;
  spectrogram.type = FeatureType::kSpectrogram;
  CHECK_THROWS_WITH(SpeakerSettings(speakers, warps, spectrogram, nullptr),
                    Catch::Contains("spectrogram has no VTLN"));

  // Speaker CMVN: accumulated speaker by speaker in spk2utt order, only for
  // speakers with something to do; a speaker without frames fails its
  // utterances, naming them.
  StageOptions opts;
  opts.cmvn.mode = CmvnMode::kSpeaker;
  auto chain = std::make_shared<const StageChain>(opts, 2);
  CHECK_THROWS_AS(SpeakerSettings(SpeakerMap(), VtlnWarpMap(), features, chain), OptionError);
  SpeakerSettings cmvn(speakers, VtlnWarpMap(), features, chain);
  REQUIRE(cmvn.NeedsAccumulation());
  std::vector<Utterance> utts(5);
  for (int i = 0; i < 5; ++i) utts[i].id = "u" + std::to_string(i + 1);  // u5: no speaker
  CHECK(cmvn.AccumulationOrder(utts, {}) == std::vector<size_t>{2, 0, 1, 3});
  CHECK(cmvn.AccumulationOrder(utts, {0, 1, 0, 0, 1}) == std::vector<size_t>{1});
  Matrix rows(2, 2);
  rows(0, 0) = 1, rows(0, 1) = 2, rows(1, 0) = 3, rows(1, 1) = 6;
  cmvn.Accumulate("u3", rows.View());
  cmvn.Accumulate("u1", rows.View());
  cmvn.Finish();
  CHECK(cmvn.NumSpeakersWithStats() == 1);
  const Matrix out = ApplyStages(*cmvn.StagesFor("u1"), rows.View());
  CHECK(out(0, 0) == -1.0f);
  CHECK(out(1, 1) == 2.0f);
  CHECK_THROWS_WITH(cmvn.StagesFor("u2"),
                    Catch::Contains("utterance 'u2': its speaker 's2' has no CMVN stats"));
  CHECK_THROWS_WITH(cmvn.StagesFor("u5"), Catch::Contains("utterance 'u5' has no speaker"));
  CHECK(cmvn.Text() == "spk2utt\ns1 u3 u1\ns2 u2\ns3 u4\n");
}

TEST_CASE("MakeBatchConfig: the maps given, or a data directory's as make_fbank.sh takes them",
          "[kaldi-maps]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("featpool-test-kaldi-maps-" + std::to_string(getpid()) + "-data");
  fs::create_directories(dir);
  std::ofstream(dir / "wav.scp") << "u1 a.wav\nu2 b.wav\n";
  std::ofstream(dir / "utt2spk") << "u1 s1\nu2 s2\n";
  std::ofstream(dir / "spk2utt") << "s1 u1\ns2 u2\n";
  BatchRequest r;
  r.inputs = {dir.string()};
  r.output = "out/";
  r.features.type = FeatureType::kFbank;
  // Nothing asks for a map: none is read.
  CHECK(MakeBatchConfig(r).speakers == nullptr);
  const std::string plain = MakeBatchConfig(r).options_text;
  // Speaker CMVN: the directory's spk2utt; its speakers are in the tag.
  r.stages.cmvn.mode = CmvnMode::kSpeaker;
  BatchConfig c = MakeBatchConfig(r);
  REQUIRE(c.speakers != nullptr);
  CHECK(c.speakers->NeedsAccumulation());
  CHECK(c.speakers->speakers().source() == (dir / "spk2utt").string());
  CHECK(c.options_text.find("spk2utt\ns1 u1\ns2 u2\n") != std::string::npos);
  // Its spk2warp (with its speakers), else its utt2warp, as
  // steps/make_fbank.sh passes them; not for a type without VTLN.
  r.stages.cmvn.mode = CmvnMode::kNone;
  std::ofstream(dir / "utt2warp") << "u1 0.9\nu2 1.1\n";
  c = MakeBatchConfig(r);
  REQUIRE(c.speakers != nullptr);
  CHECK(c.speakers->FeaturesFor("u2").fbank.mel_opts.vtln_warp == 1.1f);
  CHECK(c.options_text != plain);
  std::ofstream(dir / "spk2warp") << "s1 0.95\ns2 1.05\n";
  c = MakeBatchConfig(r);
  CHECK(c.speakers->FeaturesFor("u2").fbank.mel_opts.vtln_warp == 1.05f);
  BatchRequest spectrogram = r;
  spectrogram.features.type = FeatureType::kSpectrogram;
  CHECK(MakeBatchConfig(spectrogram).speakers == nullptr);
  // Given maps win; --vtln-map is per utterance without a speaker map (the
  // directory's own does not count, as for compute-mfcc-feats).
  r.vtln_map = "ark:" + (dir / "utt2warp").string();
  c = MakeBatchConfig(r);
  CHECK(c.speakers->FeaturesFor("u1").fbank.mel_opts.vtln_warp == 0.9f);
  r.utt2spk = (dir / "utt2spk").string();
  r.vtln_map = (dir / "spk2warp").string();
  CHECK(MakeBatchConfig(r).speakers->FeaturesFor("u1").fbank.mel_opts.vtln_warp == 0.95f);
  // Errors name the options.
  r.spk2utt = (dir / "spk2utt").string();
  CHECK_THROWS_WITH(MakeBatchConfig(r), "utt2spk and spk2utt: give one");
  // A speaker map nothing uses (no speaker CMVN, no warps per speaker: here
  // no VTLN at all) is refused, as compute-mfcc-feats refuses --utt2spk
  // without --vtln-map.
  spectrogram.utt2spk = r.utt2spk;
  CHECK_THROWS_WITH(MakeBatchConfig(spectrogram),
                    "utt2spk is only needed with cmvn=speaker, spk2warp or vtln_map");
  r.spk2utt.clear();
  r.utt2spk = "scp:x.scp";
  CHECK_THROWS_WITH(MakeBatchConfig(r), Catch::StartsWith("utt2spk=scp:x.scp: an scp of tables"));
  fs::remove_all(dir);
}
