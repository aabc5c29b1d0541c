// featpool plot: one PNG of an input (audio or a .npy feature matrix): the
// waveform, the features as a heat map and, with --pool, the pooled features
// on the same time axis (featpool/plot.h).
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <vector>

#include "featpool/audio-source.h"
#include "featpool/command.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-registry.h"
#include "featpool/npy.h"
#include "featpool/online-feature.h"
#include "featpool/online-pooler.h"
#include "featpool/plot-file.h"
#include "featpool/pooler.h"

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

std::string SizeText(const PoolSize& s) {
  return s.time == s.freq ? std::to_string(s.time)
                          : std::to_string(s.time) + "\u00d7" + std::to_string(s.freq);
}

// "max 2×2 (stride 2×2)", "stack 7/6", "adaptive-avg → 10×20", "stats".
std::string PoolText(const PoolOptions& o) {
  const std::string mode = PoolModeName(o.mode);
  switch (o.mode) {
    case PoolMode::kMax:
    case PoolMode::kAvg:
    case PoolMode::kLp: {
      std::string text = mode + " pooling, kernel " + SizeText(o.kernel);
      if (o.EffectiveStride() != o.kernel) text += ", stride " + SizeText(o.EffectiveStride());
      return text;
    }
    case PoolMode::kStack:
      return "stack " + std::to_string(o.stack_frames) + " frames every " +
             std::to_string(o.stack_stride);
    case PoolMode::kStats:
      return "statistics pooling (mean, std)";
    default:
      return mode + " pooling";
  }
}

bool Streams(PoolMode mode) {
  return mode != PoolMode::kAdaptiveMax && mode != PoolMode::kAdaptiveAvg;
}

// The features' y axis: mel bins, cepstra or frequency (the registry says).
void DescribeFeatures(const FeatureOptions& opts, int64_t dim, PlotGrid* grid, std::string* name) {
  const FeatureColumns columns = FeatureTypeInfoOf(opts.type).columns(opts, dim);
  *name = columns.title;
  grid->y_label = columns.label;
  grid->y_first = columns.first;
  grid->y_step = columns.step;
}

