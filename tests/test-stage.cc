// The stage chain (stage.h) and its stages (cmvn.h, deltas.h, splice.h,
// normalize.h): each against a literal transcription of its reference
// (Kaldi feat/feature-functions.cc and transform/cmvn.cc at f400766, NeMo
// features.py, whisper/audio.py), written here independently of lib/src
// and over the whole matrix at once; streaming equals offline bit for bit
// for chunk sizes 1, a prime, 160 and the whole input; latency is the
// frame count at which each row appears.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

#include "featpool/error.h"
#include "featpool/online-pooler.h"
#include "featpool/pooler.h"
#include "featpool/stage.h"

using namespace featpool;

namespace {

Matrix Random(int64_t rows, int64_t cols, uint32_t seed, float offset = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, 3.0f);
  Matrix m(rows, cols);
  for (int64_t i = 0; i < rows * cols; ++i) m.data()[i] = n(rng) + offset;
  return m;
}

bool BitEqual(const Matrix& a, const Matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(),
                     sizeof(float) * static_cast<size_t>(a.rows() * a.cols())) == 0;
}

// Streams `in` in chunks of `chunk` rows (0: random sizes), releasing rows
// as they are taken.
Matrix Stream(const StageOptions& opts, const Matrix& in, int64_t chunk, bool streaming = true) {
  OnlineStageChain chain(opts, in.cols(), streaming);
  Matrix out(0, chain.Dim());
  std::mt19937 rng(7);
  auto take = [&] {
    const MatrixView ready = chain.ReadyRows();
    for (int64_t r = 0; r < ready.rows; ++r) {
      std::memcpy(out.AppendRow(), ready.Row(r), sizeof(float) * static_cast<size_t>(ready.cols));
    }
    chain.ReleaseRowsBefore(chain.NumRowsReady());
  };
  for (int64_t at = 0; at < in.rows();) {
    int64_t n = chunk > 0 ? chunk : std::uniform_int_distribution<int64_t>(1, 50)(rng);
    n = std::min(n, in.rows() - at);
    chain.AcceptFrames({in.Row(at), n, in.cols()});
    at += n;
    take();
  }
  chain.InputFinished();
  take();
  return out;
}

Matrix Offline(const StageOptions& opts, const Matrix& in) {
  return ApplyStages(StageChain(opts, in.cols()), in.View());
}

// ---- transcriptions ----

// Kaldi SlidingWindowCmnInternal() l.250-347, over the whole matrix.
Matrix KaldiSlidingCmn(const Matrix& in, int cmn_window, int min_window, bool center,
                       bool norm_vars) {
  const int T = static_cast<int>(in.rows());
  const int D = static_cast<int>(in.cols());
  Matrix out(T, D);
  std::vector<double> sum(D, 0.0), sumsq(D, 0.0);
  int last_start = -1, last_end = -1;
  for (int t = 0; t < T; ++t) {
    int ws, we;
    if (center) {
      ws = t - cmn_window / 2;
      we = ws + cmn_window;
    } else {
      ws = t - cmn_window;
      we = t + 1;
    }
    if (ws < 0) {
      we -= ws;
      ws = 0;
    }
    if (!center && we > t) we = std::max(t + 1, min_window);
    if (we > T) {
      ws -= we - T;
      we = T;
      if (ws < 0) ws = 0;
    }
    if (last_start == -1) {
      for (int f = ws; f < we; ++f) {
        for (int d = 0; d < D; ++d) {
          const double x = in(f, d);
          sum[d] += x;
          sumsq[d] += x * x;
        }
      }
    } else {
      if (ws > last_start) {
        for (int d = 0; d < D; ++d) {
          const double x = in(last_start, d);
          sum[d] += -1.0 * x;
          sumsq[d] += -1.0 * x * x;
        }
      }
      if (we > last_end) {
        for (int d = 0; d < D; ++d) {
          const double x = in(last_end, d);
          sum[d] += x;
          sumsq[d] += x * x;
        }
      }
    }
    last_start = ws;
    last_end = we;
    const int n = we - ws;
    for (int d = 0; d < D; ++d) {
      double o = static_cast<double>(in(t, d)) + (-1.0 / n) * sum[d];
      if (norm_vars) {
        if (n == 1) {
          o = 0.0;
        } else {
          double var = sumsq[d] * (1.0 / n);
          var += (-1.0 / (n * n)) * sum[d] * sum[d];
          if (var < 1e-10) var = 1e-10;
          o *= std::pow(var, -0.5);
        }
      }
      out(t, d) = static_cast<float>(o);
    }
  }
  return out;
}

// Kaldi AccCmvnStats() + ApplyCmvn() (transform/cmvn.cc l.29-115).
std::vector<double> KaldiStats(const Matrix& in) {
  const int64_t D = in.cols();
  std::vector<double> s(2 * (D + 1), 0.0);
  for (int64_t t = 0; t < in.rows(); ++t) {
    s[D] += 1.0f;
    for (int64_t d = 0; d < D; ++d) {
      const float x = in(t, d);
      s[d] += x * 1.0f;
      s[D + 1 + d] += x * x * 1.0f;
    }
  }
  return s;
}

