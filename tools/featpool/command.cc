#include "featpool/command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <new>

#include "featpool/error.h"
#include "featpool/options.h"
#include "featpool/presets.h"
#include "featpool/std-streams.h"
#include "featpool/version.h"

namespace featpool {
namespace cli {
namespace {

// A config file is a short text: these bound what /dev/zero, /dev/urandom
// or a mistyped binary file can make the command read.
constexpr size_t kMaxConfigBytes = size_t{1} << 20;
constexpr size_t kMaxConfigLine = size_t{64} << 10;

std::string Quote(const std::string& s) { return "'" + s + "'"; }

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The whole text of a --config file: a regular file, a pipe (<(...)) or a
// device, but text, at most kMaxConfigBytes.
std::string ReadConfigText(const std::string& path) {
  if (path.empty()) throw Error("--config needs a file name");
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    throw Error("cannot read --config file " + Quote(path) + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw Error("--config file " + Quote(path) + " is a directory");
  Descriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    throw Error("cannot read --config file " + Quote(path) + ": " + std::strerror(errno));
  }
  std::string text;
  char block[1 << 16];
  while (true) {
    const ssize_t n = read(fd.get(), block, sizeof(block));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw Error("cannot read --config file " + Quote(path) + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    if (std::memchr(block, '\0', static_cast<size_t>(n)) != nullptr) {
      throw Error("--config file " + Quote(path) +
                  " is not a text config file (it contains a NUL byte)");
    }
    text.append(block, static_cast<size_t>(n));
    if (text.size() > kMaxConfigBytes) {
      throw Error("--config file " + Quote(path) + " is larger than 1 MiB; not a config file");
    }
  }
  return text;
}

void AppendConfigFile(const std::string& path, int depth, std::vector<Argument>* out);

// If args[*i] is --config=FILE, --config FILE, --preset=NAME or --preset
// NAME: the config file it names (a preset is data/conf/presets/NAME.conf,
// presets.h), with *i moved past a separate value. Otherwise "".
std::string ConfigFileOf(const std::vector<Argument>& args, size_t* i) {
  const std::string& arg = args[*i].text;
  for (const char* flag : {"--config", "--preset"}) {
    const std::string name = flag;
    std::string value;
    if (arg.rfind(name + "=", 0) == 0) {
      value = arg.substr(name.size() + 1);
    } else if (arg == name) {
      if (*i + 1 == args.size()) {
        throw Error((args[*i].origin.empty() ? "" : args[*i].origin + ": ") + name +
                    (name == "--config" ? " needs a file name (--config=FILE)"
                                        : " needs a name (--preset=NAME; --list-presets)"));
      }
      value = args[++*i].text;
    } else {
      continue;
    }
    if (name == "--config") {
      if (value.empty()) throw Error("--config needs a file name");
      return value;
    }
    return PresetPath(value);
  }
  return "";
}

void AppendArgs(const std::vector<Argument>& args, int depth, std::vector<Argument>* out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string file = ConfigFileOf(args, &i);
    if (!file.empty()) {
      AppendConfigFile(file, depth, out);
    } else {
      out->push_back(args[i]);
    }
  }
}

// Kaldi ParseOptions::ReadConfigFile(): one --name=value per line, '#'
// starts a comment, blank lines are skipped; errors name FILE:LINE.
void AppendConfigFile(const std::string& path, int depth, std::vector<Argument>* out) {
  if (depth > 8) throw Error("--config files nest too deeply at " + Quote(path));
  const std::string text = ReadConfigText(path);
  std::vector<Argument> args;
  size_t start = 0;
  for (int number = 1; start < text.size(); ++number) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string where = path + ":" + std::to_string(number);
    if (end - start > kMaxConfigLine) throw Error(where + ": line longer than 64 KiB");
    std::string line = text.substr(start, end - start);
    start = end + 1;
    line = Trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    if (line.rfind("--", 0) != 0) {
      throw Error(where + ": expected --name=value, got " + Quote(line));
    }
    args.push_back({line, where});
  }
  AppendArgs(args, depth + 1, out);
}

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

// Kaldi ParseOptions::Read() reads every --config file (and featpool's
// --preset, a named config file) before the command line, so a flag on the command line overrides
// the file wherever it stands: the files' flags go first, right after the subcommand name.
std::vector<Argument> ExpandConfigFiles(const std::vector<Argument>& args) {
  std::vector<Argument> from_files;
  std::vector<Argument> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i].text;
    if (arg == "--") {  // the rest is positional
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    const std::string file = ConfigFileOf(args, &i);
    if (!file.empty()) {
      AppendConfigFile(file, 0, &from_files);
    } else {
      rest.push_back(args[i]);
    }
  }
  auto at = std::find_if(rest.begin(), rest.end(),
                         [](const Argument& a) { return a.text.empty() || a.text[0] != '-'; });
  at = at == rest.end() ? rest.begin() : at + 1;
  rest.insert(at, from_files.begin(), from_files.end());
  return rest;
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
    return Report(e.Render([](const std::string& key) { return FlagName(key); }), 1);
  } catch (const std::exception& e) {
    return Report(e.what(), 1);
  } catch (...) {
    return Report("unexpected error (an exception of unknown type)", 1);
  }
}

}  // namespace cli
}  // namespace featpool
