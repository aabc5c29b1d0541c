// Pictures of features: one PNG with, top to bottom, the waveform, the
// features as a heat map (time on x, feature dimension on y, low dimensions at
// the bottom) and optionally the pooled features on the same time axis, each
// heat map with its colour bar. Drawn with cairo (private to the library).
//
// Everything is reduced to pixel columns as it arrives, so a long recording
// streams through PlotBuilder in memory of O(plot width x feature dim):
// the waveform as a min/max envelope per column, a heat map as the maximum
// of the frames that fall in a column (several frames per column only when
// the view is longer than the plot is wide; the panel's label then says
// "max of N frames per pixel"). Frames wider than a column are repeated.
//
// Thread safety: one PlotBuilder per picture; distinct builders are
// independent. WritePlotPng() is reentrant.
#ifndef FEATPOOL_PLOT_H_
#define FEATPOOL_PLOT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "featpool/feature-options.h"
#include "featpool/frame-extractor.h"
#include "featpool/framing.h"
#include "featpool/matrix.h"
#include "featpool/pooler.h"
#include "featpool/stage.h"

namespace featpool {

enum class Colormap { kViridis, kMagma, kGray };

// "viridis", "magma", "gray"; throws OptionError("cmap", ...) otherwise.
Colormap ParseColormap(const std::string& name);
std::string ColormapName(Colormap cmap);
// Entry `index` (0 = lowest value, 255 = highest) as 0xRRGGBB.
uint32_t ColormapColor(Colormap cmap, int index);

struct PlotOptions {
  int32_t width = 1600;  // pixels, >= 400
  int32_t height = 0;    // pixels; 0: from the panels shown (about 900 with all three)
  Colormap cmap = Colormap::kViridis;
  double start_s = 0.0;     // the view starts here
  double duration_s = 0.0;  // and lasts this long; 0: to the end
  std::string title;        // drawn above the panels; may be empty

  // Throws OptionError naming the option (width, height, start, duration).
  void Validate() const;
};

// Where a matrix's rows and columns sit: row r is centred at time
// time_first_s + r * time_step_s, column c at y_first + c * y_step, and each
// covers one step.
struct PlotGrid {
  double time_first_s = 0.005;
  double time_step_s = 0.01;
  double y_first = 0.0;
  double y_step = 1.0;
  std::string y_label = "dimension";
};

// Where the frames of `framer` sit: frame f at the centre of the samples it
// reads (FirstSampleOfFrame(f) + FrameLength() / 2), one hop apart. So
// Kaldi's snip-edges frame f is at f * shift + length / 2 (without
// snip-edges f * shift + shift / 2) and a centred STFT frame f (torch.stft,
// Whisper, NeMo, ...) at f * hop.
PlotGrid FramerGrid(const Framer& framer, double sample_rate);

// The grid of Kaldi frames (FramerGrid of KaldiFramer).
PlotGrid FrameGrid(const FrameExtractionOptions& frame_opts);

// The grid of a feature type's frames (FramerGrid of its framer) with its
// y axis (the registry's columns for `dim` columns); `title` (if not null)
// receives the registry's name of them ("fbank, 80 mel bins").
PlotGrid FeatureGrid(const FeatureOptions& opts, int64_t dim, std::string* title = nullptr);

// The stage chain split as a picture shows it: `before`, the stages that run
// before pooling (the features panel shows their output), and `from`,
// pooling and the stages after it (the pooled panel: what `featpool
// extract` writes). Without pooling every stage is in `before` and `from`
// has none. Validates `stages` for features of `dim` columns (StageChain).
void SplitStagesAtPool(const StageOptions& stages, int64_t dim, StageOptions* before,
                       StageOptions* from);

// "max pooling, kernel 2×2", "stack 7 frames every 6", "statistics pooling
// (mean, std)": a pooled panel's label.
std::string PoolDescription(const PoolOptions& opts);

// Where the rows and columns of `pooled` (from `in_rows` x `in_cols` features
// on grid `features`) sit: each window pooling row at the centre of its
// window (ATen's window start r * stride - padding, span dilation *
// (kernel - 1) + 1), a stacked row at its first frame (FunASR apply_lfr pads
// (m - 1) / 2 frames in front), adaptive and stats rows spread evenly over
// the input.
PlotGrid PooledGrid(const PoolOptions& opts, const PlotGrid& features, int64_t in_rows,
                    int64_t in_cols, int64_t out_rows, int64_t out_cols);

// A rectangle of the picture in pixels, (x, y) its top-left corner.
struct PlotRect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

class PlotBuilder {
 public:
  // `total_s`: the length of what is plotted (the audio, or the features'
  // last row's end); the view is [start, start + duration) within it.
  // Validates; throws Error.
  PlotBuilder(const PlotOptions& opts, double total_s);
  ~PlotBuilder();
  PlotBuilder(const PlotBuilder&) = delete;
  PlotBuilder& operator=(const PlotBuilder&) = delete;