Matrix KaldiApplyCmvn(const std::vector<double>& s, const Matrix& in, bool norm_vars) {
  const int64_t D = in.cols();
  const double count = s[D];
  Matrix out = in;
  if (!norm_vars) {
    std::vector<float> offset(D, 0.0f);
    const float alpha = static_cast<float>(-1.0 / count);
    for (int64_t d = 0; d < D; ++d) offset[d] += alpha * s[d];
    for (int64_t t = 0; t < in.rows(); ++t) {
      for (int64_t d = 0; d < D; ++d) out(t, d) += 1.0f * offset[d];
    }
    return out;
  }
  std::vector<float> offset(D), scale(D);
  for (int64_t d = 0; d < D; ++d) {
    const double mean = s[d] / count;
    double var = (s[D + 1 + d] / count) - mean * mean;
    if (var < 1.0e-20) var = 1.0e-20;
    const double sc = 1.0 / std::sqrt(var);
    offset[d] = static_cast<float>(-(mean * sc));
    scale[d] = static_cast<float>(sc);
  }
  for (int64_t t = 0; t < in.rows(); ++t) {
    for (int64_t d = 0; d < D; ++d) {
      out(t, d) *= scale[d];
      out(t, d) += 1.0f * offset[d];
    }
  }
  return out;
}

// Kaldi DeltaFeatures::Process() with the scales for window 2 given
// literally (feature-functions.h: order 1 [-2..2]/10, order 2 their
// self-convolution / 100), frames clamped.
Matrix KaldiDeltas(const Matrix& in, const std::vector<std::vector<float>>& scales) {
  const int64_t T = in.rows(), D = in.cols();
  const int64_t orders = static_cast<int64_t>(scales.size());
  Matrix out(T, D * orders);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t i = 0; i < orders; ++i) {
      const int64_t max_offset = (static_cast<int64_t>(scales[i].size()) - 1) / 2;
      for (int64_t d = 0; d < D; ++d) {
        float acc = 0.0f;
        for (int64_t j = -max_offset; j <= max_offset; ++j) {
          const int64_t f = std::min(std::max<int64_t>(t + j, 0), T - 1);
          const float scale = scales[i][j + max_offset];
          if (scale != 0.0f) acc += scale * in(f, d);
        }
        out(t, i * D + d) = acc;
      }
    }
  }
  return out;
}

// Kaldi SpliceFrames() l.205-226.
Matrix KaldiSplice(const Matrix& in, int64_t left, int64_t right) {
  const int64_t T = in.rows(), D = in.cols(), N = 1 + left + right;
  Matrix out(T, D * N);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t j = 0; j < N; ++j) {
      const int64_t f = std::min(std::max<int64_t>(t + j - left, 0), T - 1);
      for (int64_t d = 0; d < D; ++d) out(t, j * D + d) = in(f, d);
    }
  }
  return out;
}

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/featpool-stage-" +
         std::to_string(::getpid()) + "-" + name;
}

const int64_t kChunks[] = {1, 7, 160, 100000, 0};

}  // namespace

TEST_CASE("sliding CMN is Kaldi's apply-cmvn-sliding, streamed or not", "[stage]") {
  struct Case {
    int window, min_window;
    bool center, vars;
    int64_t frames;
  };
  const Case cases[] = {{600, 100, false, false, 1000}, {600, 100, false, true, 1000},
                        {600, 100, true, false, 1000},  {600, 100, true, true, 1000},
                        {600, 100, false, true, 57},    {600, 100, true, true, 57},
                        {50, 10, false, true, 200},     {51, 10, true, true, 200},
                        {600, 100, false, true, 1},     {4, 1, false, true, 30}};
  for (const Case& c : cases) {
    const Matrix in = Random(c.frames, 5, 11 + c.frames, 20.0f);
    StageOptions opts;
    opts.cmvn.mode = CmvnMode::kSliding;
    opts.cmvn.cmn_window = c.window;
    opts.cmvn.min_cmn_window = c.min_window;
    opts.cmvn.cmn_center = c.center;
    opts.cmvn.norm_vars = c.vars;
    const Matrix expected = KaldiSlidingCmn(in, c.window, c.min_window, c.center, c.vars);
    CAPTURE(c.window, c.center, c.vars, c.frames);
    CHECK(BitEqual(Offline(opts, in), expected));
    for (int64_t chunk : kChunks) {
      CAPTURE(chunk);
      CHECK(BitEqual(Stream(opts, in, chunk), expected));
    }
  }
}

TEST_CASE("sliding CMN latency: the first 100 frames wait for frame 100", "[stage]") {
  StageOptions opts;
  opts.cmvn.mode = CmvnMode::kSliding;
  OnlineStageChain chain(opts, 3, true);
  CHECK(chain.FramesNeededForRow(0) == 100);
  CHECK(chain.FramesNeededForRow(98) == 100);
  CHECK(chain.FramesNeededForRow(99) == 100);
  CHECK(chain.FramesNeededForRow(100) == 101);
  CHECK(chain.FramesNeededForRow(1000) == 1001);
  const Matrix in = Random(300, 3, 5);
  for (int64_t t = 0; t < in.rows(); ++t) {
    chain.AcceptFrames({in.Row(t), 1, 3});
    // Every row whose frames have arrived is out, and no other.
    int64_t ready = 0;
    while (chain.FramesNeededForRow(ready) <= t + 1) ++ready;
    REQUIRE(chain.NumRowsReady() == ready);
  }
  opts.cmvn.cmn_center = true;
  OnlineStageChain centred(opts, 3, true);
  CHECK(centred.FramesNeededForRow(0) == 600);
  CHECK(centred.FramesNeededForRow(300) == 600);
  CHECK(centred.FramesNeededForRow(301) == 601);
}

