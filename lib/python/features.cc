// Feature extraction from arrays: one waveform (_compute) or a batch over
// threads (_compute_batch), for any feature type of the registry. The
// Python layer gives each type its function and keywords from the tables;
// here the type is a name and the options a dict.

#include <algorithm>
#include <atomic>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "binding.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-registry.h"
#include "featpool/online-feature.h"

namespace featpool {
namespace python {
namespace {

// The whole computation of one waveform, without the GIL: scale and check
// the samples, compute, check the features as the command checks a file.
Matrix ComputeOne(const FeatureOptions& opts, Samples* s, float scale, const std::string& source) {
  PrepareSamples(s, scale, source);
  Matrix features = ComputeFeatures(opts, opts.frame_opts().samp_freq, s->data, s->count);
  if (features.rows() == 0) {
    throw Error(ShortInputMessage(source, s->count, opts.frame_opts()));
  }
  CheckFinite(features.View(), source);
  return features;
}

// Whether samples of this size look like [-1, 1] audio given to an
// int16-scale feature.
bool LooksUnitScale(float max_abs) { return max_abs > 0.0f && max_abs <= 1.0f; }

py::array_t<float> Compute(const std::string& name, const FloatArray& samples,
                           const py::dict& values, std::optional<int32_t> channel, float scale,
                           bool check_scale) {
  const FeatureOptions opts = FeatureOptionsFrom(name, values);
  Samples s = GetSamples(samples, channel, name + "_batch", "samples");
  Matrix features;
  {
    py::gil_scoped_release release;
    features = ComputeOne(opts, &s, scale, "samples");
  }
  if (check_scale && LooksUnitScale(s.max_abs)) WarnUnitScale(name);
  return ToArray(std::move(features));
}

py::list ComputeBatch(const std::string& name, const std::vector<FloatArray>& batch,
                      const py::dict& values, std::optional<int32_t> channel, float scale,
                      bool check_scale, int32_t num_threads) {
  if (num_threads < 0) {
    throw Error("invalid num_threads=" + std::to_string(num_threads) +
                ": expected 0 (one per core) or more");
  }
  const FeatureOptions opts = FeatureOptionsFrom(name, values);
  const size_t n = batch.size();
  std::vector<Samples> inputs;
  inputs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    inputs.push_back(
        GetSamples(batch[i], channel, name + "_batch", "samples[" + std::to_string(i) + "]"));
  }
  std::vector<Matrix> outputs(n);
  std::vector<std::exception_ptr> errors(n);
  {
    py::gil_scoped_release release;
    size_t threads = num_threads > 0 ? static_cast<size_t>(num_threads)
                                     : std::max(1u, std::thread::hardware_concurrency());
    threads = std::min(threads, n);
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < n; i = next++) {
        try {
          outputs[i] = ComputeOne(opts, &inputs[i], scale, "samples[" + std::to_string(i) + "]");
        } catch (...) {
          errors[i] = std::current_exception();
        }
      }
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
  }
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  float max_abs = 0.0f;
  for (const Samples& s : inputs) max_abs = std::max(max_abs, s.max_abs);
  if (check_scale && LooksUnitScale(max_abs)) WarnUnitScale(name);
  py::list out;
  for (Matrix& m : outputs) out.append(ToArray(std::move(m)));
  return out;
}

}  // namespace

void BindFeatures(py::module_& m) {
  m.def("_compute", &Compute, py::arg("feature"), py::arg("samples"), py::arg("options"),
        py::arg("channel"), py::arg("scale"), py::arg("check_scale"));
  m.def("_compute_batch", &ComputeBatch, py::arg("feature"), py::arg("batch"), py::arg("options"),
        py::arg("channel"), py::arg("scale"), py::arg("check_scale"), py::arg("num_threads"));
  m.def("_feature_dim", [](const std::string& name, const py::dict& values) {
    return MakeFeatureComputer(FeatureOptionsFrom(name, values))->Dim();
  });
}

}  // namespace python
}  // namespace featpool
