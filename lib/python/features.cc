// Feature extraction from arrays: one waveform (_compute) or a batch over
// threads (_compute_batch), for any feature type of the registry. The
// Python layer gives each type its function and keywords from the tables;
// here the type is a name and the options a dict.

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
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
// the samples, compute, check the features as the command checks a file,
// then the stages (if any) as `featpool extract` runs them.
Matrix ComputeOne(const FeatureOptions& opts, const StageChain* stages, Samples* s, float scale,
                  const std::string& source) {
  PrepareSamples(s, scale, source);
  Matrix features = ComputeFeatures(opts, opts.frame_opts().samp_freq, s->data, s->count);
  if (features.rows() == 0) {
    throw Error(ShortInputMessage(source, s->count, opts.frame_opts()));
  }
  CheckFinite(features.View(), source);
  if (stages == nullptr) return features;
  try {
    return ApplyStages(*stages, std::move(features));
  } catch (const OptionError& e) {
    throw e.WithContext(source);
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
}

// A result as an array; a chain's empty result keeps the chain's width.
py::array_t<float> ToArrayOfWidth(Matrix&& m, const StageChain* chain) {
  if (m.rows() == 0 && chain != nullptr) {
    return py::array_t<float>(std::vector<py::ssize_t>{0, chain->Dim()});
  }
  return ToArray(std::move(m));
}

// Whether samples of this size look like [-1, 1] audio given to an
// int16-scale feature.
bool LooksUnitScale(float max_abs) { return max_abs > 0.0f && max_abs <= 1.0f; }

py::array_t<float> Compute(const std::string& name, const FloatArray& samples,
                           const py::dict& values, std::optional<int32_t> channel, float scale,
                           bool check_scale, const py::object& stages, const py::object& pool,
                           const std::string& batch_name) {
  const FeatureOptions opts = FeatureOptionsFrom(name, values);
  const std::shared_ptr<const StageChain> chain = ChainOf(opts, stages, pool);
  Samples s = GetSamples(samples, channel, batch_name.empty() ? name + "_batch" : batch_name,
                         "samples");
  Matrix features;
  {
    py::gil_scoped_release release;
    features = ComputeOne(opts, chain.get(), &s, scale, "samples");
  }
  if (check_scale && LooksUnitScale(s.max_abs)) WarnUnitScale(name);
  return ToArrayOfWidth(std::move(features), chain.get());
}

py::list ComputeBatch(const std::string& name, const std::vector<FloatArray>& batch,
                      const py::dict& values, std::optional<int32_t> channel, float scale,
                      bool check_scale, int32_t num_threads, const py::object& stages,
                      const py::object& pool, const std::string& batch_name) {
  if (num_threads < 0) {
    throw Error("invalid num_threads=" + std::to_string(num_threads) +
                ": expected 0 (one per core) or more");
  }
  const FeatureOptions opts = FeatureOptionsFrom(name, values);
  const std::shared_ptr<const StageChain> chain = ChainOf(opts, stages, pool);
  const size_t n = batch.size();
  std::vector<Samples> inputs;
  inputs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    inputs.push_back(
        GetSamples(batch[i], channel, batch_name.empty() ? name + "_batch" : batch_name,
                   "samples[" + std::to_string(i) + "]"));
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
          outputs[i] = ComputeOne(opts, chain.get(), &inputs[i], scale,
                                  "samples[" + std::to_string(i) + "]");
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
  for (Matrix& m : outputs) {
    out.append(ToArrayOfWidth(std::move(m), chain.get()));
  }
  return out;
}

}  // namespace

std::shared_ptr<const StageChain> ChainOf(const FeatureOptions& opts, const py::object& stages,
                                          const py::object& pool) {
  if (stages.is_none() && pool.is_none()) return nullptr;
  StageOptions stage_opts =
      StageOptionsFrom(stages.is_none() ? py::dict() : stages.cast<py::dict>());
  if (!pool.is_none()) stage_opts.pool = PoolOptionsFrom(pool.cast<py::dict>());
  auto chain = std::make_shared<const StageChain>(stage_opts, MakeFeatureComputer(opts)->Dim());
  return chain->Empty() ? nullptr : chain;
}

void BindFeatures(py::module_& m) {
  // stages / pool: the stage and pooling tables' keywords (None: that part
  // off); batch_name: the function a 2-D input is pointed to.
  m.def("_compute", &Compute, py::arg("feature"), py::arg("samples"), py::arg("options"),
        py::arg("channel"), py::arg("scale"), py::arg("check_scale"),
        py::arg("stages") = py::none(), py::arg("pool") = py::none(),
        py::arg("batch_name") = "");
  m.def("_compute_batch", &ComputeBatch, py::arg("feature"), py::arg("batch"), py::arg("options"),
        py::arg("channel"), py::arg("scale"), py::arg("check_scale"), py::arg("num_threads"),
        py::arg("stages") = py::none(), py::arg("pool") = py::none(),
        py::arg("batch_name") = "");
  m.def(
      "_feature_dim",
      [](const std::string& name, const py::dict& values, const py::object& stages,
         const py::object& pool) {
        const FeatureOptions opts = FeatureOptionsFrom(name, values);
        const std::shared_ptr<const StageChain> chain = ChainOf(opts, stages, pool);
        return chain ? chain->Dim() : MakeFeatureComputer(opts)->Dim();
      },
      py::arg("feature"), py::arg("options"), py::arg("stages") = py::none(),
      py::arg("pool") = py::none());
}

}  // namespace python
}  // namespace featpool
