// Presets (featpool/presets.h) and config files (featpool/config-file.h) as
// the Python layer reads them: the directory (the package's own presets,
// after $FEATPOOL_PRESET_DIR), the list, and a file's lines with their
// FILE:LINE, read by the library's reader with the command's limits. The
// lines become keywords in options.cc (_config_value).
#include <string>
#include <utility>
#include <vector>

#include "binding.h"
#include "featpool/config-file.h"
#include "featpool/error.h"
#include "featpool/presets.h"

namespace featpool {
namespace python {
namespace {

std::string PresetDirectoryOf(const std::vector<std::string>& candidates) {
  const std::string dir = FindPresetDirectory(candidates);
  if (dir.empty()) {
    std::string tried;
    for (const std::string& c : candidates) tried += (tried.empty() ? "" : ", ") + c;
    throw Error("no preset directory: none of " + tried +
                " exists (a featpool package without its presets; set FEATPOOL_PRESET_DIR)");
  }
  return dir;
}

py::list Presets(const std::string& dir) {
  py::list out;
  for (const PresetInfo& p : ListPresets(dir)) {
    out.append(py::make_tuple(p.name, p.description, p.path));
  }
  return out;
}

// The lines of config file `path`; a --preset=NAME line inside it reads
// NAME from `dir`.
std::vector<std::pair<std::string, std::string>> ReadConfig(const std::string& path,
                                                            const std::string& dir) {
  const PresetResolver preset = [dir](const std::string& name) {
    if (const auto p = FindPreset(dir, name)) return p->path;
    std::string known;
    for (const PresetInfo& p : ListPresets(dir)) known += (known.empty() ? "" : ", ") + p.name;
    throw Error("unknown preset '" + name + "' (a --preset line of a config file): expected " +
                (known.empty() ? std::string("one of (none installed)") : "one of " + known));
  };
  std::vector<std::pair<std::string, std::string>> out;
  for (const ConfigArgument& a : ReadConfigFile(path, preset)) out.emplace_back(a.text, a.origin);
  return out;
}

}  // namespace

void BindPresets(py::module_& m) {
  m.def("_preset_directory", &PresetDirectoryOf, py::arg("candidates"));
  m.def("_presets", &Presets, py::arg("directory"));
  m.def("_read_config", &ReadConfig, py::arg("path"), py::arg("directory"));
}

}  // namespace python
}  // namespace featpool