TEST_CASE("utterance CMVN is compute-cmvn-stats then apply-cmvn; it cannot stream", "[stage]") {
  const Matrix in = Random(123, 6, 3, 50.0f);
  for (bool vars : {false, true}) {
    StageOptions opts;
    opts.cmvn.mode = CmvnMode::kUtterance;
    opts.cmvn.norm_vars = vars;
    const Matrix expected = KaldiApplyCmvn(KaldiStats(in), in, vars);
    CHECK(BitEqual(Offline(opts, in), expected));
    CHECK(BitEqual(Stream(opts, in, 7, false), expected));
    try {
      OnlineStageChain chain(opts, 6, true);
      FAIL("streamed");
    } catch (const OptionError& e) {
      CHECK(e.key() == "cmvn");
      CHECK(std::string(e.what()).find("cmvn=utterance: cannot stream") != std::string::npos);
    }
  }
  // An empty stream gives no rows, not an error.
  StageOptions empty;
  empty.cmvn.mode = CmvnMode::kUtterance;
  OnlineStageChain none(empty, 6, false);
  none.InputFinished();
  CHECK(none.NumRowsReady() == 0);
  // A hand-computed case: the means of [1 2; 3 6] are [2 4].
  Matrix small(2, 2);
  small(0, 0) = 1, small(0, 1) = 2, small(1, 0) = 3, small(1, 1) = 6;
  StageOptions opts;
  opts.cmvn.mode = CmvnMode::kUtterance;
  const Matrix out = Offline(opts, small);
  CHECK(out(0, 0) == -1.0f);
  CHECK(out(0, 1) == -2.0f);
  CHECK(out(1, 0) == 1.0f);
  CHECK(out(1, 1) == 2.0f);
  opts.cmvn.norm_vars = true;
  const Matrix scaled = Offline(opts, small);
  CHECK(scaled(0, 0) == -1.0f);  // std 1 and 2
  CHECK(scaled(1, 1) == 1.0f);
}

// Kaldi featbin/compute-fbank-feats.cc --subtract-mean, transcribed:
// mean.AddRowSumMat(1.0, features) sums the rows in float, one after the
// other; mean.Scale(1.0 / NumRows()) multiplies by the float reciprocal;
// Row(i).AddVec(-1.0, mean) subtracts in float.
Matrix KaldiSubtractMean(const Matrix& in) {
  std::vector<float> mean(static_cast<size_t>(in.cols()), 0.0f);
  for (int64_t r = 0; r < in.rows(); ++r)
    for (int64_t c = 0; c < in.cols(); ++c) mean[c] = mean[c] + in(r, c);
  const float scale = static_cast<float>(1.0 / in.rows());
  for (float& m : mean) m = m * scale;
  Matrix out(in.rows(), in.cols());
  for (int64_t r = 0; r < in.rows(); ++r)
    for (int64_t c = 0; c < in.cols(); ++c) out(r, c) = in(r, c) + (-1.0f * mean[c]);
  return out;
}

TEST_CASE("subtract-mean is Kaldi's float mean subtraction, first; it cannot stream", "[stage]") {
  // 64 rows (Kaldi's saxpy path) and more (its sgemv path), offset so that
  // float and double sums differ.
  for (int64_t rows : {1, 64, 65, 1234}) {
    const Matrix in = Random(rows, 5, 40 + static_cast<uint32_t>(rows), 1000.0f);
    StageOptions opts;
    opts.subtract_mean = true;
    const Matrix expected = KaldiSubtractMean(in);
    CHECK(BitEqual(Offline(opts, in), expected));
    CHECK(BitEqual(Stream(opts, in, 7, false), expected));
    try {
      OnlineStageChain chain(opts, 5, true);
      FAIL("streamed");
    } catch (const OptionError& e) {
      CHECK(e.key() == "subtract_mean");
      CHECK(std::string(e.what()).find("cannot stream") != std::string::npos);
    }
  }
  // Not the double-accumulated utterance CMVN (apply-cmvn rounds otherwise).
  const Matrix in = Random(1234, 5, 99, 1000.0f);
  StageOptions sm;
  sm.subtract_mean = true;
  StageOptions utt;
  utt.cmvn.mode = CmvnMode::kUtterance;
  CHECK(!BitEqual(Offline(sm, in), Offline(utt, in)));
  // Before every other stage, whatever --stages says: subtract, then CMVN.
  sm.cmvn.mode = CmvnMode::kUtterance;
  sm.cmvn.norm_vars = true;
  sm.stages = "cmvn";
  StageOptions vars;
  vars.cmvn.mode = CmvnMode::kUtterance;
  vars.cmvn.norm_vars = true;
  CHECK(BitEqual(Offline(sm, in), Offline(vars, KaldiSubtractMean(in))));
  CHECK(StageChain(sm, 5).Order() == std::vector<std::string>{"subtract_mean", "cmvn"});
}

