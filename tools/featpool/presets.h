// Named configurations: `--preset=NAME` reads data/conf/presets/NAME.conf
// exactly as `--config=FILE` reads FILE (command.h ExpandConfigFiles), so the
// command line overrides whatever the preset sets. The first line of a
// preset, a "# " comment, is its one-line description (--list-presets).
//
// The preset directory is, in this order: $FEATPOOL_PRESET_DIR if set; the
// installed share/featpool/conf/presets beside the running executable
// (<prefix>/bin/featpool -> <prefix>/share/featpool/conf/presets, so a moved
// installation keeps working); the source tree's data/conf/presets (a build
// that was not installed).
#ifndef FEATPOOL_TOOLS_PRESETS_H_
#define FEATPOOL_TOOLS_PRESETS_H_

#include <string>
#include <vector>

namespace featpool {
namespace cli {

struct PresetInfo {
  std::string name;         // "kaldi-fbank-80"
  std::string path;         // its .conf file
  std::string description;  // the first line's "# " comment, or ""
};

// The directory presets are read from (see above); throws Error when none
// of the candidates exists.
std::string PresetDirectory();

// Every preset, sorted by name.
std::vector<PresetInfo> ListPresets();

// The .conf file of preset `name`; throws Error for a malformed name or an
// unknown preset, listing the known ones.
std::string PresetPath(const std::string& name);

// "NAME  description" lines, one per preset, for --list-presets.
std::string PresetListText();

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_PRESETS_H_
