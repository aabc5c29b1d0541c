// Kaldi conf files, as ParseOptions::ReadConfigFile() reads them: one
// --name=value per line, '#' starts a comment, blank lines are skipped. A
// line may itself be --config=FILE or --preset=NAME (presets.h), expanded
// in place. The command's --config and --preset and the Python module's
// preset= read them here, so both take the same files with the same
// errors.
//
// A config file must be text (no NUL byte), at most 1 MiB, lines at most
// 64 KiB; a directory is refused; files nest at most 8 deep. Errors are
// featpool::Error naming the file, or FILE:LINE for a bad line. Nothing is
// printed.
#ifndef FEATPOOL_CONFIG_FILE_H_
#define FEATPOOL_CONFIG_FILE_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace featpool {

// A config file is a short text: these bound what /dev/zero, /dev/urandom
// or a mistyped binary file can make a reader read.
constexpr size_t kMaxConfigBytes = size_t{1} << 20;
constexpr size_t kMaxConfigLine = size_t{64} << 10;

// One argument, and where it came from: "" for a command line, "FILE:LINE"
// for a line of a config file.
struct ConfigArgument {
  std::string text;
  std::string origin;
};

// The .conf file of a preset name (presets.h FindPreset, with the caller's
// directory and messages); throws Error for an unknown name.
using PresetResolver = std::function<std::string(const std::string& name)>;

// The whole text of a config file: a regular file, a pipe (<(...)) or a
// device, but text, at most kMaxConfigBytes.
std::string ReadConfigText(const std::string& path);

// The arguments of config file `path`, in order, each with its FILE:LINE;
// --config and --preset lines are replaced by the arguments of the file they
// name. Values are kept as written ("--num_mel_bins=80"): normalising the
// names is the reader's business.
std::vector<ConfigArgument> ReadConfigFile(const std::string& path,
                                           const PresetResolver& preset);

// Expands every --config=FILE, --config FILE, --preset=NAME and --preset
// NAME of `args` (up to a "--", after which everything is positional), in
// the order given. As Kaldi's ParseOptions::Read() does, the files' flags
// come first, right after the first argument that is not an option (the
// subcommand's name), so an argument given directly overrides them wherever
// it stands.
std::vector<ConfigArgument> ExpandConfigFiles(const std::vector<ConfigArgument>& args,
                                              const PresetResolver& preset);

}  // namespace featpool

#endif  // FEATPOOL_CONFIG_FILE_H_
