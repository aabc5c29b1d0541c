// Real FFT of a fixed even length, planned once. Hides KissFFT behind a pimpl.
//
// Thread safety: the plan holds scratch memory, so one Rfft per stream/thread.
#ifndef FEATPOOL_RFFT_H_
#define FEATPOOL_RFFT_H_

#include <cstdint>
#include <memory>

namespace featpool {

class Rfft {
 public:
  // `size` must be even and >= 2; throws Error otherwise.
  explicit Rfft(int32_t size);
  ~Rfft();
  Rfft(Rfft&&) noexcept;
  Rfft& operator=(Rfft&&) noexcept;

  int32_t size() const { return size_; }

  // |X_k|^2 for k = 0 .. size/2 (size/2 + 1 values) of the real input `in`
  // (`size` floats).
  void PowerSpectrum(const float* in, float* power);

 private:
  struct Plan;
  int32_t size_;
  std::unique_ptr<Plan> plan_;
};

}  // namespace featpool

#endif  // FEATPOOL_RFFT_H_
