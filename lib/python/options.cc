// The option tables (options.h) as Python sees them: each field's keyword,
// kind, default, help and unit for the Python layer to build signatures,
// options classes and stubs from, and Python values applied to an options
// struct through the tables' typed setters (which check types and ranges).
// Nothing here names an option: a new field or feature type appears in
// Python without an edit.

#include "featpool/options.h"

#include <climits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "binding.h"
#include "featpool/batch.h"
#include "featpool/error.h"
#include "featpool/feature-registry.h"
#include "featpool/stage.h"

namespace featpool {
namespace python {
namespace {

using Field = std::pair<OptionInfo, OptionRef>;

template <class Options>
std::vector<Field> FieldsOf(Options* opts) {
  std::vector<Field> fields;
  OptionLambda v(
      [&](const OptionInfo& info, const OptionRef& ref) { fields.emplace_back(info, ref); });
  opts->VisitOptions(v);
  return fields;
}

const char* KindName(OptionType type) {
  switch (type) {
    case OptionType::kBool:
      return "bool";
    case OptionType::kInt32:
    case OptionType::kInt64:
    case OptionType::kUint32:
      return "int";
    case OptionType::kFloat:
    case OptionType::kDouble:
      return "float";
    case OptionType::kString:
      return "str";
    case OptionType::kChoice:
      return "choice";
    case OptionType::kSize:
      return "size";
    case OptionType::kOptSize:
      return "opt_size";
  }
  return "str";
}

py::object SizeValue(const PoolSize& s) {
  auto one = [](int64_t v) -> py::object {
    if (v == kKeep) return py::none();
    return py::int_(v);
  };
  if (s.time == s.freq) return one(s.time);
  return py::make_tuple(one(s.time), one(s.freq));
}

// The field's current value as a Python object.
py::object ValueOf(const OptionInfo& info, const OptionRef& ref) {
  void* p = ref.pointer();
  switch (ref.type()) {
    case OptionType::kBool:
      return py::bool_(*static_cast<bool*>(p));
    case OptionType::kInt32:
    case OptionType::kInt64:
    case OptionType::kUint32: {
      const int64_t v = ref.type() == OptionType::kInt32    ? *static_cast<int32_t*>(p)
                        : ref.type() == OptionType::kUint32 ? *static_cast<uint32_t*>(p)
                                                            : *static_cast<int64_t*>(p);
      if (info.zero_means_unset && v == 0) return py::none();
      return py::int_(v);
    }
    case OptionType::kFloat:
      // The shortest text of the float32 read as a double: 0.97, not
      // 0.9700000286102295.
      return py::float_(std::stod(ref.Text()));
    case OptionType::kDouble:
      return py::float_(*static_cast<double*>(p));
    case OptionType::kString:
    case OptionType::kChoice:
      return py::str(ref.Text());
    case OptionType::kSize:
      return SizeValue(*static_cast<PoolSize*>(p));
    case OptionType::kOptSize: {
      const auto& s = *static_cast<std::optional<PoolSize>*>(p);
      return s ? SizeValue(*s) : py::none();
    }
  }
  return py::none();
}

std::string Repr(const py::handle& value) { return py::repr(value).cast<std::string>(); }

bool IsBool(const py::handle& value) {
  if (py::isinstance<py::bool_>(value)) return true;
  const std::string type = py::type::of(value).attr("__name__").cast<std::string>();
  return type == "bool_" || type == "bool8";
}

bool IsInteger(const py::handle& value) {
  return !IsBool(value) && PyIndex_Check(value.ptr()) != 0;
}

// An integer value (int or a NumPy integer); OptionError if it does not
// fit in 64 bits.
int64_t IntegerOf(const OptionInfo& info, const py::handle& value, const py::handle& whole) {
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(value.ptr()));
  if (!index) throw py::error_already_set();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (overflow != 0) throw OptionError(info.key, Repr(whole), "is out of range");
  return v;
}

PoolSize SizeOf(const OptionInfo& info, const py::handle& value) {
  const std::string what = std::string(info.key) + " must be an int or a pair of ints" +
                           (info.allow_keep ? " (None keeps an axis)" : "");
  auto one = [&](const py::handle& v) -> int64_t {
    if (info.allow_keep && v.is_none()) return kKeep;
    if (!IsInteger(v)) throw py::type_error(what + ", got " + Repr(value));
    return IntegerOf(info, v, value);
  };
  if (py::isinstance<py::sequence>(value) && !py::isinstance<py::str>(value)) {
    const py::sequence seq = value.cast<py::sequence>();
    if (seq.size() != 2) {
      throw py::type_error(std::string(info.key) + " must have 2 entries (time, freq), got " +
                           std::to_string(seq.size()));
    }
    return {one(seq[0]), one(seq[1])};
  }
  const int64_t v = one(value);
  return {v, v};
}

// Sets one field from a Python value: the type is checked here (TypeError,
// as Python does for a wrong type), the range by the table's setters
// (OptionError).
void SetValue(const OptionInfo& info, const OptionRef& ref, const py::handle& value) {
  const std::string key = info.key;
  switch (ref.type()) {
    case OptionType::kBool:
      if (!IsBool(value)) {
        throw py::type_error(key + " must be True or False, got " + Repr(value));
      }
      ref.SetBool(info, PyObject_IsTrue(value.ptr()) == 1);
      return;
    case OptionType::kInt32:
    case OptionType::kInt64:
    case OptionType::kUint32:
      if (info.zero_means_unset && value.is_none()) {
        // Unset (SetInt refuses an explicit 0).
        if (ref.type() == OptionType::kInt32) *static_cast<int32_t*>(ref.pointer()) = 0;
        if (ref.type() == OptionType::kInt64) *static_cast<int64_t*>(ref.pointer()) = 0;
        if (ref.type() == OptionType::kUint32) *static_cast<uint32_t*>(ref.pointer()) = 0;
        return;
      }
      if (!IsInteger(value)) throw py::type_error(key + " must be an int, got " + Repr(value));
      ref.SetInt(info, IntegerOf(info, value, value));
      return;
    case OptionType::kFloat:
    case OptionType::kDouble: {
      if (IsBool(value) ||
          (!IsInteger(value) && !PyFloat_Check(value.ptr()) && !py::hasattr(value, "__float__"))) {
        throw py::type_error(key + " must be a number, got " + Repr(value));
      }
      const double v = PyFloat_AsDouble(value.ptr());
      if (v == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        throw OptionError(info.key, Repr(value), "is out of range");
      }
      ref.SetDouble(info, v);
      return;
    }
    case OptionType::kString:
    case OptionType::kChoice:
      if (!py::isinstance<py::str>(value)) {
        throw py::type_error(key + " must be a str, got " + Repr(value));
      }
      ref.SetText(info, value.cast<std::string>());
      return;
    case OptionType::kSize:
      *static_cast<PoolSize*>(ref.pointer()) = SizeOf(info, value);
      return;
    case OptionType::kOptSize: {
      auto& s = *static_cast<std::optional<PoolSize>*>(ref.pointer());
      if (value.is_none()) {
        s.reset();
      } else {
        s = SizeOf(info, value);
      }
      return;
    }
  }
}

template <class Options>
void ApplyValues(Options* opts, const py::dict& values, const std::string& owner) {
  const std::vector<Field> fields = FieldsOf(opts);
  for (const auto& item : values) {
    const std::string key = py::str(item.first);
    const Field* field = nullptr;
    for (const Field& f : fields) {
      if (key == f.first.key) field = &f;
    }
    if (field == nullptr) throw OptionError(key, std::nullopt, "is not an option of " + owner);
    SetValue(field->first, field->second, item.second);
  }
}

template <class Options>
py::list Describe(Options* opts) {
  py::list out;
  for (const Field& f : FieldsOf(opts)) {
    const OptionInfo& info = f.first;
    py::dict d;
    d["key"] = info.key;
    d["kind"] = KindName(f.second.type());
    d["default"] = ValueOf(info, f.second);
    d["help"] = info.help;
    d["unit"] = info.unit;
    d["applies_to"] = info.applies_to;
    d["allow_keep"] = info.allow_keep;
    d["optional"] = info.zero_means_unset;
    d["choices"] = f.second.type() == OptionType::kChoice ? py::cast(f.second.choices())
                                                          : py::object(py::none());
    out.append(d);
  }
  return out;
}

template <class Options>
py::dict ValuesOf(Options* opts) {
  py::dict out;
  for (const Field& f : FieldsOf(opts)) out[f.first.key] = ValueOf(f.first, f.second);
  return out;
}

// Sets `key` of `opts` from a config file's text and returns its Python
// value; nullopt if the struct has no such key. A bad value is an
// OptionError about `keyword` at `origin`.
template <class Options>
std::optional<py::object> TextValue(Options* opts, const std::string& key,
                                    const std::string& keyword, const std::string& text,
                                    const std::string& origin, const std::string& flag,
                                    bool has_value) {
  std::optional<py::object> out;
  OptionLambda v([&](const OptionInfo& info, const OptionRef& ref) {
    if (out || key != info.key) return;
    if (!has_value && ref.type() != OptionType::kBool) {
      throw Error((origin.empty() ? "" : origin + ": ") + flag + " needs a value (" + flag +
                  "=VALUE)");
    }
    try {
      ref.SetText(info, text);
    } catch (const OptionError& e) {
      throw OptionError(keyword, e.value(), e.reason(), origin);
    }
    out = ValueOf(info, ref);
  });
  opts->VisitOptions(v);
  return out;
}

// One line of a config file ("--name=value", with its "FILE:LINE") as the
// keyword featpool.extract() takes and its value, by the tables: --feature,
// a feature type's option, a stage's, --pool (the mode) and --pool-KEY. A
// name no table has is an Error at the line, as in the command.
py::tuple ConfigValue(const std::string& text, const std::string& origin) {
  const std::string where = origin.empty() ? "" : origin + ": ";
  if (text.size() < 3 || text.compare(0, 2, "--") != 0) {
    throw Error(where + "expected --name=value, got '" + text + "'");
  }
  const size_t equals = text.find('=');
  const std::string name = text.substr(0, equals);
  const std::string key = KeyFromFlag(name.substr(2));
  const bool has_value = equals != std::string::npos;
  const std::string value = has_value ? text.substr(equals + 1) : "";
  if (has_value && value.empty()) {
    throw Error(where + name + " needs a value: got an empty '" + text + "'");
  }
  std::optional<py::object> out;
  if (key == "feature") {
    if (!has_value) throw Error(where + name + " needs a value (" + name + "=VALUE)");
    FindFeatureType(value);  // throws for an unknown type
    out = py::str(value);
  }
  for (const FeatureTypeInfo& type : FeatureTypes()) {
    if (out) break;
    FeatureOptions opts = DefaultFeatureOptions(type.type);
    out = TextValue(&opts, key, key, value, origin, name, has_value);
  }
  if (!out) {
    StageOptions stages;
    out = TextValue(&stages, key, key, value, origin, name, has_value);
  }
  if (!out && (key == "pool" || key.rfind("pool_", 0) == 0)) {
    const std::string pool_key = key == "pool" ? "mode" : key.substr(5);
    if (pool_key != "mode" || key == "pool") {
      if (pool_key != "return_indices") {
        PoolOptions pool;
        out = TextValue(&pool, pool_key, key, value, origin, name, has_value);
      }
    }
  }
  if (!out) throw Error(where + "unknown option " + name);
  return py::make_tuple(key, *out);
}

bool IsWindowMode(PoolMode mode) {
  return mode == PoolMode::kMax || mode == PoolMode::kAvg || mode == PoolMode::kLp;
}

}  // namespace

FeatureOptions FeatureOptionsFrom(const std::string& name, const py::dict& values) {
  const FeatureTypeInfo& type = FindFeatureType(name);
  FeatureOptions opts = DefaultFeatureOptions(type.type);
  ApplyValues(&opts, values, name);
  MakeFeatureComputer(opts);  // validates the combination
  return opts;
}

PoolOptions PoolOptionsFrom(const py::dict& values) {
  PoolOptions opts;
  py::dict given;
  bool kernel_none = !values.contains("kernel");
  for (const auto& item : values) {
    if (py::str(item.first).cast<std::string>() == "kernel" && item.second.is_none()) {
      kernel_none = true;
    } else {
      given[item.first] = item.second;
    }
  }
  ApplyValues(&opts, given, "pooling");
  // kernel=None: torch has no default; (2, 2) for the window modes, as
  // featpool's Python API has always taken it.
  if (kernel_none && IsWindowMode(opts.mode)) opts.kernel = {2, 2};
  opts.Validate();
  return opts;
}

StageOptions StageOptionsFrom(const py::dict& values) {
  StageOptions opts;
  ApplyValues(&opts, values, "the stages");
  return opts;
}

void ApplyBatchValues(const py::dict& values, BatchRequest* request) {
  ApplyValues(request, values, "extract_dataset");
}

void BindOptions(py::module_& m) {
  m.def("_feature_types", [] {
    py::list out;
    for (const FeatureTypeInfo& type : FeatureTypes()) {
      FeatureOptions opts = DefaultFeatureOptions(type.type);
      py::dict d;
      d["name"] = type.name;
      d["help"] = type.help;
      d["sample_scale"] = type.sample_scale;
      d["fields"] = Describe(&opts);
      out.append(d);
    }
    return out;
  });
  m.def("_feature_options", [](const std::string& name, const py::dict& values) {
    FeatureOptions opts = FeatureOptionsFrom(name, values);
    return ValuesOf(&opts);
  });
  m.def("_pool_fields", [] {
    PoolOptions opts;
    py::list fields = Describe(&opts);
    for (py::handle f : fields) {
      if (f["key"].cast<std::string>() == "kernel") f["default"] = py::none();
    }
    return fields;
  });
  m.def("_stage_fields", [] {
    StageOptions opts;
    return Describe(&opts);
  });
  m.def("_batch_fields", [] {
    BatchRequest request;
    return Describe(&request);
  });
  m.def("_stage_options", [](const py::dict& values) {
    StageOptions opts = StageOptionsFrom(values);
    return ValuesOf(&opts);
  });
  m.def("_config_value", &ConfigValue, py::arg("text"), py::arg("origin"));
  m.def("_pool_options", [](const py::dict& values) {
    PoolOptions opts = PoolOptionsFrom(values);
    py::dict out = ValuesOf(&opts);
    if (opts.kernel == PoolSize{0, 0}) out["kernel"] = py::none();
    return out;
  });
}

}  // namespace python
}  // namespace featpool
