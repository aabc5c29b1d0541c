#include "featpool/plot.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <vector>

#include "colormaps.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-registry.h"
#include "featpool/online-feature.h"
#include "featpool/output-file.h"

namespace featpool {
namespace {

// Layout in pixels. The plot area's width (the number of pixel columns
// everything is reduced to) depends on the width only.
constexpr int kMarginLeft = 88;
constexpr int kMarginRight = 150;
constexpr int kTitleHeight = 46;
constexpr int kPanelGap = 30;  // above each panel: its label
constexpr int kMarginBottom = 60;
constexpr int kWaveHeight = 150;
constexpr int kFeatureHeight = 380;
constexpr int kPooledHeight = 260;
constexpr int kMinPanelHeight = 40;
constexpr int kMaxSide = 20000;

constexpr float kEmpty = -std::numeric_limits<float>::infinity();

std::string FormatNumber(double v, int decimals) {
  if (std::fabs(v) < 0.5 * std::pow(10.0, -decimals)) v = 0.0;  // no "-0"
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

// A round tick step (1, 2 or 5 times a power of ten) giving about `count`
// ticks over `range`, and the decimals its labels need.
double NiceStep(double range, double count, int* decimals) {
  const double raw = range / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10.0 * power;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  }
  *decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  return step;
}

std::vector<uint32_t> DecodeHex(const char* hex) {
  std::vector<uint32_t> table(256);
  for (int i = 0; i < 256; ++i) {
    uint32_t rgb = 0;
    for (int k = 0; k < 6; ++k) {
      const char c = hex[6 * i + k];
      rgb = rgb << 4 | static_cast<uint32_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    table[i] = rgb;
  }
  return table;
}

const std::vector<uint32_t>& Table(Colormap cmap) {
  static const std::vector<uint32_t> viridis = DecodeHex(internal::kViridisHex);
  static const std::vector<uint32_t> magma = DecodeHex(internal::kMagmaHex);
  return cmap == Colormap::kMagma ? magma : viridis;
}

// One heat map reduced to pixel columns: the maximum of every dimension over
// the rows that fall in the column.
struct HeatColumns {
  bool set = false;
  int64_t dim = 0;
  PlotGrid grid;
  std::string label;
  int64_t rows_seen = 0;
  std::vector<float> max;      // [columns, dim], kEmpty where nothing fell
  std::vector<int32_t> count;  // rows per column
};

struct WaveColumns {
  bool set = false;
  double sample_rate = 0.0;
  double full_scale = 1.0;
  int64_t samples_seen = 0;
  std::vector<float> min, max;  // per column; min > max where empty
  int64_t last_column = std::numeric_limits<int64_t>::min();
  float last_value = 0.0f;
};

struct Range {
  double low = 0.0;
  double high = 0.0;
};

class Painter {
 public:
  explicit Painter(cairo_t* cr) : cr_(cr) {}

  void Font(double size, bool bold = false) {
    cairo_select_font_face(cr_, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
  }
  void Colour(double grey) { cairo_set_source_rgb(cr_, grey, grey, grey); }
  // `ax`: 0 left, 0.5 centred, 1 right of x; `ay` likewise, 0 = top at y.
  void Text(const std::string& text, double x, double y, double ax, double ay) {
    cairo_text_extents_t e;
    cairo_text_extents(cr_, text.c_str(), &e);
    cairo_font_extents_t f;
    cairo_font_extents(cr_, &f);
    const double height = f.ascent * 0.72;  // cap height of the sans fonts
    cairo_move_to(cr_, x - ax * e.x_advance, y + (1.0 - ay) * height);
    cairo_show_text(cr_, text.c_str());
  }
  void VerticalText(const std::string& text, double x, double y) {
    cairo_save(cr_);
    cairo_translate(cr_, x, y);
    cairo_rotate(cr_, -M_PI / 2);
    Text(text, 0, 0, 0.5, 0.5);
    cairo_restore(cr_);
  }
  void Line(double x0, double y0, double x1, double y1) {
    cairo_move_to(cr_, x0, y0);
    cairo_line_to(cr_, x1, y1);
  }
  void Stroke(double width) {
    cairo_set_line_width(cr_, width);
    cairo_stroke(cr_);
  }

  cairo_t* cr() { return cr_; }

 private:
  cairo_t* cr_;
};

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
// fontconfig (cairo's font lookup) keeps its configuration and font caches
// until FcFini(), which a library cannot call for its whole process: under
// LeakSanitizer they are reachable-at-exit allocations, not leaks of ours.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }
#endif

Colormap ParseColormap(const std::string& name) {
  if (name == "viridis") return Colormap::kViridis;
  if (name == "magma") return Colormap::kMagma;
  if (name == "gray" || name == "grey") return Colormap::kGray;
  throw OptionError("cmap", name, "expected viridis, magma or gray");
}

std::string ColormapName(Colormap cmap) {
  switch (cmap) {
    case Colormap::kMagma:
      return "magma";
    case Colormap::kGray:
      return "gray";
    default:
      return "viridis";
  }
}

uint32_t ColormapColor(Colormap cmap, int index) {
  index = std::clamp(index, 0, 255);
  if (cmap == Colormap::kGray) return static_cast<uint32_t>(index) * 0x010101u;
  return Table(cmap)[index];
}

void PlotOptions::Validate() const {
  if (width < 400 || width > kMaxSide) {
    throw OptionError("width", std::to_string(width), "expected 400 to 20000 pixels");
  }
  if (height != 0 && (height < 200 || height > kMaxSide)) {
    throw OptionError("height", std::to_string(height),
                      "expected 0 for automatic, or 200 to 20000 pixels");
  }
  if (!(start_s >= 0.0) || !std::isfinite(start_s)) {
    throw OptionError("start", FormatNumber(start_s, 3), "expected seconds, >= 0");
  }
  if (!(duration_s >= 0.0) || !std::isfinite(duration_s)) {
    throw OptionError("duration", FormatNumber(duration_s, 3),
                      "expected seconds, > 0, or 0 for to the end");
  }
}

PlotGrid FramerGrid(const Framer& framer, double sample_rate) {
  PlotGrid grid;
  const int64_t first = framer.FirstSampleOfFrame(0);
  grid.time_step_s = static_cast<double>(framer.FirstSampleOfFrame(1) - first) / sample_rate;
  grid.time_first_s = (static_cast<double>(first) + 0.5 * framer.FrameLength()) / sample_rate;
  return grid;
}

PlotGrid FrameGrid(const FrameExtractionOptions& frame_opts) {
  return FramerGrid(KaldiFramer(frame_opts), frame_opts.samp_freq);
}

PlotGrid FeatureGrid(const FeatureOptions& opts, int64_t dim, std::string* title) {
  PlotGrid grid = FramerGrid(*opts.MakeFramer(), opts.frame_opts().samp_freq);
  const FeatureColumns columns = FeatureTypeInfoOf(opts.type).columns(opts, dim);
  grid.y_label = columns.label;
  grid.y_first = columns.first;
  grid.y_step = columns.step;
  if (title != nullptr) *title = columns.title;
  return grid;
}

PlotGrid PooledGrid(const PoolOptions& opts, const PlotGrid& features, int64_t in_rows,
                    int64_t in_cols, int64_t out_rows, int64_t out_cols) {
  PlotGrid grid = features;
  // Spread `out` cells evenly over `in` cells of (first, step).
  auto spread = [](double first, double step, int64_t in, int64_t out, double* out_first,
                   double* out_step) {
    *out_step = out > 0 ? step * static_cast<double>(in) / static_cast<double>(out) : step;
    *out_first = first - 0.5 * step + 0.5 * *out_step;
  };
  switch (opts.mode) {
    case PoolMode::kMax:
    case PoolMode::kAvg:
    case PoolMode::kLp: {
      // ATen: window r starts at r * stride - padding and spans
      // dilation * (kernel - 1) + 1 inputs.
      const PoolSize s = opts.EffectiveStride();
      const PoolSize d = opts.mode == PoolMode::kMax ? opts.dilation : PoolSize{1, 1};
      grid.time_first_s =
          features.time_first_s +
          (0.5 * d.time * (opts.kernel.time - 1) - opts.padding.time) * features.time_step_s;
      grid.time_step_s = s.time * features.time_step_s;
      grid.y_first = features.y_first +
                     (0.5 * d.freq * (opts.kernel.freq - 1) - opts.padding.freq) * features.y_step;
      grid.y_step = s.freq * features.y_step;
      break;
    }
    case PoolMode::kStack:
      // FunASR apply_lfr: row i starts (m - 1) / 2 frames of front padding
      // before frame i * n, so it is centred on frame i * n.
      grid.time_step_s = opts.stack_stride * features.time_step_s;
      grid.y_first = 0.0;
      grid.y_step = 1.0;
      grid.y_label = "stacked dimension (" + std::to_string(opts.stack_frames) + " x " +
                     std::to_string(in_cols) + ")";
      break;
    case PoolMode::kStats:
      spread(features.time_first_s, features.time_step_s, in_rows, out_rows, &grid.time_first_s,
             &grid.time_step_s);
      grid.y_first = 0.0;
      grid.y_step = 1.0;
      grid.y_label = "mean | std dimension";
      break;
    default:  // adaptive
      spread(features.time_first_s, features.time_step_s, in_rows, out_rows, &grid.time_first_s,
             &grid.time_step_s);
      spread(features.y_first, features.y_step, in_cols, out_cols, &grid.y_first, &grid.y_step);
      break;
  }
  return grid;
}

struct PlotBuilder::Impl {
  PlotOptions opts;
  double view_start = 0.0;
  double view_end = 0.0;
  int64_t columns = 0;
  double column_s = 0.0;  // seconds per pixel column
  WaveColumns wave;
  HeatColumns features;
  HeatColumns pooled;

  void SetHeat(HeatColumns* heat, int64_t dim, const PlotGrid& grid, const std::string& label,
               const char* what) {
    if (heat->set) throw Error(std::string("plot: the ") + what + " panel is already set");
    if (dim <= 0) throw Error(std::string("plot: the ") + what + " have no columns");
    if (!(grid.time_step_s > 0.0) || !(std::fabs(grid.y_step) > 0.0)) {
      throw Error(std::string("plot: the ") + what + " grid has a zero step");
    }
    heat->set = true;
    heat->dim = dim;
    heat->grid = grid;
    heat->label = label;
    heat->max.assign(static_cast<size_t>(columns * dim), kEmpty);
    heat->count.assign(static_cast<size_t>(columns), 0);
  }

  void Accept(HeatColumns* heat, MatrixView rows, const char* what) {
    if (!heat->set) throw Error(std::string("plot: the ") + what + " panel is not set");
    if (rows.rows == 0) return;
    if (rows.cols != heat->dim) {
      throw Error(std::string("plot: ") + what + " rows have " + std::to_string(rows.cols) +
                  " columns, not " + std::to_string(heat->dim));
    }
    const double inv = 1.0 / column_s;
    const double step = heat->grid.time_step_s;
    for (int64_t r = 0; r < rows.rows; ++r) {
      const double centre = heat->grid.time_first_s + (heat->rows_seen + r) * step;
      const double a = (centre - 0.5 * step - view_start) * inv;
      const double b = (centre + 0.5 * step - view_start) * inv;
      const double m = (centre - view_start) * inv;
      // Columns whose centre lies in the row's cell, and the column of the
      // row's centre (a row narrower than a column).
      const double mid = std::floor(m);
      double lo = std::min(std::ceil(a - 0.5), mid);
      double hi = std::max(std::ceil(b - 0.5), mid + 1.0);
      lo = std::max(lo, 0.0);
      hi = std::min(hi, static_cast<double>(columns));
      const float* row = rows.Row(r);
      for (int64_t c = static_cast<int64_t>(lo); c < static_cast<int64_t>(hi); ++c) {
        float* out = heat->max.data() + c * heat->dim;
        for (int64_t d = 0; d < heat->dim; ++d) {
          if (row[d] > out[d]) out[d] = row[d];
        }
        ++heat->count[c];
      }
    }
    heat->rows_seen += rows.rows;
  }

  bool HeatComplete(const HeatColumns& heat) const {
    if (!heat.set) return true;
    const double last_start =
        heat.grid.time_first_s + (heat.rows_seen - 0.5) * heat.grid.time_step_s;
    return heat.rows_seen > 0 && last_start >= view_end;
  }

  struct Layout {
    int height = 0;
    PlotRect panel[3];  // waveform, features, pooled; empty if not shown
    int last = 0;       // the bottom panel, which carries the time labels
  };
  // Throws Error if --height leaves the panels too little room.
  Layout MakeLayout() const;
  void Draw(cairo_t* cr, const Layout& layout) const;
  void DrawHeat(Painter& p, const HeatColumns& heat, int x0, int y0, int h, bool last) const;
  void DrawWave(Painter& p, int x0, int y0, int h) const;
  void DrawTimeAxis(Painter& p, int x0, int y0, int h, bool labels) const;
};

PlotBuilder::PlotBuilder(const PlotOptions& opts, double total_s) : impl_(new Impl) {
  opts.Validate();
  if (!(total_s > 0.0) || !std::isfinite(total_s)) {
    throw Error("plot: nothing to plot (length " + FormatNumber(total_s, 3) + " s)");
  }
  if (opts.start_s >= total_s) {
    throw OptionError("start", FormatNumber(opts.start_s, 3),
                      "the input is " + FormatNumber(total_s, 3) + " s long");
  }
  Impl& m = *impl_;
  m.opts = opts;
  m.view_start = opts.start_s;
  m.view_end = opts.duration_s > 0.0 ? std::min(total_s, opts.start_s + opts.duration_s) : total_s;
  m.columns = opts.width - kMarginLeft - kMarginRight;
  m.column_s = (m.view_end - m.view_start) / static_cast<double>(m.columns);
}

PlotBuilder::~PlotBuilder() = default;

double PlotBuilder::ViewStart() const { return impl_->view_start; }
double PlotBuilder::ViewEnd() const { return impl_->view_end; }
void PlotBuilder::SetTitle(const std::string& title) { impl_->opts.title = title; }
void PlotBuilder::SetLabels(const std::string& features, const std::string& pooled) {
  impl_->features.label = features;
  impl_->pooled.label = pooled;
}

void PlotBuilder::SetWaveform(double sample_rate, double full_scale) {
  WaveColumns& w = impl_->wave;
  if (w.set) throw Error("plot: the waveform panel is already set");
  if (!(sample_rate > 0.0) || !(full_scale > 0.0)) {
    throw Error("plot: the waveform needs a positive sample rate and full scale");
  }
  w.set = true;
  w.sample_rate = sample_rate;
  w.full_scale = full_scale;
  w.min.assign(static_cast<size_t>(impl_->columns), std::numeric_limits<float>::infinity());
  w.max.assign(static_cast<size_t>(impl_->columns), -std::numeric_limits<float>::infinity());
}

void PlotBuilder::SetFeatures(int64_t dim, const PlotGrid& grid, const std::string& label) {
  impl_->SetHeat(&impl_->features, dim, grid, label, "features");
}

void PlotBuilder::SetPooled(int64_t dim, const PlotGrid& grid, const std::string& label) {
  impl_->SetHeat(&impl_->pooled, dim, grid, label, "pooled features");
}

void PlotBuilder::AcceptSamples(const float* samples, int64_t count) {
  Impl& m = *impl_;
  WaveColumns& w = m.wave;
  if (!w.set) throw Error("plot: the waveform panel is not set");
  // Column of sample i: floor((i / rate - start) / column_s).
  const double per_sample = 1.0 / (w.sample_rate * m.column_s);
  const double origin = m.view_start * w.sample_rate;
  for (int64_t i = 0; i < count; ++i) {
    const float v = samples[i];
    const int64_t c = static_cast<int64_t>(
        std::floor((static_cast<double>(w.samples_seen + i) - origin) * per_sample));
    if (c >= 0 && c < m.columns) {
      w.min[c] = std::min(w.min[c], v);
      w.max[c] = std::max(w.max[c], v);
    }
    // Samples sparser than columns: bridge the columns between two samples so
    // the trace stays continuous.
    if (c != w.last_column && w.last_column != std::numeric_limits<int64_t>::min()) {
      const int64_t from = std::max<int64_t>(w.last_column + 1, 0);
      const int64_t to = std::min<int64_t>(c, m.columns - 1);
      for (int64_t k = from; k <= to; ++k) {
        w.min[k] = std::min(w.min[k], w.last_value);
        w.max[k] = std::max(w.max[k], w.last_value);
      }
    }
    w.last_column = c;
    w.last_value = v;
  }
  w.samples_seen += count;
}

void PlotBuilder::AcceptFeatures(MatrixView rows) {
  impl_->Accept(&impl_->features, rows, "features");
}

void PlotBuilder::AcceptPooled(MatrixView rows) {
  impl_->Accept(&impl_->pooled, rows, "pooled features");
}

bool PlotBuilder::ViewComplete() const {
  const Impl& m = *impl_;
  if (m.wave.set && static_cast<double>(m.wave.samples_seen) < m.view_end * m.wave.sample_rate) {
    return false;
  }
  return m.HeatComplete(m.features) && m.HeatComplete(m.pooled);
}

void PlotBuilder::Impl::DrawTimeAxis(Painter& p, int x0, int y0, int h, bool labels) const {
  int decimals = 0;
  const double span = view_end - view_start;
  const double step = NiceStep(span, columns / 130.0, &decimals);
  p.Colour(0.15);
  p.Font(13);
  for (double t = std::ceil(view_start / step - 1e-9) * step; t <= view_end + 1e-9 * span;
       t += step) {
    const double x = x0 + (t - view_start) / column_s;
    p.Line(std::round(x) + 0.5, y0 + h, std::round(x) + 0.5, y0 + h + 5);
    if (labels) p.Text(FormatNumber(t, decimals), x, y0 + h + 9, 0.5, 0.0);
  }
  p.Stroke(1.0);
  if (labels) {
    p.Font(15);
    p.Text("time (s)", x0 + columns / 2.0, y0 + h + 32, 0.5, 0.0);
  }
}

void PlotBuilder::Impl::DrawWave(Painter& p, int x0, int y0, int h) const {
  float peak = 0.0f;
  for (int64_t c = 0; c < columns; ++c) {
    if (wave.min[c] <= wave.max[c]) {
      peak = std::max({peak, std::fabs(wave.min[c]), std::fabs(wave.max[c])});
    }
  }
  const double scale = peak > 0.0f ? peak / wave.full_scale : 1.0;
  const double range = scale * 1.08;  // amplitude at the panel's top edge
  const double mid = y0 + h / 2.0;
  const double px_per_unit = (h / 2.0) / (range * wave.full_scale);
  cairo_t* cr = p.cr();
  cairo_set_source_rgb(cr, 0.12, 0.32, 0.55);
  for (int64_t c = 0; c < columns; ++c) {
    if (wave.min[c] > wave.max[c]) continue;
    double top = mid - wave.max[c] * px_per_unit;
    double bottom = mid - wave.min[c] * px_per_unit;
    if (bottom - top < 1.0) {
      top -= 0.5;
      bottom += 0.5;
    }
    p.Line(x0 + c + 0.5, top, x0 + c + 0.5, bottom);
  }
  p.Stroke(1.0);
  // Amplitude ticks (1 = full scale).
  int decimals = 0;
  const double step = NiceStep(2 * range, 4.0, &decimals);
  p.Colour(0.15);
  p.Font(13);
  for (double v = std::ceil(-range / step) * step; v <= range + 1e-12; v += step) {
    const double y = std::round(mid - v * wave.full_scale * px_per_unit) + 0.5;
    p.Line(x0 - 5, y, x0, y);
    p.Text(FormatNumber(v, decimals), x0 - 8, y, 1.0, 0.5);
  }
  p.Stroke(1.0);
  p.Font(15);
  p.VerticalText("amplitude", 22, y0 + h / 2.0);
  p.Text("waveform (1 = full scale; min/max per pixel column)", x0, y0 - 10, 0.0, 1.0);
}

void PlotBuilder::Impl::DrawHeat(Painter& p, const HeatColumns& heat, int x0, int y0, int h,
                                 bool last) const {
  const int64_t dim = heat.dim;
  double low = std::numeric_limits<double>::infinity();
  double high = -low;
  int32_t most = 0;
  for (int64_t c = 0; c < columns; ++c) {
    most = std::max(most, heat.count[c]);
    const float* col = heat.max.data() + c * dim;
    for (int64_t d = 0; d < dim; ++d) {
      if (std::isfinite(col[d])) {
        low = std::min(low, static_cast<double>(col[d]));
        high = std::max(high, static_cast<double>(col[d]));
      }
    }
  }
  if (!(low <= high)) {
    low = 0.0;
    high = 1.0;
  }
  if (high - low < 1e-6 * std::max(1.0, std::fabs(high))) {
    low -= 0.5;
    high += 0.5;
  }

  // Pixel row (from the bottom) b shows dimension floor((b + 0.5) * dim / h)
  // when dimensions are taller than pixels, else the max of the dimensions
  // it covers.
  std::vector<int64_t> first(h), end(h);
  for (int b = 0; b < h; ++b) {
    if (dim <= h) {
      first[b] = static_cast<int64_t>((b + 0.5) * dim / h);
      end[b] = first[b] + 1;
    } else {
      first[b] = b * dim / h;
      end[b] = std::max(first[b] + 1, (b + 1) * dim / h);
    }
  }
  cairo_surface_t* image =
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(columns), h);
  cairo_surface_flush(image);
  unsigned char* pixels = cairo_image_surface_get_data(image);
  const int stride = cairo_image_surface_get_stride(image);
  const double scale = 255.0 / (high - low);
  for (int y = 0; y < h; ++y) {
    const int b = h - 1 - y;  // low dimensions at the bottom
    auto* out = reinterpret_cast<uint32_t*>(pixels + static_cast<ptrdiff_t>(y) * stride);
    for (int64_t c = 0; c < columns; ++c) {
      const float* col = heat.max.data() + c * dim;
      float v = kEmpty;
      for (int64_t d = first[b]; d < end[b]; ++d) v = std::max(v, col[d]);
      if (v == kEmpty || std::isnan(v)) {
        out[c] = 0xebebebu;  // no data
        continue;
      }
      const int index = static_cast<int>(std::lround(std::clamp((v - low) * scale, 0.0, 255.0)));
      out[c] = ColormapColor(opts.cmap, index);
    }
  }
  cairo_surface_mark_dirty(image);
  cairo_t* cr = p.cr();
  cairo_set_source_surface(cr, image, x0, y0);
  cairo_paint(cr);
  cairo_surface_destroy(image);

  // y ticks at round values of the grid's unit.
  const double y_low = heat.grid.y_first - 0.5 * heat.grid.y_step;
  const double y_high = heat.grid.y_first + (dim - 0.5) * heat.grid.y_step;
  const double y_span = y_high - y_low;
  int decimals = 0;
  const double step = NiceStep(std::fabs(y_span), std::max(2.0, h / 55.0), &decimals);
  p.Colour(0.15);
  p.Font(13);
  const double v0 = std::ceil(std::min(y_low, y_high) / step - 1e-9) * step;
  for (double v = v0; v <= std::max(y_low, y_high) + 1e-9 * std::fabs(y_span); v += step) {
    const double y = std::round(y0 + h - (v - y_low) / y_span * h) + 0.5;
    p.Line(x0 - 5, y, x0, y);
    p.Text(FormatNumber(v, decimals), x0 - 8, y, 1.0, 0.5);
  }
  p.Stroke(1.0);
  p.Font(15);
  p.VerticalText(heat.grid.y_label, 22, y0 + h / 2.0);
  std::string label = heat.label;
  if (most > 1) label += " (max of up to " + std::to_string(most) + " rows per pixel column)";
  p.Text(label, x0, y0 - 10, 0.0, 1.0);

  // Colour bar with its values.
  const int bar_x = x0 + static_cast<int>(columns) + 18;
  const int bar_w = 16;
  for (int y = 0; y < h; ++y) {
    const int index = static_cast<int>(std::lround(255.0 * (h - 1 - y) / std::max(1, h - 1)));
    const uint32_t rgb = ColormapColor(opts.cmap, index);
    cairo_set_source_rgb(cr, (rgb >> 16) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                         (rgb & 0xff) / 255.0);
    cairo_rectangle(cr, bar_x, y0 + y, bar_w, 1);
    cairo_fill(cr);
  }
  p.Colour(0.3);
  cairo_rectangle(cr, bar_x + 0.5, y0 + 0.5, bar_w - 1, h - 1);
  p.Stroke(1.0);
  const double bar_step = NiceStep(high - low, std::max(2.0, h / 60.0), &decimals);
  p.Colour(0.15);
  p.Font(13);
  for (double v = std::ceil(low / bar_step - 1e-9) * bar_step; v <= high + 1e-9 * (high - low);
       v += bar_step) {
    const double y = std::round(y0 + h - (v - low) / (high - low) * h) + 0.5;
    p.Line(bar_x + bar_w, y, bar_x + bar_w + 5, y);
    p.Text(FormatNumber(v, decimals), bar_x + bar_w + 8, y, 0.0, 0.5);
  }
  p.Stroke(1.0);
  DrawTimeAxis(p, x0, y0, h, last);
}

PlotBuilder::Impl::Layout PlotBuilder::Impl::MakeLayout() const {
  Layout layout;
  const bool shown[3] = {wave.set, features.set, pooled.set};
  const int natural_heights[3] = {kWaveHeight, kFeatureHeight, kPooledHeight};
  int panels = 0;
  int natural = 0;
  for (int i = 0; i < 3; ++i) {
    if (!shown[i]) continue;
    ++panels;
    natural += natural_heights[i];
  }
  const int fixed = kTitleHeight + kMarginBottom + kPanelGap * panels;
  layout.height = opts.height > 0 ? opts.height : natural + fixed;
  if (layout.height - fixed < kMinPanelHeight * panels) {
    const int least = fixed + kMinPanelHeight * panels;
    throw OptionError(
        "height", std::to_string(layout.height),
        std::to_string(panels) + " panels need at least " + std::to_string(least) + " pixels");
  }
  const double scale = natural > 0 ? static_cast<double>(layout.height - fixed) / natural : 1.0;
  int y = kTitleHeight;
  for (int i = 0; i < 3; ++i) {
    if (!shown[i]) continue;
    y += kPanelGap;
    const int h = static_cast<int>(natural_heights[i] * scale);
    layout.panel[i] = {kMarginLeft, y, static_cast<int>(columns), h};
    layout.last = i;
    y += h;
  }
  return layout;
}

void PlotBuilder::Impl::Draw(cairo_t* cr, const Layout& layout) const {
  Painter p(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);

  p.Colour(0.0);
  p.Font(18, true);
  p.Text(opts.title, kMarginLeft, 16, 0.0, 0.0);

  const int x0 = kMarginLeft;
  auto frame = [&](const PlotRect& r) {
    p.Colour(0.3);
    cairo_rectangle(cr, r.x - 0.5, r.y - 0.5, r.width + 1.0, r.height + 1.0);
    p.Stroke(1.0);
  };
  if (wave.set) {
    const PlotRect& r = layout.panel[0];
    cairo_set_source_rgb(cr, 0.97, 0.97, 0.97);
    cairo_rectangle(cr, r.x, r.y, r.width, r.height);
    cairo_fill(cr);
    p.Colour(0.8);
    p.Line(r.x, r.y + r.height / 2 + 0.5, r.x + r.width, r.y + r.height / 2 + 0.5);
    p.Stroke(1.0);
    DrawWave(p, x0, r.y, r.height);
    frame(r);
    DrawTimeAxis(p, x0, r.y, r.height, layout.last == 0);
  }
  const HeatColumns* heats[3] = {nullptr, &features, &pooled};
  for (int i = 1; i < 3; ++i) {
    if (!heats[i]->set) continue;
    const PlotRect& r = layout.panel[i];
    DrawHeat(p, *heats[i], x0, r.y, r.height, layout.last == i);
    frame(r);
  }
}

PlotRect PlotBuilder::PanelArea(int panel) const {
  if (panel < 0 || panel > 2) throw Error("plot: panel " + std::to_string(panel) + " (0 to 2)");
  return impl_->MakeLayout().panel[panel];
}

void PlotBuilder::WritePng(const std::string& path) const {
  const Impl& m = *impl_;
  const bool has_data = (m.wave.set && m.wave.samples_seen > 0) ||
                        (m.features.set && m.features.rows_seen > 0) ||
                        (m.pooled.set && m.pooled.rows_seen > 0);
  if (!has_data) throw Error("plot: nothing to draw for '" + path + "'");
  const Impl::Layout layout = m.MakeLayout();
  const int height = layout.height;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, m.opts.width, height);
  cairo_t* cr = cairo_create(surface);
  m.Draw(cr, layout);
  cairo_status_t status = cairo_status(cr);
  cairo_destroy(cr);
  if (status == CAIRO_STATUS_SUCCESS) {
    try {
      AtomicOutputFile out(path);
      status = cairo_surface_write_to_png_stream(
          surface,
          [](void* closure, const unsigned char* data, unsigned int length) {
            static_cast<AtomicOutputFile*>(closure)->Write(data, length);
            return CAIRO_STATUS_SUCCESS;
          },
          &out);
      if (status == CAIRO_STATUS_SUCCESS) out.Commit();
    } catch (...) {
      cairo_surface_destroy(surface);
      throw;
    }
  }
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS) {
    throw Error("cannot write '" + path + "': " + cairo_status_to_string(status));
  }
}

void WritePlotPng(const std::string& path, const PlotInput& in, const PlotOptions& opts) {
  double total = 0.0;
  if (in.samples != nullptr) total = std::max(total, in.num_samples / in.sample_rate);
  auto end_of = [](MatrixView m, const PlotGrid& g) {
    return g.time_first_s + (m.rows - 0.5) * g.time_step_s;
  };
  if (in.features.rows > 0) total = std::max(total, end_of(in.features, in.features_grid));
  if (in.pooled.rows > 0) total = std::max(total, end_of(in.pooled, in.pooled_grid));
  PlotBuilder builder(opts, total);
  if (in.samples != nullptr) {
    builder.SetWaveform(in.sample_rate, in.full_scale);
    builder.AcceptSamples(in.samples, in.num_samples);
  }
  if (in.features.rows > 0) {
    builder.SetFeatures(in.features.cols, in.features_grid, in.features_label);
    builder.AcceptFeatures(in.features);
  }
  if (in.pooled.rows > 0) {
    builder.SetPooled(in.pooled.cols, in.pooled_grid, in.pooled_label);
    builder.AcceptPooled(in.pooled);
  }
  builder.WritePng(path);
}

namespace {

std::string Shape(int64_t rows, int64_t cols) {
  return std::to_string(rows) + " \u00d7 " + std::to_string(cols);
}

std::string SizeText(const PoolSize& s) {
  return s.time == s.freq ? std::to_string(s.time)
                          : std::to_string(s.time) + "\u00d7" + std::to_string(s.freq);
}

std::string JoinNames(const std::vector<std::string>& names, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) out += (out.empty() ? "" : ",") + names[i];
  return out;
}

// Stage `name` of `o` back to off (its options' defaults).
void TurnOff(StageOptions* o, const std::string& name) {
  if (name == "normalize") o->normalize = NormalizeOptions();
  if (name == "cmvn") o->cmvn = CmvnOptions();
  if (name == "deltas") o->deltas = DeltaOptions();
  if (name == "splice") o->splice = SpliceOptions();
  if (name == "pool") o->pool.reset();
}

}  // namespace

