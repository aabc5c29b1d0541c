// featpool.extract_dataset(): a dataset run (featpool/batch.h) from Python's
// keywords, through the same BatchRequest and MakeBatchConfig() as
// `featpool extract`, so the outputs and manifests are the command's byte
// for byte. The GIL is released while it runs; a KeyboardInterrupt (Ctrl-C)
// stops it as a signal stops the command (resumable: every finished
// utterance is in the manifest journal) and is raised when it has stopped.

#include "featpool/batch.h"

#include <signal.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "binding.h"
#include "featpool/error.h"
#include "featpool/feature-registry.h"

namespace featpool {
namespace python {
namespace {

// Keeps the failures' messages and polls Python's signal handlers from the
// thread that runs the batch (Python code runs signal handlers on the main
// thread only: called from another thread, a run is not interruptible).
class PythonObserver : public BatchObserver {
 public:
  void FailedBefore(const Utterance& /*u*/, const std::string& message) override {
    errors_.push_back(message + " (recorded by an earlier run)");
  }
  void Failed(const Utterance& /*u*/, const std::string& message) override {
    errors_.push_back(message);
  }
  void Progress(const BatchProgress& /*progress*/, bool /*ticked*/) override { PollSignals(); }
  int StopRequested() override { return stop_.load(); }

  const std::vector<std::string>& errors() const { return errors_; }
  // With the GIL: raises what a signal handler raised (KeyboardInterrupt).
  void RaisePending() {
    if (pending_) {
      pending_->restore();
      pending_.reset();
      throw py::error_already_set();
    }
  }

 private:
  void PollSignals() {
    if (stop_.load() != 0) return;
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      pending_ = std::make_unique<py::error_already_set>();
      stop_.store(SIGINT);
    }
  }

  std::atomic<int> stop_{0};
  std::unique_ptr<py::error_already_set> pending_;
  std::vector<std::string> errors_;
};

py::dict ExtractDataset(const std::vector<std::string>& inputs, const std::string& output,
                        const std::string& feature, const py::dict& feature_values,
                        const py::dict& stage_values, const std::optional<py::dict>& pool_values,
                        const py::dict& batch_values) {
  BatchRequest request;
  request.inputs = inputs;
  request.output = output;
  request.features = FeatureOptionsFrom(feature, feature_values);
  request.stages = StageOptionsFrom(stage_values);
  if (pool_values) request.stages.pool = PoolOptionsFrom(*pool_values);
  ApplyBatchValues(batch_values, &request);
  // As the command reads audio for these features (FeatureFlags).
  request.audio.target_sample_rate = request.features.frame_opts().samp_freq;
  request.audio.full_scale = FullScaleSample(request.features.type);
  const BatchConfig config = MakeBatchConfig(request);

  PythonObserver observer;
  BatchSummary s;
  {
    py::gil_scoped_release release;
    s = RunBatch(config, &observer);
  }
  observer.RaisePending();
  py::dict out;
  out["ok"] = s.ok;
  out["failed"] = s.failed;
  out["already_done"] = s.already_done;
  out["failed_before"] = s.failed_before;
  out["short"] = s.short_now;
  out["short_before"] = s.short_before;
  out["resampled"] = s.resampled;
  out["segments"] = s.segments;
  out["recordings_decoded"] = s.recordings_decoded;
  out["audio_seconds"] = s.audio_seconds;
  out["wall_seconds"] = s.wall_seconds;
  out["stopped"] = s.stopped;
  out["exit_status"] = s.exit_status;
  out["errors"] = observer.errors();
  return out;
}

}  // namespace

void BindDataset(py::module_& m) {
  m.def("_extract_dataset", &ExtractDataset, py::arg("inputs"), py::arg("output"),
        py::arg("feature"), py::arg("feature_values"), py::arg("stage_values"),
        py::arg("pool_values"), py::arg("batch_values"));
}

}  // namespace python
}  // namespace featpool
