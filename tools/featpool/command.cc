#include "featpool/command.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <new>

#include "featpool/command-presets.h"
#include "featpool/error.h"
#include "featpool/option-flags.h"
#include "featpool/options.h"
#include "featpool/std-streams.h"
#include "featpool/version.h"

namespace featpool {
namespace cli {
namespace {

std::string Quote(const std::string& s) { return "'" + s + "'"; }

const CLI::Option* FindOption(const CLI::App& app, const CLI::App* sub, const std::string& name) {
  if (sub != nullptr) {
    if (const CLI::Option* o = sub->get_option_no_throw(name)) return o;
  }
  return app.get_option_no_throw(name);
}

// What CLI11 would misread: "--name=" with an empty value takes the next
// argument as the value (and ends in "--output is required"); a config line
// "--" or "--name" without a value, or an unknown name, would be reported
// without its file and line.
void CheckArguments(const CLI::App& app, const std::vector<Argument>& args) {
  const CLI::App* sub = nullptr;
  for (const Argument& arg : args) {
    const std::string& text = arg.text;
    const bool from_file = !arg.origin.empty();
    const std::string where = from_file ? arg.origin + ": " : "";
    if (!from_file && text == "--") break;  // the rest is positional
    if (!from_file && sub == nullptr && !text.empty() && text[0] != '-') {
      for (const CLI::App* s : app.get_subcommands({})) {
        if (s->check_name(text)) sub = s;
      }
      continue;
    }
    if (text.rfind("--", 0) != 0) continue;
    if (text == "--") throw Error(where + "'--' is not an option; expected --name=value");
    const size_t equals = text.find('=');
    const std::string name = text.substr(0, equals);
    if (from_file && name.find_first_of(" \t") != std::string::npos) {
      throw Error(where + "expected --name=value without spaces, got " + Quote(text));
    }
    RecordFlagOrigin(name, arg.origin);
    const CLI::Option* opt = FindOption(app, sub, name);
    if (opt == nullptr) {
      if (from_file) throw Error(where + "unknown option " + name);
      continue;  // CLI11 names it
    }
    const bool flag = opt->get_expected_min() == 0;
    if (equals != std::string::npos && equals + 1 == text.size()) {
      throw Error(where + name + " needs a value: got an empty " + Quote(text) + " (" + name +
                  (flag ? "=true or " + name + "=false)" : "=VALUE)"));
    }
    if (from_file && equals == std::string::npos && !flag) {
      throw Error(where + name + " needs a value (" + name + "=VALUE)");
    }
  }
}

// One line, whatever the message holds.
std::string OneLine(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  while (!message.empty() && message.back() == ' ') message.pop_back();
  return message;
}

int Report(const std::string& message, int status) {
  std::cerr << "featpool: " << OneLine(message) << "\n";
  return status;
}

// Kaldi's ParseOptions::NormalizeArgName(): '_' and '-' in flag names are
// the same, so conf files written for Kaldi (--num_mel_bins=80) work.
void NormalizeFlagNames(std::vector<Argument>* args) {
  for (Argument& argument : *args) {
    std::string& arg = argument.text;
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) continue;
    const size_t end = std::min(arg.find('='), arg.size());
    std::replace(arg.begin() + 2, arg.begin() + static_cast<std::ptrdiff_t>(end), '_', '-');
  }
}

int Run(int argc, char** argv) {
  CLI::App app("featpool: Kaldi-exact speech features and PyTorch-exact pooling", "featpool");
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", std::string(featpool::version()));
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, RunFunction>> commands;
  auto add = [&](RunFunction run) { commands.emplace_back(app.get_subcommands({}).back(), run); };
  add(AddExtractCommand(app));
  add(AddInfoCommand(app));
  add(AddPoolCommand(app));
  add(AddPlotCommand(app));
  add(AddCmvnStatsCommand(app));

  try {
    std::vector<Argument> given;
    for (int i = 1; i < argc; ++i) given.push_back({argv[i], ""});
    for (const Argument& arg : given) {
      if (arg.text == "--") break;
      if (arg.text == "--list-presets") {  // before INPUT and -o are required
        std::cout << PresetListText();
        return 0;
      }
    }
    std::vector<Argument> expanded = ExpandConfigFiles(given);
    NormalizeFlagNames(&expanded);
    CheckArguments(app, expanded);
    std::vector<std::string> args;
    for (auto it = expanded.rbegin(); it != expanded.rend(); ++it) {
      args.push_back(it->text);  // CLI11 consumes a reversed vector
    }
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    return Report(e.what(), 2);
  } catch (const Error& e) {
    return Report(e.what(), 2);
  }
  int status = 0;
  for (auto& [command, run] : commands) {
    if (command->parsed()) status = run();
  }
  // What went to stdout (info's report) must have arrived.
  std::cout.flush();
  if (std::fflush(stdout) != 0 || std::ferror(stdout) || !std::cout) {
    return Report(std::string("cannot write standard output: ") + std::strerror(errno), 1);
  }
  return status;
}

}  // namespace

// The library's reader (config-file.h), with the command's presets.
std::vector<Argument> ExpandConfigFiles(const std::vector<Argument>& args) {
  return featpool::ExpandConfigFiles(args, PresetPath);
}

void AddConfigFlags(CLI::App* app) {
  // Expanded before parsing (ExpandConfigFiles); registered for --help.
  static std::string unused;
  const char* group = "Configuration";
  app->add_option("--config", unused,
                  "Kaldi conf file: one --name=value per line, '#' comments; flags given on "
                  "the command line override it")
      ->type_name("FILE")
      ->group(group);
  app->add_option("--preset", unused,
                  "A named configuration (a conf file of the installed presets), read as "
                  "--config; see --list-presets")
      ->type_name("NAME")
      ->group(group);
  app->add_flag("--list-presets", "Print every preset with its description and exit")->group(group);
}

int Main(int argc, char** argv) {
  PrepareStandardStreams();
  // Whatever escapes a subcommand is one line and a non-zero exit, never an
  // abort: out of memory where no caller said for what, a library or
  // standard-library exception, anything else.
  try {
    return Run(argc, argv);
  } catch (const std::bad_alloc&) {
    return Report("out of memory", 1);
  } catch (const OptionError& e) {
    // Subcommands spell their own options (WithOptionSpelling); any other
    // option error gets the plain --key spelling.
    return Report(e.Render([](const std::string& key) { return CommandFlag(key); }), 1);
  } catch (const std::exception& e) {
    return Report(e.what(), 1);
  } catch (...) {
    return Report("unexpected error (an exception of unknown type)", 1);
  }
}

}  // namespace cli
}  // namespace featpool
