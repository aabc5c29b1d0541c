#include "featpool/dataset.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <queue>
#include <set>
#include <utility>

#include "featpool/error.h"
#include "featpool/kaldi-io.h"
#include "featpool/lhotse.h"
#include "printable.h"

namespace featpool {
namespace {

namespace fs = std::filesystem;

// Ids and paths come from files and listings: control bytes are shown escaped.
std::string Quote(const std::string& s) { return "'" + internal::Printable(s) + "'"; }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int64_t SizeOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return static_cast<int64_t>(st.st_size);
}

// "a/b.c.wav" -> "a/b.c"; the extension is only looked for in the last
// component.
std::string WithoutExtension(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  const size_t name_start = slash == std::string::npos ? 0 : slash + 1;
  if (dot == std::string::npos || dot <= name_start) return path;
  return path.substr(0, dot);
}

std::string Extension(const std::string& name) {
  const size_t dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? "" : Lower(name.substr(dot + 1));
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

struct DirWalker {
  const std::set<std::string>& extensions;
  std::set<std::pair<dev_t, ino_t>> on_path;  // directories being walked: a link loop is skipped
  std::vector<std::pair<std::string, std::string>> found;  // (relative path, path)

  void Walk(const std::string& dir, const std::string& relative) {
    struct stat st;
    if (stat(dir.c_str(), &st) != 0) {
      throw Error("cannot read directory " + Quote(dir) + ": " + std::strerror(errno));
    }
    const auto key = std::make_pair(st.st_dev, st.st_ino);
    if (!on_path.insert(key).second) return;
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (!name.empty() && name[0] != '.') names.push_back(name);
    }
    if (ec) throw Error("cannot read directory " + Quote(dir) + ": " + ec.message());
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const std::string path = JoinPath(dir, name);
      const std::string rel = relative.empty() ? name : relative + "/" + name;
      struct stat entry;
      if (stat(path.c_str(), &entry) == 0 && S_ISDIR(entry.st_mode)) {
        Walk(path, rel);
      } else if (extensions.count(Extension(name)) > 0) {
        // Dangling links and unreadable files are kept: they are reported
        // as failures when processed, not silently dropped.
        found.emplace_back(rel, path);
      }
    }
    on_path.erase(key);
  }
};

void AddDirectory(const std::string& dir, const DatasetOptions& opts, std::vector<Utterance>* out) {
  std::set<std::string> extensions;
  for (const std::string& e : opts.extensions) extensions.insert(Lower(e));
  DirWalker walker{extensions, {}, {}};
  walker.Walk(dir, "");
  if (walker.found.empty()) {
    std::string list;
    for (const std::string& e : opts.extensions) list += (list.empty() ? "" : ",") + e;
    throw Error("no audio files (--ext=" + list + ") under directory " + Quote(dir));
  }
  std::sort(walker.found.begin(), walker.found.end());
  for (auto& [rel, path] : walker.found) {
    out->push_back({WithoutExtension(rel), path, SizeOf(path)});
  }
}

bool EndsWithOffset(const std::string& value) {
  const size_t colon = value.find_last_of(':');
  if (colon == std::string::npos || colon + 1 == value.size()) return false;
  return std::all_of(value.begin() + static_cast<std::ptrdiff_t>(colon) + 1, value.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

void AddScp(const std::string& scp, std::vector<Utterance>* out) {
  for (const ScpLine& line : ReadKaldiScp(scp)) {
    const std::string where =
        Quote(scp) + " line " + std::to_string(line.line_number) + " (" + Quote(line.key) + "): ";
    const std::string& value = line.value;
    if (value.back() == '|' || value.front() == '|') {
      throw Error(where + "piped commands are not supported (" + Quote(value) +
                  "); run the command first and list the audio files it writes");
    }
    if (value == "-") throw Error(where + "reading audio from stdin ('-') is not supported");
    if (value.find('\0') != std::string::npos) {
      throw Error(where + "the path " + Quote(value) + " contains a NUL byte");
    }
    if (EndsWithOffset(value) && SizeOf(value) == 0) {
      throw Error(where + "archive offsets (" + Quote(value) +
                  ") are not supported; list audio files");
    }
    out->push_back({line.key, value, SizeOf(value)});
  }
}

void CheckUniqueIds(const std::vector<Utterance>& utts) {
  std::map<std::string, const Utterance*> seen;
  std::string message;
  size_t duplicates = 0;
  for (const Utterance& u : utts) {
    auto [it, inserted] = seen.emplace(u.id, &u);
    if (inserted) continue;
    if (++duplicates <= 5) {
      message += (message.empty() ? "" : "; ") + Quote(u.id) + " (" + Quote(it->second->path) +
                 " and " + Quote(u.path) + ")";
    }
  }
  if (duplicates == 0) return;
  if (duplicates > 5) message += "; and " + std::to_string(duplicates - 5) + " more";
  throw Error("duplicate utterance ids: " + message +
              ". Ids are file names without extension for file inputs, paths relative to "
              "a directory input, or the first column of an scp");
}

}  // namespace

void DatasetOptions::Validate() const {
  if (extensions.empty()) throw Error("--ext: no extensions given");
  for (const std::string& e : extensions) {
    if (e.empty() || e.find_first_of("/.") != std::string::npos) {
      throw Error("--ext: bad extension " + Quote(e) + " (expected e.g. --ext=wav,flac)");
    }
  }
}

std::vector<std::string> ParseExtensions(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string e = list.substr(start, comma - start);
    if (!e.empty() && e[0] == '.') e.erase(0, 1);
    out.push_back(e);
    start = comma + 1;
  }
  return out;
}

