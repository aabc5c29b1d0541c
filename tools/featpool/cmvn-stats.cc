// featpool cmvn-stats: CMVN statistics of a dataset's features, as Kaldi's
// compute-cmvn-stats (featbin/compute-cmvn-stats.cc, kaldi-asr/kaldi
// f4007661) accumulates them (transform/cmvn.cc AccCmvnStats): 2 x (D+1)
// doubles, row 0 the sums and the frame count, row 1 the sums of squares.
//   -o stats.mat                  global stats (a wxfilename), what
//                                 extract --cmvn=global --cmvn-stats reads
//   -o ark,scp:cmvn.ark,cmvn.scp  a table: per speaker with --spk2utt /
//                                 --utt2spk (or a data directory's own
//                                 spk2utt / utt2spk), as
//                                 steps/compute_cmvn_stats.sh runs it, else
//                                 per utterance; what extract --cmvn=speaker
//                                 --cmvn-stats=scp:cmvn.scp reads
// A speaker's utterances are accumulated one after the other in spk2utt
// order into one double matrix, as compute-cmvn-stats --spk2utt does; an
// utterance that cannot be read is reported and left out (Kaldi: "Did not
// find features for utterance"), a speaker left without frames gets no
// stats ("No stats accumulated for speaker"). With a data directory input
// and an scp, the scp is also copied to the directory's cmvn.scp, as
// compute_cmvn_stats.sh does.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "featpool/cmvn.h"
#include "featpool/command.h"
#include "featpool/dataset.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-flags.h"
#include "featpool/kaldi-maps.h"
#include "featpool/npy.h"
#include "featpool/output-file.h"

namespace featpool {
namespace cli {
namespace {

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

// Accumulates the frames of each file as they are computed.
class StatsSink : public FrameSink {
 public:
  explicit StatsSink(CmvnStats* stats) : stats_(stats) {}
  void Begin(const FileFeatures& file, int64_t) override {
    if (stats_->dim == 0) *stats_ = CmvnStats(file.dim);
  }
  void Frames(MatrixView frames) override { stats_->Accumulate(frames); }

 private:
  CmvnStats* stats_;
};

// Where a table of stats goes: ark,scp:A,S (also scp,ark:A,S) or ark:A
// (Kaldi util/kaldi-table.cc ClassifyWspecifier, options b / t / f / nf).
struct TableOutput {
  bool table = false;
  std::string ark;
  std::string scp;
};

TableOutput ParseStatsOutput(const std::string& output) {
  TableOutput out;
  const size_t colon = output.find(':');
  if (colon == std::string::npos || output.find('/') < colon) return out;
  const std::string opts = "," + output.substr(0, colon) + ",";
  if (opts.find(",ark,") == std::string::npos && opts.find(",scp,") == std::string::npos)
    return out;
  out.table = true;
  bool scp = false;
  size_t start = 1;
  while (start < opts.size()) {
    const size_t comma = opts.find(',', start);
    const std::string o = opts.substr(start, comma - start);
    start = comma + 1;
    if (o == "scp") {
      scp = true;
    } else if (o == "t") {
      throw Error("-o " + output +
                  ": stats tables are written binary, as compute-cmvn-stats "
                  "writes them");
    } else if (o != "ark" && o != "b" && o != "f" && o != "nf") {
      throw Error("-o " + output + ": unknown wspecifier option " + Quote(o));
    }
  }
  if (opts.find(",ark,") == std::string::npos) {
    throw Error("-o " + output + ": an scp needs an archive: use ark,scp:cmvn.ark,cmvn.scp");
  }
  const std::string rest = output.substr(colon + 1);
  if (scp) {
    const size_t comma = rest.find(',');
    if (comma == std::string::npos || comma == 0 || comma + 1 == rest.size()) {
      throw Error("-o " + output + ": expected ark,scp:ARCHIVE,SCP");
    }
    out.ark = rest.substr(0, comma);
    out.scp = rest.substr(comma + 1);
  } else {
    out.ark = rest;
  }
  if (out.ark.empty() || out.ark == "-") {
    throw Error("-o " + output + ": the archive must be a file");
  }
  return out;
}

// The features of each utterance, one after the other; a recording cut into
// segments is decoded once for its run of segments.
class UtteranceFeatures {
 public:
  UtteranceFeatures(const FeatureOptions& features, const AudioReadOptions& audio)
      : features_(features), audio_(audio) {}

