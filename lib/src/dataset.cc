#include "featpool/dataset.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
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

Utterance MakeUtterance(const std::string& id, const std::string& path, int64_t bytes) {
  Utterance u;
  u.id = id;
  u.path = path;
  u.bytes = bytes;
  return u;
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
    throw Error("no audio files (" + list + ") under directory " + Quote(dir));
  }
  std::sort(walker.found.begin(), walker.found.end());
  for (auto& [rel, path] : walker.found) {
    out->push_back(MakeUtterance(WithoutExtension(rel), path, SizeOf(path)));
  }
}

bool EndsWithOffset(const std::string& value) {
  const size_t colon = value.find_last_of(':');
  if (colon == std::string::npos || colon + 1 == value.size()) return false;
  return std::all_of(value.begin() + static_cast<std::ptrdiff_t>(colon) + 1, value.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// Kaldi util/kaldi-table.cc ClassifyRspecifier(): the options before the
// ':' of an rspecifier. None changes what featpool does: each bad entry is
// reported on its own (as p asks), and each recording is read once, so the
// access hints (o, s, cs, bg) and format hints (b, t) are moot.
bool IsRspecifierOption(const std::string& o) {
  static const std::set<std::string> kAccepted = {"b", "t",  "o",  "no",  "p", "np",
                                                  "s", "ns", "cs", "ncs", "bg"};
  return kAccepted.count(o) > 0;
}

// "scp,p:FILE" -> {"scp", "p"}; empty if `input` has no ':' or a '/' before it.
std::vector<std::string> SpecifierOptions(const std::string& input) {
  const size_t colon = input.find(':');
  if (colon == std::string::npos || input.find('/') < colon) return {};
  std::vector<std::string> opts;
  size_t start = 0;
  const std::string head = input.substr(0, colon);
  while (start <= head.size()) {
    size_t comma = head.find(',', start);
    if (comma == std::string::npos) comma = head.size();
    opts.push_back(head.substr(start, comma - start));
    start = comma + 1;
  }
  return opts;
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The file of an "scp[,opts]:FILE" input; throws Error for an "ark:" input
// or an option Kaldi does not know.
std::string ScpFileOf(const std::string& input) {
  const std::vector<std::string> opts = SpecifierOptions(input);
  if (!Has(opts, "scp") && !Has(opts, "ark")) return input;  // a *.scp file
  for (const std::string& o : opts) {
    if (o == "scp") continue;
    if (o == "ark") {
      throw Error("input " + Quote(input) +
                  ": archives of audio (ark) are not supported as input; list the audio in a "
                  "wav.scp");
    }
    if (!IsRspecifierOption(o)) {
      throw Error("input " + Quote(input) + ": unknown rspecifier option " + Quote(o) +
                  " (Kaldi accepts b, t, o, no, p, np, s, ns, cs, ncs, bg)");
    }
  }
  return input.substr(input.find(':') + 1);
}

std::string Trim(const std::string& s) {
  const char* space = " \t\r\n\v\f";
  const size_t b = s.find_first_not_of(space);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(space) + 1 - b);
}

void AddScp(const std::string& scp, std::vector<Utterance>* out) {
  for (const ScpLine& line : ReadKaldiScp(scp)) {
    const std::string where =
        Quote(scp) + " line " + std::to_string(line.line_number) + " (" + Quote(line.key) + "): ";
    const std::string& value = line.value;
    if (value.find('\0') != std::string::npos) {
      throw Error(where + "the path " + Quote(value) + " contains a NUL byte");
    }
    if (value == "|") throw Error(where + "an empty command ('|')");
    if (value.front() == '|') {
      throw Error(where + Quote(value) +
                  " is an output pipe ('| command'); an input command "
                  "ends in '|'");
    }
    if (value.back() == '|') {
      // Kaldi util/kaldi-io.cc ClassifyRxfilename / PipeInputImpl: the text
      // before the final '|' goes to popen(), i.e. /bin/sh -c.
      const std::string command = Trim(value.substr(0, value.size() - 1));
      if (command.empty()) throw Error(where + "an empty command ('|')");
      Utterance u = MakeUtterance(line.key, value, 0);
      u.command = command;
      out->push_back(u);
      continue;
    }
    if (value == "-") throw Error(where + "reading audio from stdin ('-') is not supported");
    if (EndsWithOffset(value) && SizeOf(value) == 0) {
      throw Error(where + "archive offsets (" + Quote(value) +
                  ", Kaldi's extended filenames) are not supported; list audio files or "
                  "commands");
    }
    out->push_back(MakeUtterance(line.key, value, SizeOf(value)));
  }
}

// Kaldi's ConvertStringToReal: the whole field is a finite number.
bool ParseReal(const std::string& text, double* value) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  *value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && errno == 0 && std::isfinite(*value);
}

// Replaces the recordings in `recordings` by the segments of `file` (Kaldi
// featbin/extract-segments.cc, kaldi-asr/kaldi f4007661: 4 or 5 fields; start
// >= 0; end -1 or > 0 and > start; a channel >= 0). A line it would skip
// becomes an utterance that fails with the reason, so every bad line is
// reported; a line with no id at all stops the run.
std::vector<Utterance> ApplySegments(const std::string& file,
                                     const std::vector<Utterance>& recordings) {
  std::ifstream in(file);
  if (!in) throw Error("cannot read segments file " + Quote(file) + ": " + std::strerror(errno));
  std::map<std::string, const Utterance*> by_id;
  for (const Utterance& r : recordings) by_id.emplace(r.id, &r);
  std::vector<Utterance> out;
  std::string text;
  for (int64_t number = 1; std::getline(in, text); ++number) {
    std::vector<std::string> f;
    size_t pos = 0;
    const char* space = " \t\r";
    while ((pos = text.find_first_not_of(space, pos)) != std::string::npos) {
      const size_t end = text.find_first_of(space, pos);
      f.push_back(text.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
      pos = end;
    }
    if (f.empty()) continue;
    const std::string where = Quote(file) + " line " + std::to_string(number) + ": ";
    Utterance u;
    u.id = f[0];
    u.path = file;
    auto fail = [&](const std::string& why) {
      u.error = where + why + " in " + Quote(text);
      out.push_back(u);
    };
    if (f.size() != 4 && f.size() != 5) {
      fail("expected 'utt-id recording-id start end [channel]'");
      continue;
    }
    u.recording = f[1];
    if (!ParseReal(f[2], &u.start)) {
      fail("bad start time");
      continue;
    }
    if (!ParseReal(f[3], &u.end)) {
      fail("bad end time");
      continue;
    }
    if (u.start < 0 || (u.end != -1.0 && u.end <= 0) || (u.start >= u.end && u.end > 0)) {
      fail("empty or invalid segment");
      continue;
    }
    if (f.size() == 5) {
      char* end = nullptr;
      const long channel = std::strtol(f[4].c_str(), &end, 10);
      if (f[4].empty() || *end != '\0' || channel < 0 || channel > 1024) {
        fail("bad channel");
        continue;
      }
      u.channel = static_cast<int32_t>(channel);
    }
    auto it = by_id.find(u.recording);
    if (it == by_id.end()) {
      u.error = where + "recording " + Quote(u.recording) + " of segment " + Quote(u.id) +
                " is not in wav.scp";
      out.push_back(u);
      continue;
    }
    const Utterance& r = *it->second;
    u.path = r.path;
    u.command = r.command;
    u.error = r.error;
    // For balancing shards: 16-bit samples at 16 kHz.
    u.bytes = u.end > 0 ? static_cast<int64_t>((u.end - u.start) * 32000) : r.bytes;
    out.push_back(u);
  }
  if (in.bad()) throw Error("cannot read segments file " + Quote(file));
  return out;
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

std::string DefaultExtensionList() {
  std::string list;
  for (const std::string& e : DatasetOptions().extensions) list += (list.empty() ? "" : ",") + e;
  return list;
}

void DatasetOptions::Validate() const {
  if (extensions.empty()) throw OptionError("extensions", "", "no extensions given");
  for (const std::string& e : extensions) {
    if (e.empty() || e.find_first_of("/.") != std::string::npos) {
      throw OptionError("extensions", Quote(e), "bad extension (expected e.g. wav,flac)");
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

bool IsDataDir(const std::string& dir) {
  struct stat st;
  return stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
         stat(JoinPath(dir, "wav.scp").c_str(), &st) == 0;
}

bool IsScpInput(const std::string& input) {
  if (Has(SpecifierOptions(input), "scp")) return true;
  if (input.size() > 4 && input.compare(input.size() - 4, 4, ".scp") == 0) return true;
  return IsDataDir(input);
}

std::vector<Utterance> FindUtterances(const std::vector<std::string>& inputs,
                                      const DatasetOptions& opts) {
  opts.Validate();
  std::vector<Utterance> out;
  bool own_segments = false;
  for (const std::string& input : inputs) {
    if (input.empty()) throw Error("empty input name");
    if (IsDataDir(input)) {
      // steps/make_fbank.sh: wav.scp, and segments if the file exists.
      std::vector<Utterance> recordings;
      AddScp(JoinPath(input, "wav.scp"), &recordings);
      const std::string segments = JoinPath(input, "segments");
      struct stat st;
      if (stat(segments.c_str(), &st) == 0) {
        if (!opts.segments.empty()) {
          throw OptionError("segments", opts.segments,
                            "the data directory " + Quote(input) + " has its own segments file");
        }
        own_segments = true;
        recordings = ApplySegments(segments, recordings);
      }
      out.insert(out.end(), recordings.begin(), recordings.end());
      continue;
    }
    if (IsLhotseManifest(input)) {
      for (Utterance& u : ReadLhotseRecordings(input)) {
        u.bytes = SizeOf(u.path);
        out.push_back(std::move(u));
      }
      continue;
    }
    if (IsScpInput(input)) {
      AddScp(ScpFileOf(input), &out);
      continue;
    }
    const std::vector<std::string> specifier = SpecifierOptions(input);
    if (Has(specifier, "ark")) ScpFileOf(input);  // throws: no audio archives
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
    out.push_back(MakeUtterance(WithoutExtension(name), input, SizeOf(input)));
  }
  if (!opts.segments.empty() && !own_segments) out = ApplySegments(opts.segments, out);
  CheckUniqueIds(out);
  return out;
}

SampleRange SegmentSamples(const Utterance& u, int64_t num_samples, float sample_rate) {
  // Kaldi featbin/extract-segments.cc (kaldi-asr/kaldi f4007661): lengths in
  // float seconds, times in double, --max-overshoot 0.5, --min-segment-length
  // 0.1; a sample position is int32(t * rate + 0.5f).
  constexpr float kMaxOvershoot = 0.5f;
  constexpr float kMinSegmentLength = 0.1f;
  const float length = static_cast<float>(num_samples) / sample_rate;
  const std::string what = "segment " + Quote(u.id) + " (" + std::to_string(u.start) + " to " +
                           (u.end < 0 ? std::string("the end") : std::to_string(u.end)) +
                           " s) of recording " + Quote(u.recording) + " (" +
                           std::to_string(length) + " s)";
  if (u.start > length) throw Error(what + " starts after the recording's end");
  if (u.end > length + kMaxOvershoot) {
    throw Error(what + " ends more than 0.5 s after the recording's end");
  }
  double end = u.end;
  if (end < 0 || end > length) end = length;
  if (end - u.start < kMinSegmentLength) throw Error(what + " is shorter than 0.1 s");
  SampleRange r;
  r.begin = static_cast<int32_t>(u.start * sample_rate + 0.5f);
  r.end = std::min<int64_t>(static_cast<int32_t>(end * sample_rate + 0.5f), num_samples);
  return r;
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
    throw OptionError("shard", text, "expected K/N with 1 <= K <= N, e.g. 3/8");
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

std::vector<Utterance> SelectShard(const std::vector<Utterance>& all, ShardSpec shard,
                                   const std::vector<std::string>& groups) {
  if (groups.size() != all.size()) throw Error("internal: SelectShard: one group per utterance");
  if (shard.count == 1) return all;
  // Groups in order of first appearance, each weighed as its utterances.
  std::map<std::string, size_t> index;
  std::vector<int64_t> weight;
  std::vector<size_t> group_of(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const auto [it, added] = index.emplace(groups[i], weight.size());
    if (added) weight.push_back(0);
    group_of[i] = it->second;
    weight[it->second] += all[i].bytes + kShardFileOverheadBytes;
  }
  std::vector<size_t> order(weight.size());
  for (size_t g = 0; g < order.size(); ++g) order[g] = g;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return weight[a] > weight[b]; });
  const int32_t used =
      static_cast<int32_t>(std::min<int64_t>(shard.count, static_cast<int64_t>(weight.size())));
  if (shard.index > used) return {};
  using Load = std::pair<int64_t, int32_t>;
  std::priority_queue<Load, std::vector<Load>, std::greater<Load>> loads;
  for (int32_t k = 1; k <= used; ++k) loads.push({0, k});
  std::vector<char> mine(weight.size(), 0);
  for (size_t g : order) {
    Load least = loads.top();
    loads.pop();
    if (least.second == shard.index) mine[g] = 1;
    least.first += weight[g];
    loads.push(least);
  }
  std::vector<Utterance> out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (mine[group_of[i]]) out.push_back(all[i]);
  }
  return out;
}

}  // namespace featpool
