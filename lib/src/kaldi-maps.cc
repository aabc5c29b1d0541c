#include "featpool/kaldi-maps.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "featpool/error.h"
#include "featpool/options.h"
#include "printable.h"

namespace featpool {
namespace {

std::string Quote(const std::string& s) { return "'" + internal::Printable(s) + "'"; }

// The whitespace-separated tokens of each non-blank line, with its number
// (Kaldi's text archives: the key, then the value's tokens).
struct TableLine {
  int64_t number = 0;
  std::vector<std::string> tokens;
};

std::vector<TableLine> ReadTable(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read " + what + " " + Quote(path) + ": " + std::strerror(errno));
  std::vector<TableLine> lines;
  std::string text;
  for (int64_t number = 1; std::getline(in, text); ++number) {
    std::istringstream words(text);
    TableLine line;
    line.number = number;
    std::string word;
    while (words >> word) line.tokens.push_back(word);
    if (!line.tokens.empty()) lines.push_back(std::move(line));
  }
  if (in.bad()) throw Error("cannot read " + what + " " + Quote(path));
  return lines;
}

std::string Where(const std::string& path, const TableLine& line) {
  return path + ":" + std::to_string(line.number) + ": ";
}

}  // namespace

std::string KaldiTableFile(const std::string& rspecifier, const std::string& flag) {
  const std::string bad = flag + "=" + rspecifier + ": ";
  std::string file = rspecifier;
  const size_t colon = rspecifier.find(':');
  if (colon != std::string::npos && rspecifier.find('/') > colon) {
    // Kaldi util/kaldi-table.cc ClassifyRspecifier(): comma-separated
    // options before the ':'.
    const std::string opts = "," + rspecifier.substr(0, colon) + ",";
    if (opts.find(",scp,") != std::string::npos) {
      throw Error(bad + "an scp of tables is not supported; give the table file itself");
    }
    if (opts.find(",ark,") == std::string::npos) {
      throw Error(bad + "expected FILE or ark:FILE");
    }
    size_t start = 1;
    while (start < opts.size()) {
      const size_t comma = opts.find(',', start);
      const std::string o = opts.substr(start, comma - start);
      start = comma + 1;
      static const char* kKnown[] = {"ark", "b", "t",  "o",  "no",  "p",
                                     "np",  "s", "ns", "cs", "ncs", "bg"};
      bool known = false;
      for (const char* k : kKnown) known = known || o == k;
      if (!known) throw Error(bad + "unknown rspecifier option " + Quote(o));
    }
    file = rspecifier.substr(colon + 1);
  }
  if (file.empty()) throw Error(bad + "no file given");
  if (file == "-" || file.back() == '|' || file.front() == '|') {
    throw Error(bad + "standard input and pipes are not supported; give a file");
  }
  return file;
}

SpeakerMap SpeakerMap::FromUtt2Spk(const std::string& path) {
  SpeakerMap map;
  map.source_ = path;
  std::unordered_map<std::string, size_t> index;  // speaker -> speakers_ position
  std::unordered_map<std::string, int64_t> line_of;
  for (const TableLine& line : ReadTable(path, "utt2spk")) {
    if (line.tokens.size() != 2) {
      throw Error(Where(path, line) + "expected 'utterance-id speaker-id', got " +
                  std::to_string(line.tokens.size()) + " fields");
    }
    const std::string& utt = line.tokens[0];
    const std::string& spk = line.tokens[1];
    const auto [at, fresh] = line_of.emplace(utt, line.number);
    if (!fresh) {
      throw Error(Where(path, line) + "utterance " + Quote(utt) + " is listed twice (also line " +
                  std::to_string(at->second) + ")");
    }
    const auto [it, added] = index.emplace(spk, map.speakers_.size());
    if (added) map.speakers_.push_back({spk, {}});
    map.speakers_[it->second].second.push_back(utt);
    map.speaker_of_[utt] = spk;
  }
  return map;
}

SpeakerMap SpeakerMap::FromSpk2Utt(const std::string& path) {
  SpeakerMap map;
  map.source_ = path;
  std::unordered_map<std::string, int64_t> speaker_line;
  std::unordered_map<std::string, int64_t> utt_line;
  for (const TableLine& line : ReadTable(path, "spk2utt")) {
    if (line.tokens.size() < 2) {
      throw Error(Where(path, line) + "expected 'speaker-id utterance-id ...', got a speaker " +
                  "without utterances");
    }
    const std::string& spk = line.tokens[0];
    const auto [at, fresh] = speaker_line.emplace(spk, line.number);
    if (!fresh) {
      throw Error(Where(path, line) + "speaker " + Quote(spk) + " is listed twice (also line " +
                  std::to_string(at->second) + ")");
    }
    std::vector<std::string> utts(line.tokens.begin() + 1, line.tokens.end());
    for (const std::string& utt : utts) {
      const auto [u, first] = utt_line.emplace(utt, line.number);
      if (!first) {
        throw Error(Where(path, line) + "utterance " + Quote(utt) + " is listed twice (also line " +
                    std::to_string(u->second) + ")");
      }
      map.speaker_of_[utt] = spk;
    }
    map.speakers_.push_back({spk, std::move(utts)});
  }
  return map;
}

const std::string* SpeakerMap::SpeakerOf(const std::string& utt) const {
  const auto it = speaker_of_.find(utt);
  return it == speaker_of_.end() ? nullptr : &it->second;
}

const std::string& SpeakerMap::RequireSpeaker(const std::string& utt) const {
  const std::string* spk = SpeakerOf(utt);
  if (spk == nullptr) {
    throw Error("utterance " + Quote(utt) + " has no speaker: " + Quote(source_) +
                " does not list it");
  }
  return *spk;
}

VtlnWarpMap VtlnWarpMap::Read(const std::string& path, bool per_speaker) {
  const char* what = per_speaker ? "spk2warp" : "utt2warp";
  VtlnWarpMap map;
  map.source_ = path;
  map.per_speaker_ = per_speaker;
  std::unordered_map<std::string, int64_t> line_of;
  for (const TableLine& line : ReadTable(path, what)) {
    if (line.tokens.size() != 2) {
      throw Error(Where(path, line) + "expected '" + (per_speaker ? "speaker-id" : "utterance-id") +
                  " warp-factor', got " + std::to_string(line.tokens.size()) + " fields");
    }
    const std::string& key = line.tokens[0];
    const std::string& text = line.tokens[1];
    char* end = nullptr;
    errno = 0;
    const float warp = std::strtof(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(warp) ||
        !(warp > 0)) {
      throw Error(Where(path, line) + "warp factor " + Quote(text) + " of " + Quote(key) +
                  " is not a number > 0");
    }
    const auto [at, fresh] = line_of.emplace(key, line.number);
    if (!fresh) {
      throw Error(Where(path, line) + Quote(key) + " is listed twice (also line " +
                  std::to_string(at->second) + ")");
    }
    map.entries_.emplace_back(key, warp);
    map.warp_of_[key] = warp;
  }
  return map;
}

float VtlnWarpMap::WarpOf(const std::string& utt, const SpeakerMap* speakers) const {
  if (!per_speaker_) {
    const auto it = warp_of_.find(utt);
    if (it == warp_of_.end()) {
      throw Error("utterance " + Quote(utt) + " has no warp factor in utt2warp " + Quote(source_) +
                  " (Kaldi gives it no output)");
    }
    return it->second;
  }
  if (speakers == nullptr || speakers->empty()) {
    throw Error("spk2warp " + Quote(source_) + " needs an utt2spk");
  }
  const std::string& spk = speakers->RequireSpeaker(utt);
  const auto it = warp_of_.find(spk);
  if (it == warp_of_.end()) {
    throw Error("utterance " + Quote(utt) + ": its speaker " + Quote(spk) +
                " has no warp factor in spk2warp " + Quote(source_) +
                " (Kaldi gives it no output)");
  }
  return it->second;
}

std::string VtlnWarpMap::Text() const {
  std::string text;
  for (const auto& [key, warp] : entries_) text += key + "=" + FloatText(warp) + "\n";
  return text;
}

}  // namespace featpool
