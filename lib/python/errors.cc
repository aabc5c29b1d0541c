// featpool.Error (a ValueError) for every library error, and the rendering
// of an OptionError in Python's spelling: the key is the keyword as it is
// (the tables' keys are Python's keywords), a boolean value is True or
// False. No message is re-spelled after the fact.
#include <set>
#include <string>

#include "binding.h"
#include "featpool/error.h"
#include "featpool/feature-registry.h"
#include "featpool/options.h"
#include "featpool/stage.h"

namespace featpool {
namespace python {
namespace {

PyObject* g_sample_scale_warning = nullptr;

// Keys whose values are booleans in some table.
const std::set<std::string>& BoolKeys() {
  static const std::set<std::string> keys = [] {
    std::set<std::string> out;
    OptionLambda v([&](const OptionInfo& info, const OptionRef& ref) {
      if (ref.type() == OptionType::kBool) out.insert(info.key);
    });
    for (const FeatureTypeInfo& type : FeatureTypes()) {
      FeatureOptions opts = DefaultFeatureOptions(type.type);
      opts.VisitOptions(v);
    }
    PoolOptions pool;
    pool.VisitOptions(v);
    StageOptions stages;
    stages.VisitOptions(v);
    return out;
  }();
  return keys;
}

std::string PythonText(const OptionError& e) {
  std::optional<std::string> value = e.value();
  if (value && BoolKeys().count(e.key()) > 0) {
    if (*value == "true") value = "True";
    if (*value == "false") value = "False";
  }
  return OptionError(e.key(), value, e.reason(), e.context()).what();
}

}  // namespace

PyObject* SampleScaleWarning() { return g_sample_scale_warning; }

void BindErrors(py::module_& m) {
  static py::exception<Error> error(m, "Error", PyExc_ValueError);
  error.attr("__doc__") =
      "A featpool error: bad options (named by their keyword), unreadable audio, input "
      "that cannot give features. A ValueError.";
  error.attr("__module__") = "featpool";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const OptionError& e) {
      PyErr_SetString(error.ptr(), PythonText(e).c_str());
    } catch (const Error& e) {
      PyErr_SetString(error.ptr(), e.what());
    }
  });
  g_sample_scale_warning =
      PyErr_NewExceptionWithDoc("featpool.SampleScaleWarning",
                                "Samples in [-1, 1] given to a feature computed on Kaldi's "
                                "integer scale without sample_scale='unit'.",
                                PyExc_UserWarning, nullptr);
  if (g_sample_scale_warning == nullptr) throw py::error_already_set();
  m.attr("SampleScaleWarning") = py::handle(g_sample_scale_warning);
}

}  // namespace python
}  // namespace featpool
