#include "featpool/command-presets.h"

#include <algorithm>
#include <vector>

#include "featpool/error.h"
#include "featpool/presets.h"

#ifndef FEATPOOL_SOURCE_PRESET_DIR
#define FEATPOOL_SOURCE_PRESET_DIR ""
#endif

namespace featpool {
namespace cli {

std::string PresetDirectory() {
  const std::string dir =
      FindPresetDirectory({PresetDirectoryBesideExecutable(), FEATPOOL_SOURCE_PRESET_DIR});
  if (!dir.empty()) return dir;
  throw Error(
      "no preset directory: neither share/featpool/conf/presets beside the featpool "
      "executable nor the source tree's data/conf/presets exists (set FEATPOOL_PRESET_DIR)");
}

std::string PresetPath(const std::string& name) {
  if (!IsPresetName(name)) {
    throw Error("invalid --preset='" + name +
                "': a preset is a name (letters, digits, '-', '_', '.'); use --config=FILE for a "
                "file");
  }
  const std::vector<PresetInfo> presets = ListPresets(PresetDirectory());
  for (const PresetInfo& p : presets) {
    if (p.name == name) return p.path;
  }
  std::string known;
  for (const PresetInfo& p : presets) known += (known.empty() ? "" : ", ") + p.name;
  throw Error("unknown --preset=" + name + ": expected one of " +
              (known.empty() ? std::string("(none installed)") : known) +
              " (featpool extract --list-presets)");
}

std::string PresetListText() {
  const std::vector<PresetInfo> presets = ListPresets(PresetDirectory());
  size_t width = 0;
  for (const PresetInfo& p : presets) width = std::max(width, p.name.size());
  std::string text;
  for (const PresetInfo& p : presets) {
    text += p.name + std::string(width - p.name.size() + 2, ' ') + p.description + "\n";
  }
  return text;
}

}  // namespace cli
}  // namespace featpool
