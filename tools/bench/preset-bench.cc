// Every preset (data/conf/presets/*.conf) per frame, on the same 600 s of
// speech: the features of the preset's type, then its stages (CMVN, NeMo's
// per-feature normalisation, Whisper's clamp, LFR stacking, ...), offline
// (ComputeFeatures, then ApplyStages on the features handed over) as the
// library computes a whole file (Python's extract()).
// Counters: "us_per_frame" is CPU microseconds per feature frame (before
// stacking), "x_realtime" seconds of audio per second of CPU, "faults" the
// minor page faults per iteration (memory touched for the first time). The issue's
// target: every preset at most kaldi-fbank-80's time per frame.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench-audio.h"
#include "bench-counters.h"
#include "featpool/featpool.h"
#include "featpool/feature-registry.h"
#include "featpool/options.h"

namespace featpool {
namespace {

using bench::kRate;

struct Preset {
  FeatureOptions features;
  StageOptions stages;
};

// The preset's conf file (one --key=value per line, '#' comments), set
// through the option tables as the command sets its flags: --feature first,
// then the feature type's keys, the stages' keys, --pool=MODE and
// --pool-KEY. An unknown key fails the benchmark.
Preset ReadPreset(const std::string& name) {
  const std::string path = FEATPOOL_SAMPLE_DATA "/conf/presets/" + name + ".conf";
  std::ifstream in(path);
  if (!in) throw Error("cannot read '" + path + "'");
  Preset p;
  PoolOptions pool;
  bool pooling = false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (line.compare(0, 2, "--") != 0 || eq == std::string::npos) {
      throw Error(path + ": unexpected line '" + line + "'");
    }
    const std::string key = KeyFromFlag(line.substr(2, eq - 2));
    const std::string value = line.substr(eq + 1);
    if (key == "feature") {
      p.features = DefaultFeatureOptions(FindFeatureType(value).type);
    } else if (key == "pool") {
      pooling = true;
      SetOptionText(&pool, "mode", value);
    } else if (key.compare(0, 5, "pool_") == 0) {
      if (!SetOptionText(&pool, key.substr(5), value)) throw Error(path + ": unknown " + key);
    } else if (!SetOptionText(&p.features, key, value) && !SetOptionText(&p.stages, key, value)) {
      throw Error(path + ": unknown " + key);
    }
  }
  if (pooling) p.stages.pool = pool;
  // FunASR's preset needs the model's am.mvn: the test fixtures' one.
  if (p.stages.cmvn.cmvn_stats.empty() && name == "funasr-paraformer") {
    p.stages.cmvn.cmvn_stats = FEATPOOL_SAMPLE_DATA "/../tests/data/dialects/presets/am.mvn";
  }
  return p;
}

// Minor page faults of the process so far.
int64_t MinorFaults() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// The tiled speech on the scale the preset's type expects.
std::vector<float> Speech(FeatureType type) {
  std::vector<float> wave = bench::LongSpeech();
  const float scale = FullScaleSample(type) / 32768.0f;
  if (scale != 1.0f) {
    for (float& x : wave) x *= scale;
  }
  return wave;
}

void BM_Preset(benchmark::State& state, const std::string& name) {
  Preset p;
  try {
    p = ReadPreset(name);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const std::vector<float> wave = Speech(p.features.type);
  const int64_t n = static_cast<int64_t>(wave.size());
  const int32_t frames = p.features.NumFrames(n);
  std::unique_ptr<StageChain> chain;
  if (p.stages.Any()) {
    chain = std::make_unique<StageChain>(p.stages, MakeFeatureComputer(p.features)->Dim());
  }
  const int64_t faults_before = MinorFaults();
  for (auto _ : state) {
    Matrix features = ComputeFeatures(p.features, kRate, wave.data(), n);
    if (chain) features = ApplyStages(*chain, std::move(features));
    benchmark::DoNotOptimize(features.data());
  }
  const int64_t faults = MinorFaults() - faults_before;
  bench::SetRealTime(state, bench::LongSeconds());
  // Pages first touched per iteration: each costs a page fault (a few
  // microseconds here), a large part of the time of a preset that holds or
  // copies the utterance.
  state.counters["faults"] =
      static_cast<double>(faults) / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
  state.counters["us_per_frame"] = benchmark::Counter(
      static_cast<double>(frames) * static_cast<double>(state.iterations()) * 1e-6,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["frames"] = frames;
}

// Every preset of the source tree, by name.
const bool kRegistered = [] {
  std::vector<std::string> names;
  for (const auto& entry :
       std::filesystem::directory_iterator(FEATPOOL_SAMPLE_DATA "/conf/presets")) {
    if (entry.path().extension() == ".conf") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    benchmark::RegisterBenchmark(("BM_Preset/" + name).c_str(), BM_Preset, name)
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace
}  // namespace featpool
