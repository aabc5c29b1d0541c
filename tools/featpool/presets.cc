#include "featpool/presets.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "featpool/error.h"

#ifndef FEATPOOL_SOURCE_PRESET_DIR
#define FEATPOOL_SOURCE_PRESET_DIR ""
#endif

namespace featpool {
namespace cli {
namespace {

constexpr char kSuffix[] = ".conf";
constexpr size_t kSuffixLength = sizeof(kSuffix) - 1;

bool IsDirectory(const std::string& path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string ExecutableDirectory() {
  char buffer[4096];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return "";
  const std::string path(buffer, static_cast<size_t>(n));
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

// Letters, digits, '-', '_' and '.', not starting with '.': a file name in
// the preset directory, never a path out of it.
bool IsPresetName(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::string Description(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return "";
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line.rfind("# ", 0) == 0 ? line.substr(2) : "";
}

}  // namespace

std::string PresetDirectory() {
  if (const char* dir = std::getenv("FEATPOOL_PRESET_DIR")) {
    if (!IsDirectory(dir)) {
      throw Error("FEATPOOL_PRESET_DIR='" + std::string(dir) + "' is not a directory");
    }
    return dir;
  }
  const std::string exe = ExecutableDirectory();
  if (!exe.empty()) {
    const std::string installed = exe + "/../share/featpool/conf/presets";
    if (IsDirectory(installed)) return installed;
  }
  if (IsDirectory(FEATPOOL_SOURCE_PRESET_DIR)) return FEATPOOL_SOURCE_PRESET_DIR;
  throw Error(
      "no preset directory: neither share/featpool/conf/presets beside the featpool "
      "executable nor the source tree's data/conf/presets exists (set FEATPOOL_PRESET_DIR)");
}

std::vector<PresetInfo> ListPresets() {
  const std::string dir = PresetDirectory();
  std::vector<PresetInfo> presets;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) throw Error("cannot read the preset directory '" + dir + "'");
  while (const dirent* entry = readdir(d)) {
    const std::string file = entry->d_name;
    if (file.size() <= kSuffixLength ||
        file.compare(file.size() - kSuffixLength, kSuffixLength, kSuffix) != 0) {
      continue;
    }
    const std::string name = file.substr(0, file.size() - kSuffixLength);
    if (!IsPresetName(name)) continue;
    const std::string path = dir + "/" + file;
    presets.push_back({name, path, Description(path)});
  }
  closedir(d);
  std::sort(presets.begin(), presets.end(),
            [](const PresetInfo& a, const PresetInfo& b) { return a.name < b.name; });
  return presets;
}

std::string PresetPath(const std::string& name) {
  if (!IsPresetName(name)) {
    throw Error("invalid --preset='" + name +
                "': a preset is a name (letters, digits, '-', '_', '.'); use --config=FILE for a "
                "file");
  }
  const std::vector<PresetInfo> presets = ListPresets();
  for (const PresetInfo& p : presets) {
    if (p.name == name) return p.path;
  }
  std::string known;
  for (const PresetInfo& p : presets) known += (known.empty() ? "" : ", ") + p.name;
  throw Error("unknown --preset=" + name + ": expected one of " +
              (known.empty() ? std::string("(none installed)") : known) +
              " (featpool extract --list-presets)");
}

std::string PresetListText() {
  const std::vector<PresetInfo> presets = ListPresets();
  size_t width = 0;
  for (const PresetInfo& p : presets) width = std::max(width, p.name.size());
  std::string text;
  for (const PresetInfo& p : presets) {
    text += p.name + std::string(width - p.name.size() + 2, ' ') + p.description + "\n";
  }
  return text;
}

}  // namespace cli
}  // namespace featpool
