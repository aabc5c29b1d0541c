// featpool._featpool, the compiled half of `import featpool`: one file per
// concept (errors, options, audio, features, pooling, streaming, stages,
// plot, presets). The
// public functions, their keywords and the options classes are made by
// featpool/__init__.py from the tables this module exports.
//
// NumPy in, NumPy out: C-contiguous float32 input is read in place, results
// are moved into the returned arrays, and the GIL is released while
// features are computed or pooled.
#include "binding.h"
#include "featpool/version.h"

PYBIND11_MODULE(_featpool, m) {
  using namespace featpool::python;
  m.doc() = "Kaldi-exact features and PyTorch-exact pooling (the compiled part of featpool).";
  BindErrors(m);
  m.def("version", &featpool::version, "featpool's semantic version, MAJOR.MINOR.PATCH.");
  BindOptions(m);
  BindAudio(m);
  BindFeatures(m);
  BindPooling(m);
  BindStreaming(m);
  BindStages(m);
  BindPlot(m);
  BindPresets(m);
  BindDataset(m);
}