void PlotNpy(const std::string& input, const FeatureFlags& features, const PoolFlagSet& pool,
             const PlotOptions& plot, const std::string& output) {
  const Matrix m = ReadNpy(input);
  if (m.rows() == 0 || m.cols() == 0) {
    throw Error("'" + input + "': an empty matrix (" + Shape(m.rows(), m.cols()) + ")");
  }
  PlotInput in;
  in.features = m.View();
  const double shift = features.ToOptions().frame_opts().frame_shift_ms / 1000.0;
  if (!(shift > 0.0)) throw Error("invalid --frame-shift: must be > 0 for a .npy input");
  in.features_grid.time_step_s = shift;
  in.features_grid.time_first_s = 0.5 * shift;
  char label[80];
  std::snprintf(label, sizeof label, "features %s, a row per %g ms (--frame-shift)",
                Shape(m.rows(), m.cols()).c_str(),
                features.ToOptions().frame_opts().frame_shift_ms);
  in.features_label = label;
  std::string title = BaseName(input) + ": " + Shape(m.rows(), m.cols());
  Matrix pooled;
  if (pool.Enabled()) {
    const PoolOptions opts = pool.ToOptions();
    try {
      Pooler(opts).Apply(m.View(), &pooled);
    } catch (const OptionError& e) {
      throw Error(pool.Render(e.WithContext("'" + input + "'")));
    } catch (const Error& e) {
      throw Error("'" + input + "': " + e.what());
    }
    in.pooled = pooled.View();
    in.pooled_grid =
        PooledGrid(opts, in.features_grid, m.rows(), m.cols(), pooled.rows(), pooled.cols());
    in.pooled_label = PoolText(opts) + ": " + Shape(pooled.rows(), pooled.cols());
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

void PlotFile(const std::string& input, const FeatureFlags& flags, const PoolFlagSet& pool_flags,
              const PlotOptions& plot, const std::string& output) {
  if (EndsWith(input, ".npy")) {
    PlotNpy(input, flags, pool_flags, plot, output);
    return;
  }
  const FeatureOptions opts = flags.ToOptions();
  std::unique_ptr<PoolOptions> pool;
  if (pool_flags.Enabled()) pool = std::make_unique<PoolOptions>(pool_flags.ToOptions());

  AudioSource source(input, flags.ToAudioOptions());
  if (!source.warning().empty()) std::cerr << "featpool: warning: " << source.warning() << "\n";
  const float rate = source.sample_rate();
  const int64_t expected = source.ExpectedSamples();
  if (expected <= 0) {
    throw Error("'" + input + "': the length is unknown or 0; plot needs a file of known length");
  }
  PlotBuilder builder(plot, static_cast<double>(expected) / rate);
  builder.SetWaveform(rate, FullScaleSample(opts.type));  // the type's sample scale

  OnlineExtractor extractor(opts);
  const int64_t dim = extractor.Dim();
  PlotGrid grid = FrameGrid(opts.frame_opts());
  std::string feature_name;
  DescribeFeatures(opts, dim, &grid, &feature_name);
  builder.SetFeatures(dim, grid, feature_name);

  std::unique_ptr<OnlinePooler> online;
  Matrix kept;  // adaptive pooling only: the whole file's features
  if (pool && Streams(pool->mode)) {
    try {
      online = std::make_unique<OnlinePooler>(*pool, dim);
    } catch (const OptionError& e) {
      throw Error(pool_flags.Render(e.WithContext("'" + input + "'")));
    } catch (const Error& e) {
      throw Error("'" + input + "': " + e.what());
    }
    if (pool->mode != PoolMode::kStats) {
      builder.SetPooled(online->Dim(), PooledGrid(*pool, grid, 0, dim, 0, online->Dim()), "");
    }
  } else if (pool) {
    kept = Matrix(0, dim);
  }
  const bool may_stop = !pool || (online && pool->mode != PoolMode::kStats);

  int64_t frames = 0;
  int64_t pooled_rows = 0;
  auto drain = [&]() {
    const MatrixView ready = extractor.ReadyFrames();
    builder.AcceptFeatures(ready);
    frames += ready.rows;
    if (online) {
      online->AcceptFrames(ready);
      if (pool->mode != PoolMode::kStats) {
        const MatrixView rows = online->ReadyRows();
        builder.AcceptPooled(rows);
        pooled_rows += rows.rows;
        online->ReleaseRowsBefore(online->NumRowsReady());
      }
    } else if (pool) {
      for (int64_t r = 0; r < ready.rows; ++r) {
        std::copy(ready.Row(r), ready.Row(r) + dim, kept.AppendRow());
      }
    }
    extractor.ReleaseFramesBefore(extractor.NumFramesReady());
  };

  std::vector<float> block(1 << 16);
  bool stopped = false;
  for (;;) {
    const int64_t n = source.Read(block.data(), static_cast<int64_t>(block.size()));
    if (n == 0) break;
    builder.AcceptSamples(block.data(), n);
    extractor.AcceptWaveform(rate, block.data(), n);
    drain();
    if (may_stop && builder.ViewComplete()) {
      stopped = true;
      break;
    }
  }
  if (!stopped) {
    extractor.InputFinished();
    drain();
  }
  if (frames == 0) {
    throw Error(ShortInputMessage(input, source.ExpectedSamples(), opts.frame_opts()));
  }
  std::string title = BaseName(input) + ": " + feature_name;
  if (plot.start_s > 0.0 || plot.duration_s > 0.0) {
    char view[64];
    std::snprintf(view, sizeof view, " (%g to %g s)", builder.ViewStart(), builder.ViewEnd());
    title += view;
  }
  if (!stopped) title += ", " + Shape(frames, dim);
  std::string pool_label;
  if (pool) {
    Matrix pooled;
    if (online) {
      if (!stopped) online->InputFinished();
      pooled = online->TakeRows();
    } else {
      try {
        Pooler(*pool).Apply(kept.View(), &pooled);
      } catch (const OptionError& e) {
        throw Error(pool_flags.Render(e.WithContext("'" + input + "'")));
      } catch (const Error& e) {
        throw Error("'" + input + "': " + e.what());
      }
    }
    if (pool->mode == PoolMode::kStats || !online) {
      builder.SetPooled(pooled.cols(),
                        PooledGrid(*pool, grid, frames, dim, pooled.rows(), pooled.cols()), "");
    }
    builder.AcceptPooled(pooled.View());
    pooled_rows += pooled.rows();
    const int64_t pooled_dim = online ? online->Dim() : pooled.cols();
    if (pooled_rows == 0) {
      throw Error("'" + input + "': " + Shape(frames, dim) + " frames give no pooled rows");
    }
    pool_label = PoolText(*pool);
    if (!stopped) {
      pool_label += ": " + Shape(pooled_rows, pooled_dim);
      title += " \u2192 " + Shape(pooled_rows, pooled_dim);
    }
  }
  if (plot.title.empty()) builder.SetTitle(title);
  builder.SetLabels(feature_name + (stopped ? "" : ": " + Shape(frames, dim)), pool_label);
  builder.WritePng(output);
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
  state->pool.Add(sub);
  return [state]() {
    if (!EndsWith(state->output, ".png")) {
      throw Error("-o " + state->output + ": plot writes a PNG; give a name ending in .png");
    }
    return WithOptionSpelling({&state->flags.features, &state->pool}, [&]() -> int {
      state->pool.CheckUnusedWhenDisabled();
      PlotFile(state->input, state->flags, state->pool, state->plot.ToOptions(), state->output);
      return 0;
    });
  };
}

}  // namespace cli
}  // namespace featpool
