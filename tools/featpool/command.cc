#include "featpool/command.h"

#include <algorithm>
#include <fstream>
#include <iostream>

#include "featpool/error.h"
#include "featpool/version.h"

namespace featpool {
namespace cli {
namespace {

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

void AppendConfigFile(const std::string& path, int depth, std::vector<std::string>* out);

void AppendArgs(const std::vector<std::string>& args, int depth, std::vector<std::string>* out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--config=", 0) == 0) {
      AppendConfigFile(arg.substr(9), depth, out);
    } else if (arg == "--config") {
      if (i + 1 == args.size()) throw Error("--config needs a file name");
      AppendConfigFile(args[++i], depth, out);
    } else {
      out->push_back(arg);
    }
  }
}

// Kaldi ParseOptions::ReadConfigFile()
void AppendConfigFile(const std::string& path, int depth, std::vector<std::string>* out) {
  if (depth > 8) throw Error("--config files nest too deeply at '" + path + "'");
  std::ifstream in(path);
  if (!in) throw Error("cannot read --config file '" + path + "'");
  std::vector<std::string> args;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = Trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    if (line.rfind("--", 0) != 0) {
      throw Error("--config file '" + path + "' line " + std::to_string(number) +
                  ": expected --name=value, got '" + line + "'");
    }
    args.push_back(line);
  }
  AppendArgs(args, depth + 1, out);
}

}  // namespace

// Kaldi ParseOptions::Read() reads every --config file before the command
// line, so a flag on the command line overrides the file wherever it stands:
// the files' flags go first, right after the subcommand name.
std::vector<std::string> ExpandConfigFiles(const std::vector<std::string>& args) {
  std::vector<std::string> from_files;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--config=", 0) == 0) {
      AppendConfigFile(args[i].substr(9), 0, &from_files);
    } else if (args[i] == "--config") {
      if (i + 1 == args.size()) throw Error("--config needs a file name");
      AppendConfigFile(args[++i], 0, &from_files);
    } else {
      rest.push_back(args[i]);
    }
  }
  auto at = std::find_if(rest.begin(), rest.end(),
                         [](const std::string& a) { return a.empty() || a[0] != '-'; });
  at = at == rest.end() ? rest.begin() : at + 1;
  rest.insert(at, from_files.begin(), from_files.end());
  return rest;
}

int Main(int argc, char** argv) {
  CLI::App app("featpool: Kaldi-exact speech features and PyTorch-exact pooling", "featpool");
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", std::string(featpool::version()));
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, RunFunction>> commands;
  auto add = [&](RunFunction run) { commands.emplace_back(app.get_subcommands({}).back(), run); };
  add(AddExtractCommand(app));
  add(AddInfoCommand(app));
  add(AddPoolCommand(app));

  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    args = ExpandConfigFiles(args);
    std::reverse(args.begin(), args.end());  // CLI11 consumes a reversed vector
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "featpool: " << e.what() << "\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "featpool: " << e.what() << "\n";
    return 2;
  }
  try {
    for (auto& [command, run] : commands) {
      if (command->parsed()) return run();
    }
  } catch (const Error& e) {
    std::cerr << "featpool: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "featpool: out of memory\n";
    return 1;
  }
  return 0;
}

}  // namespace cli
}  // namespace featpool