  // Accumulates `u` into `stats`; throws Error naming the utterance.
  void Accumulate(const Utterance& u, CmvnStats* stats) {
    if (!u.error.empty()) throw Error(u.error);
    const int64_t dim = MakeFeatureComputer(features_)->Dim();
    if (stats->dim != 0 && stats->dim != dim) {
      throw Error("features of " + std::to_string(dim) + " columns, earlier inputs " +
                  std::to_string(stats->dim));
    }
    StatsSink sink(stats);
    if (!u.IsSegment()) {
      const AudioInput input =
          u.command.empty() ? AudioInput(u.path) : AudioInput::Command(u.command, u.path);
      ExtractFile(input, features_, audio_, &sink);
      return;
    }
    const std::string key = u.recording + "\n" + std::to_string(u.channel);
    if (key != key_) {
      key_ = key;
      recording_.reset();
      error_.clear();
      AudioReadOptions opts = audio_;
      if (u.channel >= 0) opts.channel = u.channel;
      const AudioInput whole =
          u.command.empty() ? AudioInput(u.path) : AudioInput::Command(u.command, u.path);
      try {
        recording_ = DecodeAudio(whole, opts, int64_t{1} << 30);
      } catch (const Error& e) {
        error_ = CommandText(e);
      }
    }
    if (!recording_) throw Error("recording " + Quote(u.recording) + ": " + error_);
    const SampleRange range = SegmentSamples(u, static_cast<int64_t>(recording_->samples.size()),
                                             static_cast<float>(recording_->info.sample_rate));
    ExtractFile(AudioInput::Part(recording_, range.begin, range.end, u.path), features_, audio_,
                &sink);
  }