  double ViewStart() const;
  double ViewEnd() const;
  // Replace PlotOptions::title and the panels' labels (e.g. once the shapes
  // are known).
  void SetTitle(const std::string& title);
  void SetLabels(const std::string& features, const std::string& pooled);

  // The panels, each set at most once and before its data. `full_scale`:
  // the sample value drawn as amplitude 1 (32768 for Kaldi's scale).
  void SetWaveform(double sample_rate, double full_scale);
  void SetFeatures(int64_t dim, const PlotGrid& grid, const std::string& label);
  void SetPooled(int64_t dim, const PlotGrid& grid, const std::string& label);

  // Data in time order, in chunks of any size (samples from sample 0, rows
  // from row 0). Throws Error if the panel was not set or a width differs.
  void AcceptSamples(const float* samples, int64_t count);
  void AcceptFeatures(MatrixView rows);
  void AcceptPooled(MatrixView rows);

  // Whether everything in the view has arrived for the panels set so far (a
  // reader may stop early).
  bool ViewComplete() const;

  // Where panel 0 (waveform), 1 (features) or 2 (pooled) is drawn, given the
  // panels set so far; empty if that panel is not set. Its width is the
  // number of pixel columns, width - 238 for every width.
  PlotRect PanelArea(int panel) const;

  // Draws and writes the PNG (atomically: a temporary file renamed into
  // place). Throws Error naming `path`, or if no panel has data in the view.
  void WritePng(const std::string& path) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The picture of `featpool plot` for audio: the waveform, the features of
// `features` after the stages before pooling, and pooling with what follows
// it (SplitStagesAtPool), so the last panel shows what `featpool extract`
// with the same options writes. Samples arrive in chunks at the features'
// sample frequency, on their type's scale (FullScaleSample()); memory stays
// O(width x dim) unless a stage needs the whole utterance. `source` names the
// input in errors ("'x.wav'"); stage and pooling errors are OptionErrors
// about it. One per picture.
class FeaturePlot {
 public:
  // `total_samples`: the input's length (the picture's time axis).
  FeaturePlot(const FeatureOptions& features, const StageOptions& stages, const PlotOptions& plot,
              int64_t total_samples, const std::string& source);
  ~FeaturePlot();
  FeaturePlot(const FeaturePlot&) = delete;
  FeaturePlot& operator=(const FeaturePlot&) = delete;

  void AcceptWaveform(const float* samples, int64_t count);
  // Whether more samples cannot change the picture (the view is complete and
  // no stage waits for the end): a reader may stop.
  bool ViewComplete() const;
  // Flushes (unless the view was complete), draws and writes the PNG; the
  // default title starts with `name` (a file's base name). Throws Error for
  // input shorter than a frame or pooling that gives no rows.
  void WritePng(const std::string& path, const std::string& name);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The whole-matrix convenience: waveform (optional: samples == nullptr),
// features, pooled (optional: rows == 0).
struct PlotInput {
  const float* samples = nullptr;
  int64_t num_samples = 0;
  double sample_rate = 16000.0;
  double full_scale = 32768.0;

  MatrixView features;
  PlotGrid features_grid;
  std::string features_label;

  MatrixView pooled;
  PlotGrid pooled_grid;
  std::string pooled_label;
};

void WritePlotPng(const std::string& path, const PlotInput& in, const PlotOptions& opts);

}  // namespace featpool

#endif  // FEATPOOL_PLOT_H_
