// The command's presets: `--preset=NAME` reads NAME.conf of the preset
// directory (featpool/presets.h) exactly as `--config=FILE` reads FILE
// (featpool/config-file.h), so the command line overrides whatever the
// preset sets; --list-presets prints them.
//
// The preset directory is, in this order: $FEATPOOL_PRESET_DIR if set; the
// installed share/featpool/conf/presets beside the running executable
// (<prefix>/bin/featpool -> <prefix>/share/featpool/conf/presets, so a moved
// installation keeps working); the source tree's data/conf/presets (a build
// that was not installed).
#ifndef FEATPOOL_TOOLS_COMMAND_PRESETS_H_
#define FEATPOOL_TOOLS_COMMAND_PRESETS_H_

#include <string>

namespace featpool {
namespace cli {

// The directory presets are read from (see above); throws Error when none
// of the candidates exists.
std::string PresetDirectory();

// The .conf file of preset `name`; throws Error for a malformed name or an
// unknown preset, listing the known ones.
std::string PresetPath(const std::string& name);

// "NAME  description" lines, one per preset, for --list-presets.
std::string PresetListText();

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_COMMAND_PRESETS_H_
