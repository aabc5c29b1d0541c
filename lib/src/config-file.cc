#include "featpool/config-file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "featpool/error.h"

namespace featpool {
namespace {

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

void AppendConfigFile(const std::string& path, int depth, const PresetResolver& preset,
                      std::vector<ConfigArgument>* out);

// If args[*i] is --config=FILE, --config FILE, --preset=NAME or --preset
// NAME: the config file it names (a preset's through `preset`), with *i
// moved past a separate value. Otherwise "".
std::string ConfigFileOf(const std::vector<ConfigArgument>& args, size_t* i,
                         const PresetResolver& preset) {
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
    if (!preset) throw Error(name + "=" + value + ": no preset directory is known here");
    return preset(value);
  }
  return "";
}

void AppendArgs(const std::vector<ConfigArgument>& args, int depth, const PresetResolver& preset,
                std::vector<ConfigArgument>* out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string file = ConfigFileOf(args, &i, preset);
    if (!file.empty()) {
      AppendConfigFile(file, depth, preset, out);
    } else {
      out->push_back(args[i]);
    }
  }
}

void AppendConfigFile(const std::string& path, int depth, const PresetResolver& preset,
                      std::vector<ConfigArgument>* out) {
  if (depth > 8) throw Error("--config files nest too deeply at " + Quote(path));
  const std::string text = ReadConfigText(path);
  std::vector<ConfigArgument> args;
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
  AppendArgs(args, depth + 1, preset, out);
}

}  // namespace

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

std::vector<ConfigArgument> ReadConfigFile(const std::string& path,
                                           const PresetResolver& preset) {
  std::vector<ConfigArgument> out;
  AppendConfigFile(path, 0, preset, &out);
  return out;
}

std::vector<ConfigArgument> ExpandConfigFiles(const std::vector<ConfigArgument>& args,
                                              const PresetResolver& preset) {
  std::vector<ConfigArgument> from_files;
  std::vector<ConfigArgument> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i].text;
    if (arg == "--") {  // the rest is positional
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    const std::string file = ConfigFileOf(args, &i, preset);
    if (!file.empty()) {
      AppendConfigFile(file, 0, preset, &from_files);
    } else {
      rest.push_back(args[i]);
    }
  }
  auto at = std::find_if(rest.begin(), rest.end(), [](const ConfigArgument& a) {
    return a.text.empty() || a.text[0] != '-';
  });
  at = at == rest.end() ? rest.begin() : at + 1;
  rest.insert(at, from_files.begin(), from_files.end());
  return rest;
}

}  // namespace featpool
