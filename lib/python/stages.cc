// The stage chain after the features (stage.h): CMVN, deltas, splicing,
// normalisations and pooling over a [frames, dim] matrix, offline. The
// options come as dicts whose keys are the stage and pooling tables'.
#include <string>

#include "binding.h"
#include "featpool/error.h"
#include "featpool/stage.h"

namespace featpool {
namespace python {
namespace {

py::array_t<float> ApplyStagesTo(const FloatArray& matrix, const py::dict& values,
                                 const py::object& pool) {
  if (matrix.ndim() != 2) {
    throw Error("apply_stages() takes a 2-D [frames, dim] matrix, not " +
                std::to_string(matrix.ndim()) + "-D");
  }
  StageOptions opts = StageOptionsFrom(values);
  if (!pool.is_none()) opts.pool = PoolOptionsFrom(pool.cast<py::dict>());
  const StageChain chain(opts, matrix.shape(1));
  const MatrixView in{matrix.data(), matrix.shape(0), matrix.shape(1)};
  Matrix out;
  {
    py::gil_scoped_release release;
    out = ApplyStages(chain, in);
  }
  if (out.rows() == 0) return py::array_t<float>(std::vector<py::ssize_t>{0, chain.Dim()});
  return ToArray(std::move(out));
}

}  // namespace

void BindStages(py::module_& m) {
  m.def("_apply_stages", &ApplyStagesTo, py::arg("matrix"), py::arg("options"), py::arg("pool"));
}

}  // namespace python
}  // namespace featpool
