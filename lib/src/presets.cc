#include "featpool/presets.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "featpool/error.h"

namespace featpool {
namespace {

constexpr char kSuffix[] = ".conf";
constexpr size_t kSuffixLength = sizeof(kSuffix) - 1;

bool IsDirectory(const std::string& path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string Description(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return "";
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line.rfind("# ", 0) == 0 ? line.substr(2) : "";
}

}  // namespace

std::string FindPresetDirectory(const std::vector<std::string>& candidates) {
  if (const char* dir = std::getenv("FEATPOOL_PRESET_DIR")) {
    if (!IsDirectory(dir)) {
      throw Error("FEATPOOL_PRESET_DIR='" + std::string(dir) + "' is not a directory");
    }
    return dir;
  }
  for (const std::string& dir : candidates) {
    if (IsDirectory(dir)) return dir;
  }
  return "";
}

std::string PresetDirectoryBesideExecutable() {
  char buffer[4096];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return "";
  const std::string path(buffer, static_cast<size_t>(n));
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  return path.substr(0, slash) + "/../share/featpool/conf/presets";
}

bool IsPresetName(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::vector<PresetInfo> ListPresets(const std::string& dir) {
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

std::optional<PresetInfo> FindPreset(const std::string& dir, const std::string& name) {
  if (!IsPresetName(name)) return std::nullopt;
  for (PresetInfo& p : ListPresets(dir)) {
    if (p.name == name) return std::move(p);
  }
  return std::nullopt;
}

}  // namespace featpool
