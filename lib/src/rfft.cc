#include "featpool/rfft.h"

#include <kiss_fftr.h>

#include <vector>

#include "featpool/error.h"

namespace featpool {

struct Rfft::Plan {
  kiss_fftr_cfg cfg = nullptr;
  std::vector<kiss_fft_cpx> spectrum;
  ~Plan() { kiss_fftr_free(cfg); }
};

Rfft::Rfft(int32_t size) : size_(size), plan_(new Plan) {
  if (size < 2 || size % 2 != 0) {
    throw Error("FFT size " + std::to_string(size) + " must be even and at least 2");
  }
  plan_->cfg = kiss_fftr_alloc(size, 0, nullptr, nullptr);
  if (plan_->cfg == nullptr) throw Error("cannot plan an FFT of size " + std::to_string(size));
  plan_->spectrum.resize(static_cast<size_t>(size / 2 + 1));
}

Rfft::~Rfft() = default;
Rfft::Rfft(Rfft&&) noexcept = default;
Rfft& Rfft::operator=(Rfft&&) noexcept = default;

void Rfft::PowerSpectrum(const float* in, float* power) {
  kiss_fft_cpx* x = plan_->spectrum.data();
  kiss_fftr(plan_->cfg, in, x);
  const int32_t bins = size_ / 2 + 1;
  for (int32_t k = 0; k < bins; ++k) power[k] = x[k].r * x[k].r + x[k].i * x[k].i;
}

}  // namespace featpool