bool IsScpInput(const std::string& input) {
  if (input.rfind("scp:", 0) == 0) return true;
  return input.size() > 4 && input.compare(input.size() - 4, 4, ".scp") == 0;
}

std::vector<Utterance> FindUtterances(const std::vector<std::string>& inputs,
                                      const DatasetOptions& opts) {
  opts.Validate();
  std::vector<Utterance> out;
  for (const std::string& input : inputs) {
    if (input.empty()) throw Error("empty input name");
    if (IsScpInput(input)) {
      AddScp(input.rfind("scp:", 0) == 0 ? input.substr(4) : input, &out);
      continue;
    }
    if (IsLhotseManifest(input)) {
      for (Utterance& u : ReadLhotseRecordings(input)) {
        u.bytes = SizeOf(u.path);
        out.push_back(std::move(u));
      }
      continue;
    }
    struct stat st;
    if (stat(input.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      AddDirectory(input, opts, &out);
      continue;
    }
    if (input.back() == '/') {
      throw Error("input directory " + Quote(input) + ": " + std::strerror(errno));
    }
    const size_t slash = input.find_last_of('/');
    const std::string name = slash == std::string::npos ? input : input.substr(slash + 1);
    out.push_back({WithoutExtension(name), input, SizeOf(input)});
  }
  CheckUniqueIds(out);
  return out;
}

ShardSpec ShardSpec::Parse(const std::string& text) {
  ShardSpec spec;
  const size_t slash = text.find('/');
  bool ok = slash != std::string::npos && slash > 0 && slash + 1 < text.size();
  if (ok) {
    try {
      size_t used_k = 0;
      size_t used_n = 0;
      spec.index = std::stoi(text.substr(0, slash), &used_k);
      spec.count = std::stoi(text.substr(slash + 1), &used_n);
      ok = used_k == slash && used_n == text.size() - slash - 1;
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok || spec.count < 1 || spec.index < 1 || spec.index > spec.count) {
    throw Error("invalid --shard=" + text + ": expected K/N with 1 <= K <= N, e.g. --shard=3/8");
  }
  return spec;
}

std::string ShardSpec::ToString() const {
  return std::to_string(index) + "/" + std::to_string(count);
}

std::vector<Utterance> SelectShard(const std::vector<Utterance>& all, ShardSpec shard) {
  if (shard.count == 1) return all;
  std::vector<size_t> order(all.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return all[a].bytes > all[b].bytes; });
  // (load, shard number): the least loaded shard, then the lowest number.
  // Empty shards tie at load 0 and go by number, and any shard with a file
  // is loaded more: the first files fill shards 1, 2, ... in turn, so with
  // more shards than files, shards past the number of files stay empty.
  // Only the shards that can get a file are tracked (N may be 2^31 - 1).
  const int32_t used =
      static_cast<int32_t>(std::min<int64_t>(shard.count, static_cast<int64_t>(all.size())));
  if (shard.index > used) return {};
  using Load = std::pair<int64_t, int32_t>;
  std::priority_queue<Load, std::vector<Load>, std::greater<Load>> loads;
  for (int32_t k = 1; k <= used; ++k) loads.push({0, k});
  std::vector<char> mine(all.size(), 0);
  for (size_t i : order) {
    Load least = loads.top();
    loads.pop();
    if (least.second == shard.index) mine[i] = 1;
    least.first += all[i].bytes + kShardFileOverheadBytes;
    loads.push(least);
  }
  std::vector<Utterance> out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (mine[i]) out.push_back(all[i]);
  }
  return out;
}

}  // namespace featpool
