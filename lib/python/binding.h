// What the binding's files share (lib/python/*.cc): array conversion, the
// samples a feature function reads, and the option tables as Python values.
// The Python-facing layer (featpool/__init__.py) builds every public
// function and options class from what these files export, so keywords are
// never written by hand.
//
// Thread safety: everything here runs with the GIL held, except where a
// function says it releases it.
#ifndef FEATPOOL_PYTHON_BINDING_H_
#define FEATPOOL_PYTHON_BINDING_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "featpool/batch.h"
#include "featpool/feature-options.h"
#include "featpool/matrix.h"
#include "featpool/pooler.h"
#include "featpool/stage.h"

namespace featpool {
namespace python {

namespace py = pybind11;

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// errors.cc: featpool.Error and featpool.SampleScaleWarning; OptionError is
// rendered with Python's spelling (keys as keywords, True / False).
void BindErrors(py::module_& m);
// The warning category for unit-scale audio given to an int16-scale feature.
PyObject* SampleScaleWarning();

// options.cc: the tables as lists of field descriptions, and Python values
// applied to options structs.
void BindOptions(py::module_& m);
// Options of feature type `name` with `values` (key -> Python value)
// applied to its defaults, validated (the computer is built once).
FeatureOptions FeatureOptionsFrom(const std::string& name, const py::dict& values);
// Pooling options from `values`; kernel=None is (2, 2) for the window modes.
PoolOptions PoolOptionsFrom(const py::dict& values);
// The stages' options (stage.h) from `values`, type and range checked (the
// chain itself is validated when built for an input dim).
StageOptions StageOptionsFrom(const py::dict& values);
// A dataset run's own options (BatchRequest's table, batch.h) from `values`.
void ApplyBatchValues(const py::dict& values, BatchRequest* request);

// audio.cc: read_audio(), and the samples of one call.
void BindAudio(py::module_& m);

// One waveform as a feature function reads it: 1-D, or 2-D [channels,
// samples] of which `channel` is taken (rows > 8 is an error suggesting the
// batch function `batch_name`). Values are scaled by `scale` (1, 32768 or
// 1/32768) and checked to be finite.
struct Samples {
  FloatArray array;           // keeps the buffer alive while the GIL is released
  std::vector<float> copied;  // mixed or scaled samples
  const float* data = nullptr;
  int64_t count = 0;
  float max_abs = 0;  // after scaling
};
// `source` names the input in messages ("samples", "samples[3]").
Samples GetSamples(const FloatArray& array, std::optional<int32_t> channel,
                   const std::string& batch_name, const std::string& source);
// Scales (copying if scale != 1), checks finiteness and measures max |x|;
// touches no Python object (may run without the GIL).
void PrepareSamples(Samples* s, float scale, const std::string& source);
// Warns once per process that int16-scale features got unit-scale samples.
void WarnUnitScale(const std::string& feature);

// Hands a Matrix / vector to NumPy without copying: the array owns it.
py::array_t<float> ToArray(Matrix&& matrix);
py::array_t<float> ToArray(std::vector<float>&& samples);

// features.cc: _compute, _compute_batch and the registry's feature types.
void BindFeatures(py::module_& m);
// The stage chain of `stages` (keywords of the stage table, or None) and
// `pool` (the pooling table's, or None) over the features of `opts`; null
// when no stage is on (validated either way, as the command does).
std::shared_ptr<const StageChain> ChainOf(const FeatureOptions& opts, const py::object& stages,
                                          const py::object& pool);
// pooling.cc: _pool.
void BindPooling(py::module_& m);
// streaming.cc: _OnlineExtractor, _OnlinePooler.
void BindStreaming(py::module_& m);
// stages.cc: _apply_stages.
void BindStages(py::module_& m);
// plot.cc: plot().
void BindPlot(py::module_& m);
// presets.cc: the preset directory, its presets, a config file's lines.
void BindPresets(py::module_& m);
// dataset.cc: _extract_dataset.
void BindDataset(py::module_& m);

}  // namespace python
}  // namespace featpool

#endif  // FEATPOOL_PYTHON_BINDING_H_
