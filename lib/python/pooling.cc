// Pooling of a [time, freq] matrix with PyTorch's semantics (pooler.h); the
// options come as a dict from the Python layer, whose keywords are the
// pooling table's.
#include <string>
#include <vector>

#include "binding.h"
#include "featpool/error.h"
#include "featpool/pooler.h"

namespace featpool {
namespace python {
namespace {

py::object Pool(const FloatArray& matrix, const py::dict& values) {
  if (matrix.ndim() != 2) {
    throw Error("pool() takes a 2-D [time, freq] matrix, not " + std::to_string(matrix.ndim()) +
                "-D");
  }
  const PoolOptions opts = PoolOptionsFrom(values);
  const Pooler pooler(opts);
  const MatrixView in{matrix.data(), matrix.shape(0), matrix.shape(1)};
  const PoolSize shape = pooler.OutputShape(in.rows, in.cols);
  py::array_t<float> out(std::vector<py::ssize_t>{shape.time, shape.freq});
  py::array_t<int64_t> indices;
  int64_t* index_data = nullptr;
  if (opts.return_indices) {
    indices = py::array_t<int64_t>(std::vector<py::ssize_t>{shape.time, shape.freq});
    index_data = indices.mutable_data();
  }
  float* out_data = out.mutable_data();
  {
    py::gil_scoped_release release;
    pooler.Apply(in, out_data, index_data);
  }
  if (opts.return_indices) return py::make_tuple(out, indices);
  return std::move(out);
}

}  // namespace

void BindPooling(py::module_& m) { m.def("_pool", &Pool, py::arg("matrix"), py::arg("options")); }

}  // namespace python
}  // namespace featpool
