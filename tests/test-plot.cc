// featpool/plot.h: the PNG is valid and sized as asked, its heat map's
// colours follow the data (orientation, a chirp's band where it should be,
// spikes kept by the max reduction), streaming in chunks draws the same
// picture as the whole matrix, and the colour tables are matplotlib's.
#include <cairo.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "featpool/error.h"
#include "featpool/feature-computer.h"
#include "featpool/feature-options.h"
#include "featpool/feature-registry.h"
#include "featpool/online-feature.h"
#include "featpool/plot.h"
#include "featpool/stage.h"

using namespace featpool;

namespace {

std::string TempPng(const std::string& name) {
  return "test-plot-" + std::to_string(getpid()) + "-" + name + ".png";
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A decoded PNG, pixels as 0xRRGGBB.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint32_t> pixels;
  uint32_t At(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x]; }
};

Image LoadPng(const std::string& path) {
  cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
  REQUIRE(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS);
  Image image;
  image.width = cairo_image_surface_get_width(s);
  image.height = cairo_image_surface_get_height(s);
  const int stride = cairo_image_surface_get_stride(s);
  const unsigned char* data = cairo_image_surface_get_data(s);
  for (int y = 0; y < image.height; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<ptrdiff_t>(y) * stride);
    for (int x = 0; x < image.width; ++x) image.pixels.push_back(row[x] & 0xffffffu);
  }
  cairo_surface_destroy(s);
  return image;
}

// The colour-map index nearest to `rgb`, or -1 if no entry is within a
// small distance (not a heat-map pixel).
int ColourIndex(Colormap cmap, uint32_t rgb) {
  int best = -1;
  int best_distance = 3 * 3 * 3;
  for (int i = 0; i < 256; ++i) {
    const uint32_t c = ColormapColor(cmap, i);
    int distance = 0;
    for (int shift : {0, 8, 16}) {
      const int d = static_cast<int>((c >> shift) & 0xff) - static_cast<int>((rgb >> shift) & 0xff);
      distance += d * d;
    }
    if (distance < best_distance) {
      best_distance = distance;
      best = i;
    }
  }
  return best;
}

}  // namespace

TEST_CASE("plot colour maps are matplotlib's tables", "[plot]") {
  // matplotlib _cm_listed.py: viridis [0.267004, 0.004874, 0.329415] ...
  // [0.993248, 0.906157, 0.143936]; magma [0.001462, 0.000466, 0.013866] ...
  // [0.987053, 0.991438, 0.749504]; times 255, rounded.
  CHECK(ColormapColor(Colormap::kViridis, 0) == 0x440154u);
  CHECK(ColormapColor(Colormap::kViridis, 255) == 0xfde725u);
  CHECK(ColormapColor(Colormap::kViridis, 128) == 0x21918cu);  // [0.127568, 0.566949, 0.550556]
  CHECK(ColormapColor(Colormap::kMagma, 0) == 0x000004u);
  CHECK(ColormapColor(Colormap::kMagma, 255) == 0xfcfdbfu);
  CHECK(ColormapColor(Colormap::kGray, 0) == 0x000000u);
  CHECK(ColormapColor(Colormap::kGray, 255) == 0xffffffu);
  // Perceptual maps get brighter from low to high.
  auto luma = [](uint32_t c) {
    return 0.3 * (c >> 16) + 0.59 * ((c >> 8) & 0xff) + 0.11 * (c & 0xff);
  };
  for (Colormap cmap : {Colormap::kViridis, Colormap::kMagma}) {
    for (int i = 16; i < 256; i += 16) {
      CHECK(luma(ColormapColor(cmap, i)) > luma(ColormapColor(cmap, i - 16)));
    }
  }
  CHECK(ParseColormap("magma") == Colormap::kMagma);
  CHECK_THROWS_WITH(ParseColormap("jet"), Catch::Contains("cmap=jet"));
}

