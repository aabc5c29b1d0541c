// The featpool command: subcommands (extract, info, ...) each in a file of
// their own, registered on one CLI11 app. Kaldi's flag names live here, not in
// the library.
#ifndef FEATPOOL_TOOLS_COMMAND_H_
#define FEATPOOL_TOOLS_COMMAND_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "featpool/config-file.h"

namespace featpool {
namespace cli {

// A subcommand adds itself to `app` and returns what to run once parsed.
using RunFunction = std::function<int()>;
RunFunction AddExtractCommand(CLI::App& app);
RunFunction AddInfoCommand(CLI::App& app);
RunFunction AddPoolCommand(CLI::App& app);
RunFunction AddPlotCommand(CLI::App& app);
RunFunction AddCmvnStatsCommand(CLI::App& app);

// One command-line argument, and where it came from: "" for the command
// line, "FILE:LINE" for a line of a --config file.
using Argument = ConfigArgument;

// Expands every --config=FILE (Kaldi conf files: one --name=value per line,
// '#' comments) and every --preset=NAME (the conf file of that name,
// command-presets.h), in the order given (featpool/config-file.h). As in Kaldi, the files' flags come first (right after the
// subcommand name), so the command line overrides them wherever it sets them.
// A config file must be text (no NUL byte), at most 1 MiB, lines at most
// 64 KiB; a directory is refused. Throws featpool::Error naming the file, or
// FILE:LINE for a bad line.
std::vector<Argument> ExpandConfigFiles(const std::vector<Argument>& args);

// Registers --config, --preset and --list-presets on a subcommand for
// --help; Main() acts on them before parsing.
void AddConfigFlags(CLI::App* app);

// Runs the command; returns the exit status: 2 for a bad command line or
// config file, 1 for a failure while running. Every error, whatever its type,
// is printed as one line "featpool: <message>" on stderr. Sets up the
// standard descriptors and SIGXFSZ first (std-streams.h).
int Main(int argc, char** argv);

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_COMMAND_H_
