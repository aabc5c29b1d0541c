// featpool plot: one PNG of an input (audio or a .npy feature matrix): the
// waveform, the features as a heat map and, with --pool, the pooled features
// on the same time axis, through the stages `featpool extract` runs
// (featpool/plot.h FeaturePlot).
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <vector>

#include "featpool/audio-source.h"
#include "featpool/command.h"
#include "featpool/error.h"
#include "featpool/npy.h"
#include "featpool/plot-file.h"
#include "featpool/stage.h"

namespace featpool {
namespace cli {
namespace {

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Shape(int64_t rows, int64_t cols) {
  return std::to_string(rows) + " \u00d7 " + std::to_string(cols);
}

void PlotNpy(const std::string& input, const FeatureFlags& features, const StageOptions& stages,
             const PlotOptions& plot, const std::string& output) {
  const Matrix m = ReadNpy(input);
  if (m.rows() == 0 || m.cols() == 0) {
    throw Error("'" + input + "': an empty matrix (" + Shape(m.rows(), m.cols()) + ")");
  }
  // Row r where frame r of the feature options' framer is: Kaldi's
  // snip-edges frames by default, a centred STFT's with --preset=whisper or
  // --feature=melspectrogram (FramerGrid).
  const FeatureOptions opts = features.ToOptions();
  const PlotGrid grid = FramerGrid(*opts.MakeFramer(), opts.frame_opts().samp_freq);
  // The stages as `featpool plot` runs them on audio: the features panel
  // shows the rows reaching pooling, the pooled panel the chain's output.
  StageOptions before_opts;
  StageOptions from_opts;
  Matrix before;
  Matrix pooled;
  try {
    SplitStagesAtPool(stages, m.cols(), &before_opts, &from_opts);
    if (before_opts.Any()) before = ApplyStages(StageChain(before_opts, m.cols()), m.View());
    const MatrixView shown = before_opts.Any() ? before.View() : m.View();
    if (from_opts.Any()) pooled = ApplyStages(StageChain(from_opts, shown.cols), shown);
  } catch (const OptionError& e) {
    throw e.WithContext("'" + input + "'");
  } catch (const Error& e) {
    throw Error("'" + input + "': " + e.what());
  }
  PlotInput in;
  in.features = before_opts.Any() ? before.View() : m.View();
  in.features_grid = grid;
  char label[80];
  std::snprintf(label, sizeof label, "features %s, a row per %g ms",
                Shape(m.rows(), m.cols()).c_str(), 1000.0 * grid.time_step_s);
  in.features_label = label;
  if (before_opts.Any()) {
    in.features_label += ", then " + before_opts.stages + ": " +
                         Shape(in.features.rows, in.features.cols);
  }
  std::string title = BaseName(input) + ": " + Shape(m.rows(), m.cols());
  if (from_opts.Any()) {
    if (pooled.rows() == 0) {
      throw Error("'" + input + "': " + Shape(in.features.rows, in.features.cols) +
                  " frames give no pooled rows");
    }
    const PoolOptions& pool = *from_opts.pool;
    in.pooled = pooled.View();
    in.pooled_grid = PooledGrid(pool, in.features_grid, in.features.rows, in.features.cols,
                                pooled.rows(), pooled.cols());
    // "pool,cmvn": what runs after the pooling.
    const std::string after = from_opts.stages.size() > 5 ? from_opts.stages.substr(5) : "";
    in.pooled_label = PoolDescription(pool) + (after.empty() ? "" : ", then " + after) + ": " +
                      Shape(pooled.rows(), pooled.cols());
    title += " \u2192 " + Shape(pooled.rows(), pooled.cols());
  }
  PlotOptions o = plot;
  if (o.title.empty()) o.title = title;
  WritePlotPng(output, in, o);
}

}  // namespace

PlotOptions PlotFlags::ToOptions() const {
  PlotOptions o = opts;
  o.cmap = ParseColormap(cmap);
  o.Validate();
  return o;
}

void AddPlotFlags(CLI::App* app, PlotFlags* f) {
  const char* group = "Picture";
  app->add_option("--width", f->opts.width, "Picture width in pixels")
      ->capture_default_str()
      ->group(group);
  app->add_option("--height", f->opts.height, "Picture height in pixels; 0 = from the panels")
      ->capture_default_str()
      ->group(group);
  app->add_option("--cmap", f->cmap, "Colour map of the heat maps: viridis, magma or gray")
      ->capture_default_str()
      ->group(group);
  app->add_option("--start", f->opts.start_s, "Start of the view in seconds")
      ->capture_default_str()
      ->group(group);
  app->add_option("--duration", f->opts.duration_s, "Length of the view in seconds; 0 = to the end")
      ->capture_default_str()
      ->group(group);
  app->add_option("--title", f->opts.title, "Title (default: file name, feature and shapes)")
      ->group(group);
}

void PlotFile(const std::string& input, const FeatureFlags& flags, const StageOptions& stages,
              const PlotOptions& plot, const std::string& output) {
  if (EndsWith(input, ".npy")) {
    PlotNpy(input, flags, stages, plot, output);
    return;
  }
  const FeatureOptions opts = flags.ToOptions();
  AudioSource source(input, flags.ToAudioOptions());
  if (!source.warning().empty()) std::cerr << "featpool: warning: " << source.warning() << "\n";
  const int64_t expected = source.ExpectedSamples();
  if (expected <= 0) {
    throw Error("'" + input + "': the length is unknown or 0; plot needs a file of known length");
  }
  FeaturePlot picture(opts, stages, plot, expected, "'" + input + "'");
  std::vector<float> block(1 << 16);
  while (!picture.ViewComplete()) {
    const int64_t n = source.Read(block.data(), static_cast<int64_t>(block.size()));
    if (n == 0) break;
    picture.AcceptWaveform(block.data(), n);
  }
  picture.WritePng(output, BaseName(input));
}

RunFunction AddPlotCommand(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "plot",
      "Draw one PNG of an audio file (or a .npy feature matrix): the waveform, the features as "
      "a heat map (time on x, low frequencies at the bottom) and, with --pool, the pooled "
      "features on the same time axis. A pixel column covering several frames shows their "
      "maximum; the waveform shows its min/max envelope");
  struct State {
    FeatureFlags flags;
    PoolFlagSet pool{"pool-"};
    StageFlagSet stages;
    PlotFlags plot;
    std::string input;
    std::string output;
  };
  auto state = std::make_shared<State>();
  sub->add_option("INPUT", state->input, "Audio file, or a [time, dim] .npy feature matrix")
      ->required();
  sub->add_option("-o,--output", state->output, "Output .png")->required();
  AddPlotFlags(sub, &state->plot);
  AddConfigFlags(sub);
  AddFeatureFlags(sub, &state->flags);
  state->stages.Add(sub);
  state->pool.Add(sub);
  return [state]() {
    if (!EndsWith(state->output, ".png")) {
      throw Error("-o " + state->output + ": plot writes a PNG; give a name ending in .png");
    }
    return WithOptionSpelling({&state->flags.features, &state->stages, &state->pool}, [&]() -> int {
      state->pool.CheckUnusedWhenDisabled();
      // A .npy holds what extract wrote: the stages of a --config file or
      // preset already ran on it; only those given here still run.
      PlotFile(state->input, state->flags,
               EndsWith(state->input, ".npy") ? state->stages.CommandLineOptions(&state->pool)
                                              : state->stages.ToOptions(&state->pool),
               state->plot.ToOptions(), state->output);
      return 0;
    });
  };
}

}  // namespace cli
}  // namespace featpool
