#include "featpool/mfcc.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "cpu-dispatch.h"
#include "fast-log.h"
#include "featpool/error.h"
#include "log-energy.h"
#include "number-text.h"

namespace featpool {

// Kaldi feature-mfcc.cc MfccComputer
MfccComputer::MfccComputer(const MfccOptions& opts)
    : opts_(opts),
      mel_bank_((opts.frame_opts.Validate(), opts.mel_opts), opts.frame_opts),
      fft_(opts.frame_opts.PaddedWindowSize()),
      spectrum_(static_cast<size_t>(opts.frame_opts.PaddedWindowSize() / 2 + 1)),
      mel_(static_cast<size_t>(opts.mel_opts.num_bins)),
      log_energy_floor_(LogEnergyFloor(opts.energy_floor)) {
  const int32_t bins = mel_bank_.NumBins();
  if (opts_.num_ceps < 1) {
    throw OptionError("num_ceps", std::to_string(opts_.num_ceps), "must be >= 1");
  }
  if (opts_.num_ceps > bins) {
    throw OptionError("num_ceps", std::to_string(opts_.num_ceps),
                      "cannot exceed {num_mel_bins}=" + std::to_string(bins));
  }
  if (!std::isfinite(opts_.cepstral_lifter)) {
    throw OptionError("cepstral_lifter", NumberText(opts_.cepstral_lifter), "must be finite");
  }
  // Kaldi ComputeDctMatrix(): orthonormal DCT-II, first num_ceps rows.
  dct_stride_ = (opts_.num_ceps + 7) / 8 * 8;
  dct_.assign(static_cast<size_t>(dct_stride_) * static_cast<size_t>(bins), 0.0f);
  cepstrum_.assign(static_cast<size_t>(dct_stride_), 0.0f);
  for (int32_t k = 0; k < opts_.num_ceps; ++k) {
    for (int32_t n = 0; n < bins; ++n) {
      const double value = k == 0 ? std::sqrt(1.0 / bins)
                                  : std::sqrt(2.0 / bins) * std::cos(M_PI / bins * (n + 0.5) * k);
      dct_[static_cast<size_t>(n) * static_cast<size_t>(dct_stride_) + static_cast<size_t>(k)] =
          static_cast<float>(value);
    }
  }
  // Kaldi ComputeLifterCoeffs()
  lifter_.assign(static_cast<size_t>(opts_.num_ceps), 1.0f);
  if (opts_.cepstral_lifter != 0) {
    const double q = opts_.cepstral_lifter;
    for (int32_t i = 0; i < opts_.num_ceps; ++i) {
      lifter_[static_cast<size_t>(i)] = static_cast<float>(1.0 + 0.5 * q * std::sin(M_PI * i / q));
    }
  }
}

namespace {

// Eight floats as one value (GCC's vector extension: one AVX register, or
// two SSE2 ones).
typedef float Lanes __attribute__((vector_size(32)));

// sum[k] = sum over n of dct[n][k] * mel[n], n in order, for k < 8 *
// kBlocks, the running sums held in registers.
template <int kBlocks>
__attribute__((always_inline)) inline void DctBlocks(const float* dct, const float* mel,
                                                     int32_t bins, float* sum) {
  Lanes acc[kBlocks];
  for (int b = 0; b < kBlocks; ++b) acc[b] = Lanes{0, 0, 0, 0, 0, 0, 0, 0};
  for (int32_t n = 0; n < bins; ++n) {
    const float x = mel[n];
    const float* row = dct + static_cast<size_t>(n) * (8 * kBlocks);
    for (int b = 0; b < kBlocks; ++b) {
      Lanes w;
      std::memcpy(&w, row + 8 * b, sizeof(w));
      acc[b] += w * x;
    }
  }
  std::memcpy(sum, acc, sizeof(acc));
}

// sum[k] = sum over n of dct[n][k] * mel[n], n in order, for k < stride (a
// multiple of 8): in float, as Kaldi's AddMatVec (sgemv) computes it, eight
// cepstra a vector (SSE2 or AVX2, the same bits: every sum is its own
// chain); up to 40 cepstra with the sums in registers.
__attribute__((always_inline)) inline void DctLoop(const float* __restrict dct, int32_t stride,
                                                   const float* __restrict mel, int32_t bins,
                                                   float* __restrict sum) {
  switch (stride / 8) {
    case 1:
      return DctBlocks<1>(dct, mel, bins, sum);
    case 2:
      return DctBlocks<2>(dct, mel, bins, sum);
    case 3:
      return DctBlocks<3>(dct, mel, bins, sum);
    case 4:
      return DctBlocks<4>(dct, mel, bins, sum);
    case 5:
      return DctBlocks<5>(dct, mel, bins, sum);
    default:
      break;
  }
  for (int32_t k = 0; k < stride; ++k) sum[k] = 0.0f;
  for (int32_t n = 0; n < bins; ++n) {
    const float x = mel[n];
    const float* row = dct + static_cast<size_t>(n) * static_cast<size_t>(stride);
    for (int32_t k = 0; k < stride; ++k) sum[k] += row[k] * x;
  }
}

void Dct(const float* dct, int32_t stride, const float* mel, int32_t bins, float* sum) {
  DctLoop(dct, stride, mel, bins, sum);
}

#ifdef FEATPOOL_AVX2_DISPATCH
FEATPOOL_TARGET_AVX2 void DctAvx2(const float* dct, int32_t stride, const float* mel,
                                  int32_t bins, float* sum) {
  DctLoop(dct, stride, mel, bins, sum);
}
#endif

}  // namespace

void MfccComputer::Compute(float raw_log_energy, float* window, float* feature) {
  float log_energy = raw_log_energy;
  if (opts_.use_energy && !opts_.raw_energy) {
    log_energy = WindowedLogEnergy(window, opts_.frame_opts.PaddedWindowSize());
  }
  fft_.PowerSpectrum(window, spectrum_.data());
  mel_bank_.Compute(spectrum_.data(), mel_.data());
  const int32_t bins = mel_bank_.NumBins();
  LogFlooredInPlace(mel_.data(), bins);
  const int32_t ceps = opts_.num_ceps;
  float* sum = cepstrum_.data();
#ifdef FEATPOOL_AVX2_DISPATCH
  if (internal::UseAvx2()) {
    DctAvx2(dct_.data(), dct_stride_, mel_.data(), bins, sum);
  } else {
    Dct(dct_.data(), dct_stride_, mel_.data(), bins, sum);
  }
#else
  Dct(dct_.data(), dct_stride_, mel_.data(), bins, sum);
#endif
  for (int32_t k = 0; k < ceps; ++k) feature[k] = sum[k] * lifter_[static_cast<size_t>(k)];
  if (opts_.use_energy) {
    if (opts_.energy_floor > 0 && log_energy < log_energy_floor_) log_energy = log_energy_floor_;
    feature[0] = log_energy;
  }
  if (opts_.htk_compat) {
    float c0 = feature[0];
    for (int32_t k = 0; k + 1 < ceps; ++k) feature[k] = feature[k + 1];
    if (!opts_.use_energy) c0 *= static_cast<float>(M_SQRT2);
    feature[ceps - 1] = c0;
  }
}

}  // namespace featpool