 private:
  const FeatureOptions& features_;
  const AudioReadOptions& audio_;
  std::string key_;
  std::shared_ptr<const DecodedAudio> recording_;
  std::string error_;
};

}  // namespace

RunFunction AddCmvnStatsCommand(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "cmvn-stats",
      "Accumulate CMVN statistics as Kaldi's compute-cmvn-stats: global (-o stats.mat, a 2 x "
      "(D+1) matrix) or a table per speaker (-o ark,scp:cmvn.ark,cmvn.scp with --spk2utt, "
      "--utt2spk or a data directory's own) or per utterance, of the features of audio files, "
      "directories, scp:wav.scp, a Kaldi data directory, or .npy feature matrices");
  struct State {
    FeatureFlags flags;
    std::vector<std::string> inputs;
    std::string output;
    BatchFlagSet batch;  // --ext, --segments from the dataset run's table
    std::string spk2utt;
    std::string utt2spk;
    bool binary = true;
  };
  auto state = std::make_shared<State>();
  sub->add_option("INPUT", state->inputs,
                  "Audio files, directories, scp:wav.scp, a Kaldi data directory, or .npy files")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->add_option("-o,--output", state->output,
                  "stats.mat (global stats), or ark,scp:cmvn.ark,cmvn.scp / ark:cmvn.ark (a "
                  "table: per speaker, or per utterance without a speaker map)")
      ->required();
  state->batch.Add(sub, {"extensions", "segments"});
  sub->add_option("--spk2utt", state->spk2utt,
                  "Kaldi spk2utt (FILE or ark:FILE): stats per speaker, its utterances in this "
                  "order (table output)");
  sub->add_option("--utt2spk", state->utt2spk,
                  "Kaldi utt2spk: stats per speaker, its utterances in utt2spk order, as "
                  "utt2spk_to_spk2utt.pl orders them (table output)");
  sub->add_flag("--binary", state->binary,
                "Global stats: Kaldi binary matrix (false: text) [default: true; "
                "--binary=true|false]");
  AddConfigFlags(sub);
  AddFeatureFlags(sub, &state->flags);
  return [state]() {
    return WithOptionSpelling({&state->flags.features, &state->batch}, [&]() -> int {
      const FeatureOptions opts = state->flags.ToOptions();
      const AudioReadOptions audio = state->flags.ToAudioOptions();
      const TableOutput table = ParseStatsOutput(state->output);
      if (!state->spk2utt.empty() && !state->utt2spk.empty()) {
        throw Error("--spk2utt and --utt2spk: give one of them");
      }
      // A data directory's own speaker map, as compute_cmvn_stats.sh uses.
      std::string data_dir;
      if (state->inputs.size() == 1 && IsDataDir(state->inputs[0])) data_dir = state->inputs[0];
      SpeakerMap speakers;
      if (!state->spk2utt.empty()) {
        speakers = SpeakerMap::FromSpk2Utt(KaldiTableFile(state->spk2utt, "--spk2utt"));
      } else if (!state->utt2spk.empty()) {
        speakers = SpeakerMap::FromUtt2Spk(KaldiTableFile(state->utt2spk, "--utt2spk"));
      } else if (table.table && !data_dir.empty()) {
        const std::string dir = data_dir.back() == '/' ? data_dir : data_dir + "/";
        if (FileExists(dir + "spk2utt")) {
          speakers = SpeakerMap::FromSpk2Utt(dir + "spk2utt");
        } else if (FileExists(dir + "utt2spk")) {
          speakers = SpeakerMap::FromUtt2Spk(dir + "utt2spk");
        }
      }
      if (!table.table && !speakers.empty()) {
        // Kaldi compute-cmvn-stats.cc: "--spk2utt option not compatible
        // with wxfilename as output (did you forget ark:?)".
        throw Error("-o " + state->output +
                    ": per-speaker stats are a table; use -o "
                    "ark,scp:cmvn.ark,cmvn.scp");
      }

      // The utterances: .npy feature matrices (id: the name without .npy)
      // and the audio inputs, in input order.
      std::vector<Utterance> utts;
      std::vector<std::string> audio_inputs;
      std::vector<std::string> npy_paths;
      for (const std::string& input : state->inputs) {
        (EndsWith(input, ".npy") ? npy_paths : audio_inputs).push_back(input);
      }
      std::map<std::string, std::string> npy_of;
      for (const std::string& path : npy_paths) {
        Utterance u;
        u.path = path;
        const std::string name = std::filesystem::path(path).filename().string();
        u.id = name.substr(0, name.size() - 4);
        npy_of[u.id] = path;
        utts.push_back(u);
      }
      if (!audio_inputs.empty()) {
        DatasetOptions dataset;
        BatchRequest request;
        state->batch.ApplyTo(&request);
        dataset.extensions = ParseExtensions(request.extensions);
        dataset.segments = request.segments;
        for (Utterance& u : FindUtterances(audio_inputs, dataset)) utts.push_back(std::move(u));
      }
      UtteranceFeatures features(opts, audio);
      int64_t failed = 0;
      // Accumulates `u`, reporting a failure; false if it failed.
      auto accumulate = [&](const Utterance& u, CmvnStats* stats) {
        try {
          if (npy_of.count(u.id) && u.path == npy_of[u.id]) {
            const Matrix m = ReadNpy(u.path);
            if (stats->dim == 0) *stats = CmvnStats(m.cols());
            if (m.cols() != stats->dim) {
              throw Error(std::to_string(m.cols()) + " columns, earlier inputs " +
                          std::to_string(stats->dim));
            }
            stats->Accumulate(m.View());
          } else {
            features.Accumulate(u, stats);
          }
          return true;
        } catch (const Error& e) {
          const std::string id = Quote(u.id);
          const std::string message = CommandText(e);
          std::cerr << "featpool: error: "
                    << (message.find(id) != std::string::npos ? message : id + ": " + message)
                    << "\n";
          ++failed;
          return false;
        }
      };

      if (!table.table) {
        CmvnStats stats;
        for (const Utterance& u : utts) accumulate(u, &stats);
        if (stats.dim == 0 || stats.count() < 1) throw Error("no frames to accumulate");
        const std::string bytes = KaldiStatsBytes(stats, state->binary);
        AtomicOutputFile out(state->output);
        out.Write(bytes.data(), bytes.size());
        out.Commit();
        std::cerr << "featpool: " << static_cast<int64_t>(stats.count()) << " frames of "
                  << stats.dim << " dimensions -> " << state->output << "\n";
        return failed > 0 ? 1 : 0;
      }

      // Per speaker (spk2utt order), or per utterance (input order).
      std::map<std::string, const Utterance*> by_id;
      for (const Utterance& u : utts) by_id[u.id] = &u;
      std::vector<std::pair<std::string, CmvnStats>> out;
      int64_t done = 0;
      if (!speakers.empty()) {
        for (const Utterance& u : utts) {
          if (speakers.SpeakerOf(u.id) == nullptr) {
            std::cerr << "featpool: error: " << Quote(u.id) << " has no speaker in "
                      << Quote(speakers.source()) << "; left out\n";
            ++failed;
          }
        }
        for (const auto& [speaker, uttlist] : speakers.speakers()) {
          CmvnStats stats;
          for (const std::string& id : uttlist) {
            const auto it = by_id.find(id);
            if (it == by_id.end()) {
              std::cerr << "featpool: error: utterance " << Quote(id) << " of speaker "
                        << Quote(speaker) << " is not among the inputs\n";
              ++failed;
              continue;
            }
            if (accumulate(*it->second, &stats)) ++done;
          }
          if (stats.dim == 0 || stats.count() < 1) {
            std::cerr << "featpool: warning: no stats accumulated for speaker " << Quote(speaker)
                      << "\n";
            continue;
          }
          out.emplace_back(speaker, stats);
        }
      } else {
        for (const Utterance& u : utts) {
          CmvnStats stats;
          if (accumulate(u, &stats) && stats.count() >= 1) {
            ++done;
            out.emplace_back(u.id, stats);
          }
        }
      }
      if (out.empty()) throw Error("no frames to accumulate");
      for (const std::string& path : {table.ark, table.scp}) {
        const std::filesystem::path dir = std::filesystem::path(path).parent_path();
        std::error_code ec;
        if (!dir.empty()) std::filesystem::create_directories(dir, ec);
        if (ec) throw Error("cannot create directory " + Quote(dir.string()) + ": " + ec.message());
      }
      if (!table.scp.empty()) {
        WriteKaldiStatsTable(out, table.ark, table.scp);
      } else {
        WriteKaldiStatsTable(out, table.ark, "");
      }
      // steps/compute_cmvn_stats.sh: cp cmvn_NAME.scp $data/cmvn.scp.
      if (!data_dir.empty() && !table.scp.empty() && !speakers.empty()) {
        const std::string cmvn_scp = (std::filesystem::path(data_dir) / "cmvn.scp").string();
        std::error_code ec;
        if (!std::filesystem::equivalent(table.scp, cmvn_scp, ec)) {
          std::ifstream in(table.scp, std::ios::binary);
          std::ostringstream text;
          text << in.rdbuf();
          const std::string bytes = text.str();
          AtomicOutputFile copy(cmvn_scp);
          copy.Write(bytes.data(), bytes.size());
          copy.Commit();
        }
      }
      std::cerr << "featpool: stats of " << out.size()
                << (speakers.empty() ? " utterances" : " speakers") << " from " << done
                << " utterances (" << failed << " errors) -> " << table.ark << "\n";
      return failed > 0 ? 1 : 0;
    });
  };
}

}  // namespace cli
}  // namespace featpool