TEST_CASE("global CMVN reads Kaldi, npy, FunASR am.mvn stats and streams", "[stage]") {
  const Matrix train = Random(500, 4, 21, 10.0f);
  const Matrix in = Random(77, 4, 22, 10.0f);
  const std::vector<double> stats = KaldiStats(train);
  // Kaldi text matrix, as copy-matrix --binary=false writes it.
  const std::string text = TempPath("cmvn.txt");
  {
    std::FILE* f = std::fopen(text.c_str(), "w");
    std::fprintf(f, " [\n");
    for (int r = 0; r < 2; ++r) {
      for (int c = 0; c < 5; ++c) std::fprintf(f, " %.17g", stats[r * 5 + c]);
      std::fprintf(f, r == 0 ? "\n" : " ]\n");
    }
    std::fclose(f);
  }
  // Kaldi binary double matrix, as compute-cmvn-stats writes a wxfilename.
  const std::string binary = TempPath("cmvn.mat");
  {
    std::FILE* f = std::fopen(binary.c_str(), "wb");
    std::fwrite("\0BDM \4", 1, 6, f);
    const int32_t rows = 2, cols = 5;
    std::fwrite(&rows, 4, 1, f);
    std::fputc(4, f);
    std::fwrite(&cols, 4, 1, f);
    std::fwrite(stats.data(), 8, stats.size(), f);
    std::fclose(f);
  }
  for (bool vars : {false, true}) {
    const Matrix expected = KaldiApplyCmvn(stats, in, vars);
    for (const std::string& path : {text, binary}) {
      StageOptions opts;
      opts.cmvn.mode = CmvnMode::kGlobal;
      opts.cmvn.cmvn_stats = path;
      opts.cmvn.norm_vars = vars;
      CAPTURE(path, vars);
      CHECK(BitEqual(Offline(opts, in), expected));
      for (int64_t chunk : kChunks) CHECK(BitEqual(Stream(opts, in, chunk), expected));
      OnlineStageChain chain(opts, 4, true);
      CHECK(chain.FramesNeededForRow(0) == 1);
      CHECK(chain.FramesNeededForRow(9) == 10);
    }
  }
  // FunASR am.mvn: (x + shift) * scale in float32.
  const std::string mvn = TempPath("am.mvn");
  {
    std::ofstream f(mvn);
    f << "<Nnet>\n<Splice> 4 4\n[ 0 ]\n<AddShift> 4 4\n<LearnRateCoef> 0 [ -1 -2 0.5 3 ]\n"
      << "<Rescale> 4 4\n<LearnRateCoef> 0 [ 2 0.5 1 0.25 ]\n</Nnet>\n";
  }
  StageOptions opts;
  opts.cmvn.mode = CmvnMode::kGlobal;
  opts.cmvn.cmvn_stats = mvn;
  opts.cmvn.norm_vars = true;
  const Matrix out = Offline(opts, in);
  const float shift[] = {-1, -2, 0.5f, 3}, scale[] = {2, 0.5f, 1, 0.25f};
  bool same = true;
  for (int64_t t = 0; t < in.rows(); ++t) {
    for (int d = 0; d < 4; ++d) same = same && out(t, d) == (in(t, d) + shift[d]) * scale[d];
  }
  CHECK(same);
  // A dimension mismatch and a bad file name the file.
  opts.cmvn.cmvn_stats = mvn;
  CHECK_THROWS_WITH(StageChain(opts, 3), Catch::Contains(mvn) && Catch::Contains("dimension 4"));
  opts.cmvn.cmvn_stats = TempPath("missing.mat");
  CHECK_THROWS_WITH(StageChain(opts, 4), Catch::Contains("missing.mat"));
  std::remove(text.c_str());
  std::remove(binary.c_str());
  std::remove(mvn.c_str());
}

TEST_CASE("speaker CMVN: a speaker's stats over its utterances, as apply-cmvn --utt2spk",
          "[stage]") {
  // Kaldi compute-cmvn-stats --spk2utt accumulates the speaker's utterances
  // one after the other into one double matrix (AccCmvnStats per frame).
  const Matrix a = Random(70, 4, 31, 20.0f);
  const Matrix b = Random(33, 4, 32, 20.0f);
  Matrix both(a.rows() + b.rows(), 4);
  std::memcpy(both.data(), a.data(), sizeof(float) * 70 * 4);
  std::memcpy(both.Row(70), b.data(), sizeof(float) * 33 * 4);
  const std::vector<double> kaldi = KaldiStats(both);
  CmvnStats stats(4);
  stats.Accumulate(a.View());
  stats.Accumulate(b.View());
  CHECK(std::memcmp(stats.values.data(), kaldi.data(), sizeof(double) * kaldi.size()) == 0);
  for (bool vars : {false, true}) {
    StageOptions opts;
    opts.cmvn.mode = CmvnMode::kSpeaker;
    opts.cmvn.norm_vars = vars;
    const StageChain chain(opts, 4);
    CHECK(chain.NeedsSpeakerStats());
    // Without its speaker's stats the chain makes no stages (Python, a lone
    // file): an error naming cmvn.
    try {
      OnlineStageChain online(std::make_shared<const StageChain>(chain), false);
      FAIL("made stages without stats");
    } catch (const OptionError& e) {
      CHECK(e.key() == "cmvn");
    }
    const auto spk = chain.WithCmvnStats(stats, "speaker 's1'");
    CHECK(!spk->NeedsSpeakerStats());
    const Matrix expected = KaldiApplyCmvn(kaldi, b, vars);
    CHECK(BitEqual(ApplyStages(*spk, b.View()), expected));
    // With fixed stats it streams, as global CMVN does.
    OnlineStageChain online(spk, true);
    Matrix streamed(0, 4);
    for (int64_t r = 0; r < b.rows(); ++r) {
      online.AcceptFrames({b.Row(r), 1, 4});
      CHECK(online.NumRowsReady() == r + 1);
    }
    online.InputFinished();
    CHECK(BitEqual(online.TakeRows(), expected));
  }
  // Stats of another dim, and a speaker without frames, are errors.
  StageOptions opts;
  opts.cmvn.mode = CmvnMode::kSpeaker;
  const StageChain chain(opts, 4);
  CHECK_THROWS_WITH(chain.WithCmvnStats(CmvnStats(5), "speaker 'x'"),
                    Catch::Contains("speaker 'x': stats of dimension 5"));
  CHECK_THROWS_WITH(chain.WithCmvnStats(CmvnStats(4), "speaker 'x'"),
                    Catch::Contains("insufficient stats"));
  // The stats are those of the rows reaching cmvn: StagesBefore("cmvn").
  opts.deltas.order = 1;
  opts.stages = "deltas,cmvn";
  const StageChain after_deltas(opts, 4);
  const auto before = after_deltas.StagesBefore("cmvn");
  CHECK(before->Order() == std::vector<std::string>{"deltas"});
  CHECK(before->Dim() == 8);
  CHECK(after_deltas.StagesBefore("deltas")->Empty());
}

