// The featpool command: subcommands (extract, info, ...) each in a file of
// their own, registered on one CLI11 app. Kaldi's flag names live here, not in
// the library.
#ifndef FEATPOOL_TOOLS_COMMAND_H_
#define FEATPOOL_TOOLS_COMMAND_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace featpool {
namespace cli {

// A subcommand adds itself to `app` and returns what to run once parsed.
using RunFunction = std::function<int()>;
RunFunction AddExtractCommand(CLI::App& app);
RunFunction AddInfoCommand(CLI::App& app);
RunFunction AddPoolCommand(CLI::App& app);

// Expands every --config=FILE (Kaldi conf files: one --name=value per line,
// '#' comments). As in Kaldi, the files' flags come first (right after the
// subcommand name), so the command line overrides them wherever it sets them.
// Throws featpool::Error naming the file or line.
std::vector<std::string> ExpandConfigFiles(const std::vector<std::string>& args);

// Runs the command; returns the exit status. Errors are printed as one line
// "featpool: <message>" on stderr.
int Main(int argc, char** argv);

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_COMMAND_H_
