// Named configurations: a preset NAME is the config file NAME.conf
// (config-file.h) in a preset directory, read exactly as --config reads a
// file, so whatever is given after it overrides what it sets. The first
// line of a preset, a "# " comment, is its one-line description.
//
// Where the directory is depends on the frontend (the command looks beside
// its executable, the Python module in its package): each passes its
// candidates to FindPresetDirectory(), which honours $FEATPOOL_PRESET_DIR
// first. Nothing is printed; errors are featpool::Error.
#ifndef FEATPOOL_PRESETS_H_
#define FEATPOOL_PRESETS_H_

#include <optional>
#include <string>
#include <vector>

namespace featpool {

struct PresetInfo {
  std::string name;         // "kaldi-fbank-80"
  std::string path;         // its .conf file
  std::string description;  // the first line's "# " comment, or ""
};

// $FEATPOOL_PRESET_DIR if set (Error if it is not a directory), else the
// first of `candidates` that is a directory; "" if none is.
std::string FindPresetDirectory(const std::vector<std::string>& candidates);

// <directory of the running executable>/../share/featpool/conf/presets, the
// installed presets of a program installed under <prefix>/bin ("" if the
// executable's path is unknown). Whether it exists is not checked.
std::string PresetDirectoryBesideExecutable();

// Letters, digits, '-', '_' and '.', not starting with '.': a file name in
// the preset directory, never a path out of it.
bool IsPresetName(const std::string& name);

// Every preset (NAME.conf with a valid name) in `dir`, sorted by name.
// Throws Error if the directory cannot be read.
std::vector<PresetInfo> ListPresets(const std::string& dir);

// Preset `name` of `dir`; nullopt for an unknown or malformed name.
std::optional<PresetInfo> FindPreset(const std::string& dir, const std::string& name);

}  // namespace featpool

#endif  // FEATPOOL_PRESETS_H_