TEST_CASE("per-speaker stats tables: compute-cmvn-stats ark,scp, read back by key", "[stage]") {
  const Matrix a = Random(50, 3, 41, 5.0f);
  const Matrix b = Random(20, 3, 42, -5.0f);
  CmvnStats sa(3), sb(3);
  sa.Accumulate(a.View());
  sb.Accumulate(b.View());
  const std::string ark = TempPath("cmvn_train.ark");
  const std::string scp = TempPath("cmvn_train.scp");
  WriteKaldiStatsTable({{"spkA", sa}, {"spkB", sb}}, ark, scp);
  // The archive is "spkA " + binary DM record, then "spkB " + record; the scp
  // points at each record's "\0B" (Kaldi TableWriterBothImpl).
  std::ifstream in(ark, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t record = 5 + 5 + 10 + 8 * 8;
  REQUIRE(bytes.size() == 2 * record);
  CHECK(bytes.compare(0, 10, std::string("spkA \0BDM ", 10)) == 0);
  CHECK(bytes.compare(record, 5, "spkB ") == 0);
  std::ifstream lines(scp);
  std::string l1, l2;
  std::getline(lines, l1);
  std::getline(lines, l2);
  CHECK(l1 == "spkA " + ark + ":5");
  CHECK(l2 == "spkB " + ark + ":" + std::to_string(record + 5));
  for (const std::string& spec : {"scp:" + scp, scp, "ark:" + ark, ark}) {
    const auto table = ReadKaldiStatsTable(spec);
    REQUIRE(table.size() == 2);
    CHECK(table[0].first == "spkA");
    CHECK(table[1].first == "spkB");
    CHECK(table[1].second.values == sb.values);
  }
  // Through --cmvn-stats: the speaker's chain is its stats' chain.
  StageOptions opts;
  opts.cmvn.mode = CmvnMode::kSpeaker;
  opts.cmvn.cmvn_stats = "scp:" + scp;
  const StageChain chain(opts, 3);
  REQUIRE(chain.HasSpeakerStatsTable());
  CHECK(BitEqual(ApplyStages(*chain.ForSpeaker("spkB"), b.View()),
                 KaldiApplyCmvn(sb.values, b, false)));
  CHECK_THROWS_WITH(chain.ForSpeaker("spkC"), Catch::Contains("no CMVN stats for speaker 'spkC'"));
  // A text archive, as copy-matrix ark,t: writes it.
  const std::string text = TempPath("cmvn.txt.ark");
  std::ofstream(text) << "spkB " << KaldiStatsBytes(sb, false);
  CHECK(ReadKaldiStatsTable("ark:" + text)[0].second.values.size() == 8);
  std::ofstream(TempPath("bad.scp")) << "spkA " << ark << "\n";
  CHECK_THROWS_WITH(ReadKaldiStatsTable(TempPath("bad.scp")),
                    Catch::Contains("bad.scp:1: expected 'key ARCHIVE:OFFSET'"));
  opts.cmvn.cmvn_stats = ark;
  CHECK_THROWS_WITH(StageChain(opts, 4), Catch::Contains("stats of dimension 3"));
}

TEST_CASE("deltas are Kaldi's add-deltas; splicing is splice-feats", "[stage]") {
  DeltaOptions d;
  d.order = 2;
  const std::vector<std::vector<float>> scales = DeltaScales(d);
  REQUIRE(scales.size() == 3);
  REQUIRE(scales[1].size() == 5);
  REQUIRE(scales[2].size() == 9);
  const float order1[] = {-2, -1, 0, 1, 2};
  const float order2[] = {4, 4, 1, -4, -10, -4, 1, 4, 4};
  for (int i = 0; i < 5; ++i) CHECK(scales[1][i] == Approx(order1[i] / 10.0f).epsilon(1e-6));
  for (int i = 0; i < 9; ++i) CHECK(scales[2][i] == Approx(order2[i] / 100.0f).epsilon(1e-6));
  for (int64_t frames : {1, 3, 4, 5, 9, 200}) {
    const Matrix in = Random(frames, 7, 30 + frames);
    StageOptions opts;
    opts.deltas.order = 2;
    const Matrix expected = KaldiDeltas(in, scales);
    CAPTURE(frames);
    CHECK(BitEqual(Offline(opts, in), expected));
    for (int64_t chunk : kChunks) CHECK(BitEqual(Stream(opts, in, chunk), expected));
    StageOptions splice;
    splice.splice.left_context = 3;
    splice.splice.right_context = 2;
    const Matrix spliced = KaldiSplice(in, 3, 2);
    CHECK(BitEqual(Offline(splice, in), spliced));
    for (int64_t chunk : kChunks) CHECK(BitEqual(Stream(splice, in, chunk), spliced));
  }
  StageOptions opts;
  opts.deltas.order = 2;
  OnlineStageChain chain(opts, 2, true);
  CHECK(chain.Dim() == 6);
  CHECK(chain.FramesNeededForRow(0) == 5);  // order * window = 4 frames ahead
  opts.splice.right_context = 5;
  opts.splice.left_context = 1;
  OnlineStageChain both(opts, 2, true);
  CHECK(both.Dim() == 6 * 7);
  CHECK(both.FramesNeededForRow(0) == 10);  // splice needs row 5 of deltas, which needs frame 9
}

TEST_CASE("normalisations: NeMo per-feature, Whisper clamp, top-db; offline only", "[stage]") {
  // Whisper: max 2 -> floor -6; (x + 4) / 4.
  Matrix w(2, 2);
  w(0, 0) = 2, w(0, 1) = -7, w(1, 0) = -6, w(1, 1) = 0;
  StageOptions opts;
  opts.normalize.mode = NormalizeMode::kWhisper;
  Matrix out = Offline(opts, w);
  CHECK(out(0, 0) == 1.5f);
  CHECK(out(0, 1) == -0.5f);  // clamped to -6
  CHECK(out(1, 0) == -0.5f);
  CHECK(out(1, 1) == 1.0f);
  CHECK_THROWS_WITH(OnlineStageChain(opts, 2, true),
                    Catch::Contains("normalize=whisper: cannot stream"));
  opts.normalize.mode = NormalizeMode::kTopDb;
  opts.normalize.top_db = 5;
  out = Offline(opts, w);
  CHECK(out(0, 1) == -3.0f);
  CHECK(out(1, 0) == -3.0f);
  CHECK(out(0, 0) == 2.0f);
  // NeMo per_feature: column [1 2 3 6]: mean 3, unbiased std sqrt(14/3).
  Matrix n(4, 1);
  n(0, 0) = 1, n(1, 0) = 2, n(2, 0) = 3, n(3, 0) = 6;
  opts.normalize.mode = NormalizeMode::kPerFeature;
  opts.normalize.top_db = 80;
  out = Offline(opts, n);
  const double std = std::sqrt(14.0 / 3.0) + 1e-5;
  CHECK(out(0, 0) == static_cast<float>(-2.0 / std));
  CHECK(out(3, 0) == static_cast<float>(3.0 / std));
  // One frame: the NaN std is 0, plus 1e-5: the output is 0.
  Matrix one(1, 3);
  one(0, 0) = 5;
  out = Offline(opts, one);
  CHECK(out(0, 0) == 0.0f);
  CHECK_THROWS_WITH(OnlineStageChain(opts, 2, true),
                    Catch::Contains("normalize=per-feature: cannot stream"));
}

TEST_CASE("pooling as a stage is the Pooler, and the chain keeps the order given", "[stage]") {
  const Matrix in = Random(301, 40, 41);
  PoolOptions pool;
  pool.mode = PoolMode::kMax;
  pool.kernel = {3, 2};
  pool.stride = PoolSize{2, 2};
  pool.padding = {1, 1};
  pool.ceil_mode = true;
  Matrix expected;
  Pooler(pool).Apply(in.View(), &expected);
  StageOptions opts;
  opts.pool = pool;
  CHECK(BitEqual(Offline(opts, in), expected));
  for (int64_t chunk : kChunks) CHECK(BitEqual(Stream(opts, in, chunk), expected));
  // Adaptive pooling cannot stream, names --pool's mode.
  PoolOptions adaptive;
  adaptive.mode = PoolMode::kAdaptiveAvg;
  adaptive.output_size = PoolSize{10, kKeep};
  opts.pool = adaptive;
  Pooler(adaptive).Apply(in.View(), &expected);
  CHECK(BitEqual(Offline(opts, in), expected));
  try {
    OnlineStageChain chain(opts, 40, true);
    FAIL("streamed");
  } catch (const OptionError& e) {
    CHECK(e.key() == "mode");
    CHECK(std::string(e.what()) ==
          "mode=adaptive-avg: cannot stream: adaptive pooling needs the whole input's length; drop "
          "mode to stream");
  }
  // FunASR: stack 7/6 then global CMVN on 7 * D columns (--stages=pool,cmvn).
  PoolOptions stack;
  stack.mode = PoolMode::kStack;
  StageOptions lfr;
  lfr.pool = stack;
  lfr.cmvn.mode = CmvnMode::kSliding;
  lfr.cmvn.cmn_window = 10;
  lfr.cmvn.min_cmn_window = 5;
  lfr.stages = "pool,cmvn";
  Matrix stacked;
  Pooler(stack).Apply(in.View(), &stacked);
  const Matrix funasr = KaldiSlidingCmn(stacked, 10, 5, false, false);
  CHECK(BitEqual(Offline(lfr, in), funasr));
  for (int64_t chunk : kChunks) CHECK(BitEqual(Stream(lfr, in, chunk), funasr));
  lfr.stages = "";  // default order: cmvn, then pool
  StageOptions cmvn_only = lfr;
  cmvn_only.pool.reset();
  Pooler(stack).Apply(Offline(cmvn_only, in).View(), &stacked);
  CHECK(BitEqual(Offline(lfr, in), stacked));
  // --stages errors name the option.
  lfr.stages = "pool";
  CHECK_THROWS_WITH(StageChain(lfr, 40), Catch::Contains("does not list 'cmvn'"));
  lfr.stages = "pool,cmvn,deltas";
  CHECK_THROWS_WITH(StageChain(lfr, 40), Catch::Contains("lists 'deltas', which is off"));
  lfr.stages = "pool,cmvn,cmvn";
  CHECK_THROWS_WITH(StageChain(lfr, 40), Catch::Contains("twice"));
  lfr.stages = "pool,cmn";
  CHECK_THROWS_WITH(StageChain(lfr, 40), Catch::Contains("unknown stage 'cmn'"));
}

TEST_CASE("every streamable chain streams bit-identically, latency composed", "[stage]") {
  const Matrix in = Random(640, 13, 51, 5.0f);
  StageOptions opts;
  opts.cmvn.mode = CmvnMode::kSliding;
  opts.cmvn.norm_vars = true;
  opts.cmvn.cmn_window = 300;
  opts.cmvn.min_cmn_window = 50;
  opts.deltas.order = 2;
  opts.splice.left_context = 2;
  opts.splice.right_context = 2;
  PoolOptions pool;
  pool.mode = PoolMode::kAvg;
  pool.kernel = {4, 1};
  opts.pool = pool;
  const Matrix offline = Offline(opts, in);
  CHECK(offline.cols() == 13 * 3 * 5);
  CHECK(offline.rows() == 160);
  for (int64_t chunk : kChunks) CHECK(BitEqual(Stream(opts, in, chunk), offline));
  OnlineStageChain chain(opts, 13, true);
  // Pooled row 0 needs rows 0..3 of splice; its row 3 needs deltas row 5,
  // which needs cmvn row 9; cmvn rows up to 49 wait for frame 50.
  CHECK(chain.FramesNeededForRow(0) == 50);
  CHECK(chain.FramesNeededForRow(20) == 80 + 3 + 2 + 4 + 1);
  for (int64_t t = 0; t < in.rows(); ++t) {
    chain.AcceptFrames({in.Row(t), 1, 13});
    int64_t ready = 0;
    while (chain.FramesNeededForRow(ready) <= t + 1) ++ready;
    REQUIRE(chain.NumRowsReady() == ready);
  }
}

TEST_CASE("RowQueue hands its rows on without a copy, numbering kept", "[stage]") {
  RowQueue a(2), b(2);
  const float rows[6] = {1, 2, 3, 4, 5, 6};
  a.Append(MatrixView{rows, 3, 2});
  a.ReleaseBefore(1);  // a holds rows 1 and 2
  b.Append(MatrixView{rows, 1, 2});
  b.ReleaseBefore(1);  // b holds nothing, next row 1
  b.AppendFrom(&a);
  CHECK(a.NumHeld() == 0);
  CHECK(a.NumRows() == 0);
  REQUIRE(b.FirstRow() == 1);
  REQUIRE(b.NumRows() == 3);
  CHECK(b.Row(1)[0] == 3.0f);
  CHECK(b.Row(2)[1] == 6.0f);
  // Into a queue that holds rows: appended.
  RowQueue c(2);
  c.Append(rows);
  c.AppendFrom(&b);
  REQUIRE(c.NumRows() == 3);
  CHECK(c.Row(0)[0] == 1.0f);
  CHECK(c.Row(2)[0] == 5.0f);
  // TakeHeld: copied when rows were released before, moved otherwise.
  c.ReleaseBefore(1);
  Matrix m = c.TakeHeld();
  REQUIRE(m.rows() == 2);
  CHECK(m(0, 0) == 3.0f);
  CHECK(m(1, 1) == 6.0f);
  CHECK(c.NumHeld() == 0);
  CHECK(c.NumRows() == 3);
  RowQueue d(2);
  d.Append(MatrixView{rows, 3, 2});
  m = d.TakeHeld();
  REQUIRE(m.rows() == 3);
  CHECK(m(2, 1) == 6.0f);
  CHECK(d.NumHeld() == 0);
}

TEST_CASE("whole-utterance stages in a chain fed in chunks equal their rule", "[stage]") {
  std::mt19937 rng(3);
  std::normal_distribution<float> g(-3.0f, 2.0f);
  Matrix x(1003, 13);  // 13039 values: not a multiple of the 8 lanes of the maximum
  for (int64_t i = 0; i < x.rows() * x.cols(); ++i) x.data()[i] = g(rng);
  x(517, 5) = 9.5f;
  // Whisper's rule, one value at a time.
  float max = -INFINITY;
  for (int64_t i = 0; i < x.rows() * x.cols(); ++i) max = std::max(max, x.data()[i]);
  Matrix expected(x.rows(), x.cols());
  for (int64_t i = 0; i < x.rows() * x.cols(); ++i) {
    expected.data()[i] = (std::max(x.data()[i], max - 8.0f) + 4.0f) / 4.0f;
  }
  StageOptions opts;
  opts.normalize.mode = NormalizeMode::kWhisper;
  opts.cmvn.mode = CmvnMode::kUtterance;
  opts.deltas.order = 1;
  opts.stages = "deltas,normalize,cmvn";
  const Matrix offline = Offline(opts, x);
  OnlineStageChain chain(opts, x.cols(), false);
  for (int64_t r = 0; r < x.rows(); r += 77) {
    const int64_t n = std::min<int64_t>(77, x.rows() - r);
    chain.AcceptFrames(MatrixView{x.Row(r), n, x.cols()});
    CHECK(chain.NumRowsReady() == 0);
  }
  chain.InputFinished();
  const Matrix online = chain.TakeRows();
  REQUIRE(online.rows() == offline.rows());
  CHECK(std::memcmp(online.data(), offline.data(),
                    sizeof(float) * static_cast<size_t>(online.rows() * online.cols())) == 0);
  // Normalisation alone is the rule above, bit for bit.
  StageOptions whisper;
  whisper.normalize.mode = NormalizeMode::kWhisper;
  const Matrix w = Offline(whisper, x);
  CHECK(std::memcmp(w.data(), expected.data(),
                    sizeof(float) * static_cast<size_t>(w.rows() * w.cols())) == 0);
}

TEST_CASE("ApplyStages on a matrix handed over: the same rows, in place where it can", "[stage]") {
  const Matrix x = Random(1201, 4, 17, -2.0f);
  const std::string mvn = TempPath("handover.mvn");
  {
    std::ofstream f(mvn);
    f << "<Nnet>\n<Splice> 4 4\n[ 0 ]\n<AddShift> 4 4\n<LearnRateCoef> 0 [ -1 -2 0.5 3 ]\n"
      << "<Rescale> 4 4\n<LearnRateCoef> 0 [ 2 0.5 1 0.25 ]\n</Nnet>\n";
  }
  struct Chain {
    const char* name;
    StageOptions opts;
    bool in_place;  // the result is the input's storage
  };
  std::vector<Chain> chains;
  {
    Chain c{"utterance cmvn", {}, true};
    c.opts.cmvn.mode = CmvnMode::kUtterance;
    chains.push_back(c);
  }
  {
    Chain c{"normalize, utterance cmvn", {}, true};
    c.opts.normalize.mode = NormalizeMode::kPerFeature;
    c.opts.cmvn.mode = CmvnMode::kUtterance;
    c.opts.cmvn.norm_vars = true;
    chains.push_back(c);
  }
  {
    Chain c{"global cmvn", {}, true};
    c.opts.cmvn.mode = CmvnMode::kGlobal;
    c.opts.cmvn.cmvn_stats = mvn;
    c.opts.cmvn.norm_vars = true;
    chains.push_back(c);
  }
  {
    Chain c{"stack, global cmvn (FunASR)", {}, false};
    c.opts.pool = PoolOptions{};
    c.opts.pool->mode = PoolMode::kStack;
    c.opts.pool->stack_frames = 7;
    c.opts.pool->stack_stride = 6;
    c.opts.cmvn.mode = CmvnMode::kGlobal;
    c.opts.cmvn.cmvn_stats = TempPath("handover28.mvn");
    c.opts.cmvn.norm_vars = true;
    c.opts.stages = "pool,cmvn";
    std::ofstream f(c.opts.cmvn.cmvn_stats);
    f << "<Nnet>\n<AddShift> 28 28\n<LearnRateCoef> 0 [";
    for (int d = 0; d < 28; ++d) f << " " << (d % 5) - 2;
    f << " ]\n<Rescale> 28 28\n<LearnRateCoef> 0 [";
    for (int d = 0; d < 28; ++d) f << " " << 0.25 * (d % 3 + 1);
    f << " ]\n</Nnet>\n";
    chains.push_back(c);
  }
  {
    Chain c{"deltas, sliding cmvn", {}, false};
    c.opts.deltas.order = 2;
    c.opts.cmvn.mode = CmvnMode::kSliding;
    chains.push_back(c);
  }
  for (const Chain& c : chains) {
    INFO(c.name);
    const StageChain chain(c.opts, x.cols());
    const Matrix expected = ApplyStages(chain, x.View());
    Matrix copy = x;
    const float* storage = copy.data();
    const Matrix got = ApplyStages(chain, std::move(copy));
    REQUIRE(got.rows() == expected.rows());
    REQUIRE(got.cols() == expected.cols());
    CHECK(std::memcmp(got.data(), expected.data(),
                      sizeof(float) * static_cast<size_t>(got.rows() * got.cols())) == 0);
    if (c.in_place) CHECK(got.data() == storage);
  }
  std::remove(mvn.c_str());
  std::remove(chains[3].opts.cmvn.cmvn_stats.c_str());
}

TEST_CASE("OnlinePooler hands its rows to an empty queue without a copy", "[stage]") {
  PoolOptions o;
  o.mode = PoolMode::kStack;
  o.stack_frames = 3;
  o.stack_stride = 2;
  const Matrix x = Random(40, 2, 5);
  OnlinePooler a(o, 2), b(o, 2);
  RowQueue q(a.Dim()), r(b.Dim());
  for (int64_t t = 0; t < x.rows(); t += 7) {
    const MatrixView chunk{x.Row(t), std::min<int64_t>(7, x.rows() - t), 2};
    a.AcceptFrames(chunk);
    b.AcceptFrames(chunk);
    a.MoveReadyRowsTo(&q);  // q is emptied below each time: swapped
    CHECK(a.FirstAvailableRow() == a.NumRowsReady());
    r.Append(b.ReadyRows());
    b.ReleaseRowsBefore(b.NumRowsReady());
    REQUIRE(q.NumRows() == r.NumRows());
    CHECK(std::memcmp(q.Row(q.FirstRow()), r.Row(r.FirstRow()),
                      sizeof(float) * static_cast<size_t>(q.NumHeld() * q.Dim())) == 0);
    q.ReleaseBefore(q.NumRows());
    r.ReleaseBefore(r.NumRows());
  }
  // Into a queue that holds rows: appended after them.
  a.InputFinished();
  RowQueue held(a.Dim());
  const std::vector<float> ones(static_cast<size_t>(a.Dim()), 1.0f);
  held.Append(ones.data());
  const int64_t ready = a.NumRowsReady() - a.FirstAvailableRow();
  a.MoveReadyRowsTo(&held);
  CHECK(held.NumHeld() == 1 + ready);
  CHECK(held.Row(0)[0] == 1.0f);
}