void SplitStagesAtPool(const StageOptions& stages, int64_t dim, StageOptions* before,
                       StageOptions* from) {
  const StageChain chain(stages, dim);  // validates
  const std::vector<std::string>& order = chain.Order();
  const size_t at = static_cast<size_t>(std::find(order.begin(), order.end(), "pool") -
                                        order.begin());
  *before = stages;
  *from = StageOptions();
  if (at == order.size()) return;
  *from = stages;
  for (size_t i = 0; i < order.size(); ++i) TurnOff(i < at ? from : before, order[i]);
  before->stages = JoinNames(order, 0, at);
  from->stages = JoinNames(order, at, order.size());
}

std::string PoolDescription(const PoolOptions& o) {
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

struct FeaturePlot::Impl {
  Impl(const FeatureOptions& features, const PlotOptions& plot_opts, int64_t total,
       const std::string& input)
      : opts(features),
        plot(plot_opts),
        total_samples(total),
        source(input),
        rate(features.frame_opts().samp_freq),
        builder(plot_opts, static_cast<double>(total) / features.frame_opts().samp_freq),
        extractor(features) {}

  // Stage and pooling errors about the input.
  template <class Body>
  void AboutSource(Body body) {
    try {
      body();
    } catch (const OptionError& e) {
      throw e.WithContext(source);
    } catch (const Error& e) {
      throw Error(source + ": " + e.what());
    }
  }

  void FeedPooled() {
    if (!pooled_set) return;  // statistics and adaptive rows come at the end
    const MatrixView rows = from->ReadyRows();
    builder.AcceptPooled(rows);
    pooled_rows += rows.rows;
    from->ReleaseRowsBefore(from->NumRowsReady());
  }

  void Feed(MatrixView rows) {
    builder.AcceptFeatures(rows);
    feature_rows += rows.rows;
    if (from) {
      from->AcceptFrames(rows);
      FeedPooled();
    }
  }

  void Drain() {
    const MatrixView ready = extractor.ReadyFrames();
    frames += ready.rows;
    if (before) {
      before->AcceptFrames(ready);
      Feed(before->ReadyRows());
      before->ReleaseRowsBefore(before->NumRowsReady());
    } else {
      Feed(ready);
    }
    extractor.ReleaseFramesBefore(extractor.NumFramesReady());
  }

  FeatureOptions opts;
  PlotOptions plot;
  int64_t total_samples;
  std::string source;
  float rate;
  PlotBuilder builder;
  OnlineExtractor extractor;
  std::unique_ptr<OnlineStageChain> before;  // the stages before pooling
  std::unique_ptr<OnlineStageChain> from;    // pooling and after
  std::optional<PoolOptions> pool;
  PlotGrid grid;
  int64_t dim = 0;        // the features'
  int64_t panel_dim = 0;  // after `before`
  std::string feature_title;
  std::string features_label;
  std::string pooled_label;
  bool pooled_set = false;
  bool may_stop = true;
  bool stopped = false;
  int64_t samples = 0;
  int64_t frames = 0;
  int64_t feature_rows = 0;
  int64_t pooled_rows = 0;
};

FeaturePlot::FeaturePlot(const FeatureOptions& features, const StageOptions& stages,
                         const PlotOptions& plot, int64_t total_samples, const std::string& source)
    : impl_(std::make_unique<Impl>(features, plot, total_samples, source)) {
  Impl& m = *impl_;
  m.builder.SetWaveform(m.rate, FullScaleSample(features.type));  // the type's sample scale
  m.dim = m.extractor.Dim();
  StageOptions before;
  StageOptions from;
  m.AboutSource([&] {
    SplitStagesAtPool(stages, m.dim, &before, &from);
    if (before.Any()) m.before = std::make_unique<OnlineStageChain>(before, m.dim, false);
    m.panel_dim = m.before ? m.before->Dim() : m.dim;
    if (from.Any()) m.from = std::make_unique<OnlineStageChain>(from, m.panel_dim, false);
  });
  m.grid = FeatureGrid(features, m.dim, &m.feature_title);
  m.features_label = m.feature_title;
  if (m.before) {
    std::string names;
    for (const std::string& n : m.before->chain().Order()) names += (names.empty() ? "" : ", ") + n;
    m.features_label += ", then " + names;
    if (m.panel_dim != m.dim) {
      m.grid.y_first = 0.0;
      m.grid.y_step = 1.0;
      m.grid.y_label = "dimension";
    }
    m.may_stop = !m.before->CannotStream();
  }
  m.builder.SetFeatures(m.panel_dim, m.grid, m.features_label);
  if (m.from) {
    m.pool = from.pool;
    m.pooled_label = PoolDescription(*m.pool);
    const std::vector<std::string>& order = m.from->chain().Order();
    for (size_t i = 1; i < order.size(); ++i) m.pooled_label += (i == 1 ? ", then " : ", ") + order[i];
    const PoolMode mode = m.pool->mode;
    if (mode != PoolMode::kStats && mode != PoolMode::kAdaptiveMax &&
        mode != PoolMode::kAdaptiveAvg) {
      m.builder.SetPooled(m.from->Dim(),
                          PooledGrid(*m.pool, m.grid, 0, m.panel_dim, 0, m.from->Dim()), "");
      m.pooled_set = true;
    }
    m.may_stop = m.may_stop && m.pooled_set && !m.from->CannotStream();
  }
}

FeaturePlot::~FeaturePlot() = default;

void FeaturePlot::AcceptWaveform(const float* samples, int64_t count) {
  Impl& m = *impl_;
  m.builder.AcceptSamples(samples, count);
  m.extractor.AcceptWaveform(m.rate, samples, count);
  m.samples += count;
  m.AboutSource([&] { m.Drain(); });
}

bool FeaturePlot::ViewComplete() const { return impl_->may_stop && impl_->builder.ViewComplete(); }

void FeaturePlot::WritePng(const std::string& path, const std::string& name) {
  Impl& m = *impl_;
  m.stopped = ViewComplete();
  m.AboutSource([&] {
    if (!m.stopped) {
      m.extractor.InputFinished();
      m.Drain();
      if (m.before) {
        m.before->InputFinished();
        m.Feed(m.before->ReadyRows());
        m.before->ReleaseRowsBefore(m.before->NumRowsReady());
      }
      if (m.from) {
        m.from->InputFinished();
        m.FeedPooled();
      }
    }
  });
  if (m.frames == 0) {
    throw Error(ShortInputMessage(m.source, std::max(m.samples, m.total_samples),
                                  m.opts.frame_opts()));
  }
  std::string title = name + ": " + m.feature_title;
  if (m.plot.start_s > 0.0 || m.plot.duration_s > 0.0) {
    char view[64];
    std::snprintf(view, sizeof view, " (%g to %g s)", m.builder.ViewStart(), m.builder.ViewEnd());
    title += view;
  }
  if (!m.stopped) title += ", " + Shape(m.feature_rows, m.panel_dim);
  std::string pooled_label;
  if (m.from) {
    if (!m.pooled_set) {
      const Matrix rows = m.from->TakeRows();
      m.builder.SetPooled(rows.cols(), PooledGrid(*m.pool, m.grid, m.feature_rows, m.panel_dim,
                                                  rows.rows(), rows.cols()),
                          "");
      m.builder.AcceptPooled(rows.View());
      m.pooled_rows += rows.rows();
    }
    if (m.pooled_rows == 0) {
      throw Error(m.source + ": " + Shape(m.feature_rows, m.panel_dim) +
                  " frames give no pooled rows");
    }
    pooled_label = m.pooled_label;
    if (!m.stopped) {
      pooled_label += ": " + Shape(m.pooled_rows, m.from->Dim());
      title += " \u2192 " + Shape(m.pooled_rows, m.from->Dim());
    }
  }
  if (m.plot.title.empty()) m.builder.SetTitle(title);
  m.builder.SetLabels(m.features_label + (m.stopped ? "" : ": " + Shape(m.feature_rows, m.panel_dim)),
                      pooled_label);
  m.builder.WritePng(path);
}

}  // namespace featpool