TEST_CASE("plot writes a valid PNG of the asked size", "[plot]") {
  Matrix features(300, 40);
  for (int64_t r = 0; r < features.rows(); ++r) {
    for (int64_t c = 0; c < features.cols(); ++c) features(r, c) = std::sin(0.1f * r + c);
  }
  std::vector<float> samples(300 * 160);
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = 1000.0f * std::sin(0.01f * i);
  PlotInput in;
  in.samples = samples.data();
  in.num_samples = static_cast<int64_t>(samples.size());
  in.features = features.View();
  in.features_label = "test";
  PlotOptions opts;
  opts.width = 900;
  opts.height = 700;
  opts.title = "a title";
  const std::string path = TempPng("size");
  WritePlotPng(path, in, opts);
  const std::string bytes = ReadBytes(path);
  REQUIRE(bytes.size() > 33);
  CHECK(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  CHECK(bytes.substr(12, 4) == "IHDR");
  const Image image = LoadPng(path);
  CHECK(image.width == 900);
  CHECK(image.height == 700);
  std::remove(path.c_str());

  // Automatic height; every panel between the title and the time axis.
  opts.height = 0;
  PlotBuilder builder(opts, 3.0);
  builder.SetWaveform(16000, 32768);
  builder.SetFeatures(40, PlotGrid(), "f");
  const PlotRect wave = builder.PanelArea(0);
  const PlotRect heat = builder.PanelArea(1);
  CHECK(builder.PanelArea(2).height == 0);
  CHECK(wave.width == 900 - 238);
  CHECK(heat.y > wave.y + wave.height);
}

TEST_CASE("plot heat map: low dimensions at the bottom, colours follow the values", "[plot]") {
  // Value = column index: the bottom row of the heat map is the map's lowest
  // colour, the top row its highest, and rows in between increase.
  Matrix features(50, 64);
  for (int64_t r = 0; r < features.rows(); ++r) {
    for (int64_t c = 0; c < features.cols(); ++c) features(r, c) = static_cast<float>(c);
  }
  PlotOptions opts;
  opts.width = 600;
  for (Colormap cmap : {Colormap::kViridis, Colormap::kMagma, Colormap::kGray}) {
    opts.cmap = cmap;
    PlotBuilder builder(opts, 0.5);
    builder.SetFeatures(64, PlotGrid(), "ramp");
    builder.AcceptFeatures(features.View());
    const PlotRect r = builder.PanelArea(1);
    const std::string path = TempPng("ramp");
    builder.WritePng(path);
    const Image image = LoadPng(path);
    std::remove(path.c_str());
    const int x = r.x + r.width / 2;
    CHECK(image.At(x, r.y + r.height - 1) == ColormapColor(cmap, 0));
    CHECK(image.At(x, r.y) == ColormapColor(cmap, 255));
    int previous = -1;
    for (int y = r.y + r.height - 1; y >= r.y; y -= 7) {
      const int index = ColourIndex(cmap, image.At(x, y));
      REQUIRE(index >= 0);
      CHECK(index >= previous);
      previous = index;
    }
  }
}

TEST_CASE("plot heat map: a linear chirp's band is where it should be", "[plot]") {
  // 0.5 -> 6.5 kHz over 4 s at 16 kHz; Kaldi spectrogram (25 ms / 10 ms).
  const float rate = 16000.0f;
  const double seconds = 4.0, f0 = 500.0, f1 = 6500.0;
  std::vector<float> samples(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < samples.size(); ++i) {
    const double t = i / rate;
    samples[i] = static_cast<float>(
        8000.0 * std::sin(2.0 * M_PI * (f0 * t + 0.5 * (f1 - f0) / seconds * t * t)));
  }
  CommonFeatureOptions common;
  const FeatureOptions fopts = common.For(FeatureType::kSpectrogram);
  const Matrix spec =
      ComputeFeatures(fopts, rate, samples.data(), static_cast<int64_t>(samples.size()));
  REQUIRE(spec.cols() == 257);

  PlotOptions opts;  // default width 1600, viridis
  PlotBuilder builder(opts, seconds);
  builder.SetWaveform(rate, 32768.0);
  builder.AcceptSamples(samples.data(), static_cast<int64_t>(samples.size()));
  PlotGrid grid = FrameGrid(fopts.frame_opts());
  grid.y_first = 0.0;
  grid.y_step = rate / 512.0;  // Hz per FFT bin
  builder.SetFeatures(spec.cols(), grid, "chirp");
  // In uneven chunks: the reduction does not depend on them.
  for (int64_t r = 0; r < spec.rows(); r += 37) {
    const int64_t n = std::min<int64_t>(37, spec.rows() - r);
    builder.AcceptFeatures({spec.Row(r), n, spec.cols()});
  }
  const PlotRect area = builder.PanelArea(1);
  const std::string path = TempPng("chirp");
  builder.WritePng(path);
  const Image image = LoadPng(path);
  std::remove(path.c_str());

  const double hz_low = -0.5 * grid.y_step;
  const double hz_span = spec.cols() * grid.y_step;
  for (double t : {0.5, 1.2, 2.0, 2.7, 3.5}) {
    const int x = area.x + static_cast<int>(t / seconds * area.width);
    // The brightest pixel above 300 Hz (column 0 is the log energy).
    int best_y = -1, best_index = -1;
    for (int y = area.y; y < area.y + area.height; ++y) {
      const double hz = hz_low + (area.y + area.height - y - 0.5) / area.height * hz_span;
      if (hz < 300.0) continue;
      const int index = ColourIndex(Colormap::kViridis, image.At(x, y));
      REQUIRE(index >= 0);  // every pixel of the heat map is a viridis colour
      if (index > best_index) {
        best_index = index;
        best_y = y;
      }
    }
    const double found = hz_low + (area.y + area.height - best_y - 0.5) / area.height * hz_span;
    const double expected = f0 + (f1 - f0) * t / seconds;
    INFO("t = " << t << " s: brightest at " << found << " Hz, chirp at " << expected << " Hz");
    // A pixel column spans 3 ms (20 Hz of sweep), a frame 25 ms (40 Hz), a
    // bin 31 Hz and a pixel row 21 Hz: 100 Hz is several of each.
    CHECK(std::fabs(found - expected) < 100.0);
    CHECK(best_index > 200);  // the band is near the top of the colour scale
  }
}

TEST_CASE("plot reduces many frames per pixel column by their maximum", "[plot]") {
  // 20000 frames on 362 columns: one frame with a spike must show.
  Matrix features(20000, 8);
  for (int64_t r = 0; r < features.rows(); ++r) {
    for (int64_t c = 0; c < 8; ++c) features(r, c) = 0.0f;
  }
  features(12345, 3) = 10.0f;
  features(0, 0) = -1.0f;  // so the range is not flat
  PlotOptions opts;
  opts.width = 600;
  PlotInput in;
  in.features = features.View();
  PlotBuilder layout(opts, 200.0);
  layout.SetFeatures(8, in.features_grid, "");
  const PlotRect r = layout.PanelArea(1);
  const std::string path = TempPng("spike");
  WritePlotPng(path, in, opts);
  const Image image = LoadPng(path);
  std::remove(path.c_str());
  const double t = in.features_grid.time_first_s + 12345 * in.features_grid.time_step_s;
  const int x = r.x + static_cast<int>(t / 200.0 * r.width);
  const int y = r.y + r.height - 1 - static_cast<int>((3.5 / 8.0) * r.height);
  CHECK(image.At(x, y) == ColormapColor(Colormap::kViridis, 255));
  CHECK(ColourIndex(Colormap::kViridis, image.At(x + 20, y)) < 40);
}

TEST_CASE("plot: chunks and the whole input draw the same picture", "[plot]") {
  Matrix features(1000, 23);
  for (int64_t r = 0; r < features.rows(); ++r) {
    for (int64_t c = 0; c < features.cols(); ++c) {
      features(r, c) = std::cos(0.037f * r * (c + 1));
    }
  }
  Matrix pooled(500, 11);
  for (int64_t r = 0; r < pooled.rows(); ++r) {
    for (int64_t c = 0; c < pooled.cols(); ++c) pooled(r, c) = features(2 * r, 2 * c);
  }
  std::vector<float> samples(1000 * 160 + 240);
  for (size_t i = 0; i < samples.size(); ++i)
    samples[i] = 3000.0f * std::sin(0.003f * i * i / 1e4f);
  PoolOptions pool;
  pool.kernel = {2, 2};
  PlotInput in;
  in.samples = samples.data();
  in.num_samples = static_cast<int64_t>(samples.size());
  in.features = features.View();
  in.pooled = pooled.View();
  in.pooled_grid = PooledGrid(pool, in.features_grid, 1000, 23, 500, 11);
  PlotOptions opts;
  opts.width = 800;
  opts.start_s = 1.5;
  opts.duration_s = 4.0;
  const std::string whole = TempPng("whole");
  WritePlotPng(whole, in, opts);

  PlotBuilder builder(opts, in.num_samples / 16000.0);
  builder.SetWaveform(16000, 32768);
  builder.SetFeatures(23, in.features_grid, "");
  builder.SetPooled(11, in.pooled_grid, "");
  for (int64_t i = 0; i < in.num_samples; i += 1777) {
    builder.AcceptSamples(samples.data() + i, std::min<int64_t>(1777, in.num_samples - i));
  }
  for (int64_t r = 0; r < 1000; r += 13) {
    builder.AcceptFeatures({features.Row(r), std::min<int64_t>(13, 1000 - r), 23});
  }
  for (int64_t r = 0; r < 500; r += 1) builder.AcceptPooled({pooled.Row(r), 1, 11});
  CHECK(builder.ViewComplete());
  const std::string chunked = TempPng("chunked");
  builder.WritePng(chunked);
  CHECK(ReadBytes(whole) == ReadBytes(chunked));
  std::remove(whole.c_str());
  std::remove(chunked.c_str());
}

TEST_CASE("plot grids place frames and pooled rows at their centres", "[plot]") {
  FrameExtractionOptions frame;  // 16 kHz, 25 ms / 10 ms
  PlotGrid g = FrameGrid(frame);
  CHECK(g.time_first_s == Approx(0.0125));  // window of 400 samples from 0
  CHECK(g.time_step_s == Approx(0.01));
  frame.snip_edges = false;
  CHECK(FrameGrid(frame).time_first_s == Approx(0.005));  // centred on shift / 2
  // A centred STFT's frame f is centred at f * hop (its first sample is
  // f * hop - n_fft / 2), whatever the window inside n_fft.
  FeatureOptions mel = DefaultFeatureOptions(FeatureType::kMelSpectrogram);
  mel.melspectrogram.n_fft = 512;
  mel.melspectrogram.win_length = 400;
  mel.melspectrogram.hop_length = 160;
  const PlotGrid stft = FeatureGrid(mel, 128);
  CHECK(stft.time_first_s == 0.0);
  CHECK(stft.time_step_s == Approx(0.01));
  mel.melspectrogram.center = false;
  CHECK(FeatureGrid(mel, 128).time_first_s == Approx(0.016));  // 512 samples from 0

  PoolOptions pool;
  pool.kernel = {3, 2};
  pool.stride = PoolSize{2, 2};
  pool.padding = {1, 0};
  // Window r covers frames [2r - 1, 2r + 1]: centred on frame 2r.
  PlotGrid p = PooledGrid(pool, g, 100, 80, 50, 40);
  CHECK(p.time_first_s == Approx(g.time_first_s));
  CHECK(p.time_step_s == Approx(0.02));
  CHECK(p.y_first == Approx(0.5));  // bins 0 and 1
  CHECK(p.y_step == Approx(2.0));

  pool = PoolOptions();
  pool.mode = PoolMode::kStats;
  p = PooledGrid(pool, g, 100, 80, 1, 160);
  CHECK(p.time_step_s == Approx(1.0));
  CHECK(p.time_first_s == Approx(g.time_first_s - 0.005 + 0.5));
}

namespace {

// The time of the brightest stretch of the features panel's middle row:
// the centre of the run of pixels with the highest colour index.
double BrightestTime(const Image& image, const PlotRect& area, double view_start,
                     double view_end) {
  const int y = area.y + area.height / 2;
  int best = -1, first = -1, last = -1;
  for (int x = area.x; x < area.x + area.width; ++x) {
    const int index = ColourIndex(Colormap::kViridis, image.At(x, y));
    if (index > best) {
      best = index;
      first = last = x;
    } else if (index == best && last == x - 1) {
      last = x;
    }
  }
  const double centre = 0.5 * (first + last + 1) - area.x;
  return view_start + centre / area.width * (view_end - view_start);
}

}  // namespace

TEST_CASE("plot puts each frame at its true time: a click in silence", "[plot]") {
  // A click at a frame's centre lights that frame most (every window peaks
  // at its middle); its column must be drawn at the click's time, not half
  // a hop later, whatever the framing: Kaldi's snip-edges frame f is centred
  // at f * shift + length / 2, without snip-edges at f * shift + shift / 2,
  // a centred STFT frame (torch.stft, Whisper) at f * hop.
  struct Case {
    const char* name;
    FeatureOptions opts;
    int64_t click;  // the centre of frame 40
  };
  CommonFeatureOptions common;
  std::vector<Case> cases;
  cases.push_back({"fbank, snip-edges", common.For(FeatureType::kFbank), 40 * 160 + 200});
  common.frame.snip_edges = false;
  cases.push_back({"fbank, centred", common.For(FeatureType::kFbank), 40 * 160 + 80});
  FeatureOptions mel = DefaultFeatureOptions(FeatureType::kMelSpectrogram);
  mel.melspectrogram.hop_length = 160;
  cases.push_back({"melspectrogram, hop 160", mel, 40 * 160});
  mel.melspectrogram.n_fft = 512;
  mel.melspectrogram.win_length = 320;
  mel.melspectrogram.hop_length = 320;
  cases.push_back({"melspectrogram, 320 in 512, hop 320", mel, 40 * 320});
  for (const Case& c : cases) {
    INFO(c.name);
    const double rate = c.opts.frame_opts().samp_freq;
    std::vector<float> samples(2 * 16000, 0.0f);
    samples[static_cast<size_t>(c.click)] = 0.9f * FullScaleSample(c.opts.type);
    const double t = c.click / rate;
    PlotOptions plot;
    plot.start_s = t - 0.1;
    plot.duration_s = 0.2;
    FeaturePlot picture(c.opts, StageOptions(), plot, static_cast<int64_t>(samples.size()),
                        "'click'");
    picture.AcceptWaveform(samples.data(), static_cast<int64_t>(samples.size()));
    const std::string path = TempPng("click");
    picture.WritePng(path, "click");
    const Image image = LoadPng(path);
    std::remove(path.c_str());
    PlotBuilder layout(plot, samples.size() / rate);
    layout.SetWaveform(rate, FullScaleSample(c.opts.type));
    const PlotGrid grid = FeatureGrid(c.opts, MakeFeatureComputer(c.opts)->Dim());
    layout.SetFeatures(MakeFeatureComputer(c.opts)->Dim(), grid, "");
    const double found = BrightestTime(image, layout.PanelArea(1), plot.start_s,
                                       plot.start_s + plot.duration_s);
    INFO("click at " << t << " s, drawn at " << found << " s; frame step " << grid.time_step_s);
    // Within a tenth of a frame step (a pixel column is 0.15 ms); half a
    // step late was the old centred-STFT error.
    CHECK(std::fabs(found - t) < 0.1 * grid.time_step_s);
  }
}

TEST_CASE("plot runs the stages extract runs: the last panel is extract's output", "[plot]") {
  // FeaturePlot's panels against a picture of matrices computed offline:
  // the features after the stages before pooling, and the whole chain's
  // output (ApplyStages, what `featpool extract` writes).
  const double rate = 16000.0;
  std::vector<float> samples(3 * 16000);
  for (size_t i = 0; i < samples.size(); ++i) {
    const double t = i / rate;
    samples[i] = static_cast<float>(6000.0 * std::sin(2.0 * M_PI * (200.0 * t + 500.0 * t * t)) +
                                    300.0 * std::sin(0.37 * i));
  }
  const FeatureOptions fbank = CommonFeatureOptions().For(FeatureType::kFbank);
  const Matrix features =
      ComputeFeatures(fbank, rate, samples.data(), static_cast<int64_t>(samples.size()));
  struct Case {
    const char* name;
    StageOptions stages;
  };
  std::vector<Case> cases(3);
  cases[0].name = "cmvn, deltas, max pooling";
  cases[0].stages.cmvn.mode = CmvnMode::kUtterance;
  cases[0].stages.deltas.order = 1;
  cases[0].stages.pool = PoolOptions();
  cases[0].stages.pool->kernel = {2, 1};
  cases[1].name = "pool,cmvn (FunASR's order): stacking, then CMVN";
  cases[1].stages.pool = PoolOptions();
  cases[1].stages.pool->mode = PoolMode::kStack;
  cases[1].stages.cmvn.mode = CmvnMode::kUtterance;
  cases[1].stages.cmvn.norm_vars = true;
  cases[1].stages.stages = "pool,cmvn";
  cases[2].name = "no pooling: the features panel is the output";
  cases[2].stages.cmvn.mode = CmvnMode::kUtterance;
  for (const Case& c : cases) {
    INFO(c.name);
    PlotOptions plot;
    plot.width = 900;
    plot.title = "stages";
    FeaturePlot picture(fbank, c.stages, plot, static_cast<int64_t>(samples.size()), "'x'");
    for (size_t i = 0; i < samples.size(); i += 4000) {
      picture.AcceptWaveform(samples.data() + i, std::min<int64_t>(4000, samples.size() - i));
    }
    const std::string ours = TempPng("stages");
    picture.WritePng(ours, "x");

    StageOptions before, from;
    SplitStagesAtPool(c.stages, features.cols(), &before, &from);
    const Matrix shown =
        before.Any() ? ApplyStages(StageChain(before, features.cols()), features.View())
                     : features;
    const Matrix out = ApplyStages(StageChain(c.stages, features.cols()), features.View());
    PlotBuilder reference(plot, samples.size() / rate);
    reference.SetWaveform(rate, 32768.0);
    const PlotGrid grid = FeatureGrid(fbank, features.cols());
    PlotGrid shown_grid = grid;  // deltas make 46 columns: a plain dimension axis
    if (shown.cols() != features.cols()) {
      shown_grid.y_first = 0.0;
      shown_grid.y_step = 1.0;
    }
    reference.SetFeatures(shown.cols(), shown_grid, "");
    reference.AcceptSamples(samples.data(), static_cast<int64_t>(samples.size()));
    reference.AcceptFeatures(shown.View());
    if (c.stages.pool) {
      reference.SetPooled(out.cols(), PooledGrid(*c.stages.pool, grid, shown.rows(),
                                                 shown.cols(), out.rows(), out.cols()), "");
      reference.AcceptPooled(out.View());
    } else {
      CHECK(shown.cols() == out.cols());
      CHECK(std::memcmp(shown.data(), out.data(), sizeof(float) * shown.rows() * shown.cols()) ==
            0);
    }
    const std::string theirs = TempPng("stages-reference");
    reference.WritePng(theirs);
    const Image a = LoadPng(ours);
    const Image b = LoadPng(theirs);
    std::remove(ours.c_str());
    std::remove(theirs.c_str());
    REQUIRE(a.width == b.width);
    REQUIRE(a.height == b.height);
    for (int panel : {1, 2}) {
      const PlotRect r = reference.PanelArea(panel);
      if (r.width == 0) continue;
      int differ = 0;
      for (int y = r.y; y < r.y + r.height; ++y) {
        for (int x = r.x; x < r.x + r.width; ++x) differ += a.At(x, y) != b.At(x, y);
      }
      INFO("panel " << panel);
      CHECK(differ == 0);
    }
  }
}

TEST_CASE("plot options are checked and errors name them", "[plot]") {
  PlotOptions opts;
  opts.width = 100;
  CHECK_THROWS_WITH(opts.Validate(), Catch::Contains("width=100"));
  opts = PlotOptions();
  opts.duration_s = -1;
  CHECK_THROWS_WITH(opts.Validate(), Catch::Contains("duration"));
  opts = PlotOptions();
  opts.start_s = 10;
  CHECK_THROWS_WITH(PlotBuilder(opts, 5.0), Catch::Contains("start=10.000"));
  opts = PlotOptions();
  opts.height = 200;
  PlotBuilder b(opts, 5.0);
  b.SetWaveform(16000, 32768);
  b.SetFeatures(10, PlotGrid(), "");
  b.SetPooled(10, PlotGrid(), "");
  CHECK_THROWS_WITH(b.PanelArea(1), Catch::Contains("height=200"));
  CHECK_THROWS_WITH(b.AcceptFeatures({nullptr, 1, 3}), Catch::Contains("3 columns"));
  PlotBuilder empty(PlotOptions(), 5.0);
  empty.SetFeatures(4, PlotGrid(), "");
  CHECK_THROWS_WITH(empty.WritePng(TempPng("never")), Catch::Contains("nothing to draw"));
  const float row[4] = {1, 2, 3, 4};
  empty.AcceptFeatures({row, 1, 4});
  CHECK_THROWS_WITH(empty.WritePng("nonexistent-dir/x.png"),
                    Catch::Contains("nonexistent-dir/x.png"));
}
