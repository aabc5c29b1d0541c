#include "featpool/cmvn.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "featpool/error.h"
#include "featpool/kaldi-io.h"
#include "featpool/options.h"
#include "featpool/output-file.h"
#include "stages.h"

namespace featpool {
namespace {

const std::vector<std::string> kCmvnModeNames = {"none", "utterance", "sliding", "global",
                                                 "speaker"};

OptionInfo Info(const char* key, const char* help, const char* applies_to, double min = -1e300) {
  OptionInfo info;
  info.key = key;
  info.help = help;
  info.applies_to = applies_to;
  if (min > -1e300) info.min = min;
  return info;
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

// ---- reading the cmvn_stats file ----

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Quote(path) + ": cannot read it: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  std::string bytes = text.str();
  if (bytes.size() > (size_t{256} << 20)) {
    throw Error(Quote(path) + ": larger than 256 MiB; not a stats file");
  }
  return bytes;
}

// A little-endian, C-order .npy array of f4, f8, i4 or i8 as doubles
// (numpy/lib/format.py version 1-3 headers).
std::vector<double> ParseNpy(const std::string& bytes, const std::string& where,
                             std::vector<int64_t>* shape) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    throw Error(where + ": not a .npy array");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0;
  size_t start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) |
                 (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw Error(where + ": truncated .npy header");
    for (int i = 0; i < 4; ++i) {
      header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    }
    start = 12;
  } else {
    throw Error(where + ": unsupported .npy version " + std::to_string(major));
  }
  if (start + header_len > bytes.size()) throw Error(where + ": truncated .npy header");
  const std::string header = bytes.substr(start, header_len);
  auto value_of = [&](const std::string& key) {
    const size_t at = header.find("'" + key + "'");
    if (at == std::string::npos) throw Error(where + ": .npy header without " + key);
    const size_t colon = header.find(':', at);
    return header.substr(colon + 1);
  };
  const std::string descr_text = value_of("descr");
  const size_t q1 = descr_text.find('\'');
  const size_t q2 = descr_text.find('\'', q1 + 1);
  const std::string descr = descr_text.substr(q1 + 1, q2 - q1 - 1);
  if (value_of("fortran_order").find("True") < value_of("fortran_order").find(',')) {
    throw Error(where + ": Fortran-order .npy arrays are not supported");
  }
  const std::string shape_text = value_of("shape");
  const size_t open = shape_text.find('(');
  const size_t close = shape_text.find(')');
  shape->clear();
  int64_t count = 1;
  std::stringstream dims(shape_text.substr(open + 1, close - open - 1));
  std::string item;
  while (std::getline(dims, item, ',')) {
    if (item.find_first_not_of(" ") == std::string::npos) continue;
    const int64_t d = std::stoll(item);
    if (d < 0 || d > (int64_t{1} << 28)) throw Error(where + ": bad .npy shape");
    shape->push_back(d);
    count *= d;
    if (count > (int64_t{1} << 28)) throw Error(where + ": .npy array too large");
  }
  size_t size = 0;
  if (descr == "<f8" || descr == "<i8") {
    size = 8;
  } else if (descr == "<f4" || descr == "<i4") {
    size = 4;
  } else {
    throw Error(where + ": .npy dtype " + descr + " (expected float32/64 or int32/64)");
  }
  const size_t data = start + header_len;
  if (data + size * static_cast<size_t>(count) > bytes.size()) {
    throw Error(where + ": truncated .npy data");
  }
  std::vector<double> values(static_cast<size_t>(count));
  for (size_t i = 0; i < values.size(); ++i) {
    const char* p = bytes.data() + data + i * size;
    if (descr == "<f8") {
      double v;
      std::memcpy(&v, p, 8);
      values[i] = v;
    } else if (descr == "<f4") {
      float v;
      std::memcpy(&v, p, 4);
      values[i] = v;
    } else if (descr == "<i8") {
      int64_t v;
      std::memcpy(&v, p, 8);
      values[i] = static_cast<double>(v);
    } else {
      int32_t v;
      std::memcpy(&v, p, 4);
      values[i] = v;
    }
  }
  return values;
}

uint32_t Le(const std::string& b, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}

// The entries of a zip archive as numpy's savez writes it: local headers
// with stored (uncompressed) data. np.savez_compressed deflates; rather than
// link a zip library for it, that is refused with the fix.
std::vector<std::pair<std::string, std::string>> ReadStoredZip(const std::string& bytes,
                                                               const std::string& where) {
  std::vector<std::pair<std::string, std::string>> entries;
  size_t at = 0;
  while (at + 30 <= bytes.size() && Le(bytes, at, 4) == 0x04034b50) {
    const uint32_t flags = Le(bytes, at + 6, 2);
    const uint32_t method = Le(bytes, at + 8, 2);
    uint64_t size = Le(bytes, at + 18, 4);
    const uint32_t name_len = Le(bytes, at + 26, 2);
    const uint32_t extra_len = Le(bytes, at + 28, 2);
    if (at + 30 + name_len + extra_len > bytes.size()) break;
    const std::string name = bytes.substr(at + 30, name_len);
    // ZIP64 (numpy writes it for large arrays, force_zip64): the size in the
    // extra field 0x0001.
    if (size == 0xFFFFFFFFu) {
      size_t e = at + 30 + name_len;
      const size_t end = e + extra_len;
      while (e + 4 <= end) {
        const uint32_t id = Le(bytes, e, 2);
        const uint32_t len = Le(bytes, e + 2, 2);
        if (id == 1 && len >= 16) {
          size = Le(bytes, e + 4 + 8, 4) | (static_cast<uint64_t>(Le(bytes, e + 8 + 8, 4)) << 32);
        }
        e += 4 + len;
      }
    }
    if (method != 0) {
      throw Error(where + ": entry " + Quote(name) +
                  " is compressed (np.savez_compressed); save the stats with np.savez");
    }
    if ((flags & 8) != 0)
      throw Error(where + ": zip entries with data descriptors are not supported");
    const size_t data = at + 30 + name_len + extra_len;
    if (data + size > bytes.size()) throw Error(where + ": truncated zip entry " + Quote(name));
    entries.emplace_back(name, bytes.substr(data, static_cast<size_t>(size)));
    at = data + static_cast<size_t>(size);
  }
  if (entries.empty()) throw Error(where + ": not a zip (.npz) archive");
  return entries;
}

// A Kaldi matrix, binary ("\0B" then "DM "/"FM ", int32 rows and cols) or
// text ("[ row \n row ]"), from `at`.
std::vector<double> ParseKaldiMatrix(const std::string& b, size_t at, const std::string& where,
                                     int64_t* rows, int64_t* cols, size_t* end_at = nullptr) {
  if (b.compare(at, 2, std::string("\0B", 2)) == 0) {
    at += 2;
    const bool is_double = b.compare(at, 3, "DM ") == 0;
    if (!is_double && b.compare(at, 3, "FM ") != 0) {
      throw Error(where + ": not a Kaldi float or double matrix (expected DM or FM)");
    }
    at += 3;
    if (at + 10 > b.size() || b[at] != 4 || b[at + 5] != 4) {
      throw Error(where + ": truncated Kaldi matrix header");
    }
    *rows = static_cast<int32_t>(Le(b, at + 1, 4));
    *cols = static_cast<int32_t>(Le(b, at + 6, 4));
    at += 10;
    const size_t size = is_double ? 8 : 4;
    if (*rows < 0 || *cols < 0 || *rows > 16 || *cols > (1 << 24) ||
        at + size * static_cast<size_t>(*rows * *cols) > b.size()) {
      throw Error(where + ": truncated or implausible Kaldi matrix (" + std::to_string(*rows) +
                  " x " + std::to_string(*cols) + ")");
    }
    std::vector<double> values(static_cast<size_t>(*rows * *cols));
    for (size_t i = 0; i < values.size(); ++i) {
      if (is_double) {
        std::memcpy(&values[i], b.data() + at + 8 * i, 8);
      } else {
        float f;
        std::memcpy(&f, b.data() + at + 4 * i, 4);
        values[i] = f;
      }
    }
    if (end_at != nullptr) *end_at = at + size * values.size();
    return values;
  }
  const size_t open = b.find('[', at);
  const size_t close = b.find(']', at);
  if (open == std::string::npos || close == std::string::npos || close < open) {
    throw Error(where + ": not a Kaldi matrix (binary, or text in [ ])");
  }
  std::vector<double> values;
  *rows = 0;
  *cols = -1;
  std::istringstream lines(b.substr(open + 1, close - open - 1));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream in(line);
    std::string word;
    int64_t n = 0;
    while (in >> word) {
      char* end = nullptr;
      const double v = std::strtod(word.c_str(), &end);
      if (end == word.c_str() || *end != '\0') throw Error(where + ": bad number " + Quote(word));
      values.push_back(v);
      ++n;
    }
    if (n == 0) continue;
    if (*cols >= 0 && n != *cols) throw Error(where + ": rows of different lengths");
    *cols = n;
    ++*rows;
  }
  if (*cols < 0) *cols = 0;
  if (end_at != nullptr) *end_at = close + 1;
  return values;
}

// FunASR am.mvn (funasr/frontends/wav_frontend.py load_cmvn l.15-43): the
// values between [ ] on the line after <AddShift> (shift) and <Rescale>.
bool ParseAmMvn(const std::string& text, const std::string& where, std::vector<float>* shift,
                std::vector<float>* scale) {
  if (text.find("<Nnet>") == std::string::npos) return false;
  std::istringstream lines(text);
  std::string line;
  std::vector<float>* next = nullptr;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::vector<std::string> tokens;
    std::string w;
    while (words >> w) tokens.push_back(w);
    if (tokens.empty()) continue;
    if (tokens[0] == "<AddShift>") {
      next = shift;
      continue;
    }
    if (tokens[0] == "<Rescale>") {
      next = scale;
      continue;
    }
    if (next != nullptr && tokens[0] == "<LearnRateCoef>") {
      // tokens[3:-1]: after "<LearnRateCoef> 0 [", before "]"
      if (tokens.size() < 4 || tokens[2] != "[" || tokens.back() != "]") {
        throw Error(where + ": malformed <LearnRateCoef> line");
      }
      for (size_t i = 3; i + 1 < tokens.size(); ++i) {
        char* end = nullptr;
        const float v = std::strtof(tokens[i].c_str(), &end);
        if (*end != '\0') throw Error(where + ": bad number " + Quote(tokens[i]));
        next->push_back(v);
      }
      next = nullptr;
    }
  }
  if (shift->empty() || scale->empty()) throw Error(where + ": no <AddShift> and <Rescale> values");
  if (shift->size() != scale->size()) {
    throw Error(where + ": <AddShift> has " + std::to_string(shift->size()) + " values, " +
                "<Rescale> " + std::to_string(scale->size()));
  }
  return true;
}

}  // namespace

void CmvnOptions::VisitOptions(OptionVisitor& v) {
  v.Visit(Info("cmvn",
               "Mean (and variance) normalisation: none, utterance, sliding, global or speaker "
               "(apply-cmvn --utt2spk: the stats of each utterance's speaker)",
               ""),
          OptionRef::Choice(&mode, &kCmvnModeNames));
  v.Visit(Info("norm_means", "Subtract the mean (Kaldi apply-cmvn)", "utterance,global,speaker"),
          OptionRef::Of(&norm_means));
  v.Visit(Info("norm_vars", "Also divide by the standard deviation",
               "utterance,sliding,global,speaker"),
          OptionRef::Of(&norm_vars));
  v.Visit(Info("cmn_window", "Sliding window in frames (Kaldi apply-cmvn-sliding)", "sliding", 1),
          OptionRef::Of(&cmn_window));
  v.Visit(
      Info("min_cmn_window", "Shortest window at the start (not centred), in frames", "sliding", 1),
      OptionRef::Of(&min_cmn_window));
  v.Visit(Info("cmn_center", "Centre the window on the frame (else it ends there)", "sliding"),
          OptionRef::Of(&cmn_center));
  v.Visit(Info("cmvn_stats",
               "global: stats file, a Kaldi 2x(D+1) matrix (binary or text), .npy of it, ESPnet "
               "feats_stats.npz or FunASR am.mvn; speaker: a Kaldi table of per-speaker stats "
               "(scp:cmvn.scp or ark:cmvn.ark; default: accumulated from the input)",
               "global,speaker"),
          OptionRef::Of(&cmvn_stats));
}

void CmvnOptions::Validate() const {
  CheckOptionRanges(*this);
  CheckModeOptions(OptionFields(*this), OptionFields(CmvnOptions{}), "cmvn", "CMVN");
  if (mode == CmvnMode::kGlobal && cmvn_stats.empty()) {
    throw OptionError("cmvn_stats", std::nullopt, "is required for {cmvn}=global");
  }
  if (mode != CmvnMode::kSliding && mode != CmvnMode::kNone && norm_vars && !norm_means) {
    // Kaldi apply-cmvn.cc l.63
    throw OptionError("norm_vars", "true", "needs {norm_means}=true (as Kaldi's apply-cmvn)");
  }
  if (mode == CmvnMode::kSliding && cmn_center && min_cmn_window > cmn_window) {
    // Kaldi SlidingWindowCmnOptions::Check()
    throw OptionError("min_cmn_window", std::to_string(min_cmn_window),
                      "must be at most {cmn_window} with {cmn_center}");
  }
}

void CmvnStats::Accumulate(const float* row) {
  // Kaldi AccCmvnStats(): x * x in float (BaseFloat), added to double.
  double* sum = values.data();
  double* sumsq = sum + dim + 1;
  for (int64_t d = 0; d < dim; ++d) {
    const float x = row[d];
    sum[d] += x;
    sumsq[d] += static_cast<double>(x * x);
  }
  sum[dim] += 1.0;
}

void CmvnStats::Accumulate(MatrixView feats) {
  for (int64_t r = 0; r < feats.rows; ++r) Accumulate(feats.Row(r));
}

std::string KaldiStatsBytes(const CmvnStats& stats, bool binary) {
  const int32_t rows = 2;
  const int32_t cols = static_cast<int32_t>(stats.dim + 1);
  std::string out;
  if (binary) {
    // Kaldi MatrixBase::Write(binary=true): "DM ", then WriteBasicType's
    // size byte and little-endian int32 for rows and cols.
    out.append("\0BDM ", 5);
    out.push_back(4);
    out.append(reinterpret_cast<const char*>(&rows), 4);
    out.push_back(4);
    out.append(reinterpret_cast<const char*>(&cols), 4);
    out.append(reinterpret_cast<const char*>(stats.values.data()),
               sizeof(double) * stats.values.size());
    return out;
  }
  out = " [";
  for (int32_t r = 0; r < rows; ++r) {
    out += "\n  ";
    for (int32_t c = 0; c < cols; ++c) {
      out += DoubleText(stats.values[static_cast<size_t>(r * cols + c)]) + " ";
    }
  }
  out += "]\n";
  return out;
}

void WriteKaldiStatsTable(const std::vector<std::pair<std::string, CmvnStats>>& stats,
                          const std::string& ark_path, const std::string& scp_path) {
  // Kaldi util/kaldi-table-inl.h TableWriterArchiveImpl::Write: "key ", then
  // the object (KaldiObjectHolder<Matrix<double>>, binary); the scp line
  // names the position after "key " (TableWriterBothImpl).
  std::string ark;
  std::string scp;
  for (const auto& [key, s] : stats) {
    CheckKaldiKey(key);
    ark += key + " ";
    scp += key + " " + ark_path + ":" + std::to_string(ark.size()) + "\n";
    ark += KaldiStatsBytes(s, true);
  }
  AtomicOutputFile ark_out(ark_path);
  ark_out.Write(ark.data(), ark.size());
  ark_out.Commit();
  if (scp_path.empty()) return;
  AtomicOutputFile scp_out(scp_path);
  scp_out.Write(scp.data(), scp.size());
  scp_out.Commit();
}

namespace {

CmvnStats StatsOf(const std::vector<double>& values, int64_t rows, int64_t cols,
                  const std::string& where) {
  if (rows != 2 || cols < 2) {
    throw Error(where + ": expected Kaldi CMVN stats, a 2 x (D+1) matrix; got " +
                std::to_string(rows) + " x " + std::to_string(cols));
  }
  CmvnStats stats(cols - 1);
  stats.values = values;
  return stats;
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::vector<std::pair<std::string, CmvnStats>> ReadKaldiStatsTable(const std::string& spec) {
  std::string path = spec;
  bool scp = EndsWith(spec, ".scp");
  if (spec.rfind("scp:", 0) == 0) {
    path = spec.substr(4);
    scp = true;
  } else if (spec.rfind("ark:", 0) == 0) {
    path = spec.substr(4);
    scp = false;
  }
  std::vector<std::pair<std::string, CmvnStats>> out;
  if (scp) {
    // "key ARK:offset" (Kaldi ReadScriptFile; the offset of the record's
    // "\0B", or of its text "[").
    std::map<std::string, std::string> archives;
    for (const ScpLine& line : ReadKaldiScp(path)) {
      const std::string where = path + ":" + std::to_string(line.line_number);
      const size_t colon = line.value.rfind(':');
      char* end = nullptr;
      const long long offset =
          colon == std::string::npos ? -1 : std::strtoll(line.value.c_str() + colon + 1, &end, 10);
      if (colon == std::string::npos || end == line.value.c_str() + colon + 1 || *end != '\0' ||
          offset < 0) {
        throw Error(where + ": expected 'key ARCHIVE:OFFSET', got " + Quote(line.value));
      }
      const std::string ark = line.value.substr(0, colon);
      auto it = archives.find(ark);
      if (it == archives.end()) it = archives.emplace(ark, ReadWholeFile(ark)).first;
      const std::string& bytes = it->second;
      if (static_cast<size_t>(offset) >= bytes.size()) {
        throw Error(where + ": offset " + std::to_string(offset) + " is past the end of " +
                    Quote(ark));
      }
      int64_t rows = 0;
      int64_t cols = 0;
      const std::string what = where + " (" + Quote(line.key) + ")";
      const std::vector<double> values =
          ParseKaldiMatrix(bytes, static_cast<size_t>(offset), what, &rows, &cols);
      out.emplace_back(line.key, StatsOf(values, rows, cols, what));
    }
    return out;
  }
  const std::string bytes = ReadWholeFile(path);
  size_t at = 0;
  while (true) {
    at = bytes.find_first_not_of(" \t\r\n", at);
    if (at == std::string::npos) break;
    const size_t space = bytes.find(' ', at);
    if (space == std::string::npos)
      throw Error(Quote(path) + ": a key without a matrix at the end");
    const std::string key = bytes.substr(at, space - at);
    const std::string what = Quote(path) + " record " + Quote(key);
    size_t begin = space + 1;
    if (bytes.compare(begin, 2, std::string("\0B", 2)) != 0) {
      begin = bytes.find_first_not_of(" \t", begin);
      if (begin == std::string::npos || bytes[begin] != '[') {
        throw Error(what + ": not a Kaldi matrix");
      }
    }
    int64_t rows = 0;
    int64_t cols = 0;
    size_t end = 0;
    const std::vector<double> values = ParseKaldiMatrix(bytes, begin, what, &rows, &cols, &end);
    out.emplace_back(key, StatsOf(values, rows, cols, what));
    at = end;
  }
  if (out.empty()) throw Error(Quote(path) + ": no CMVN stats in it");
  return out;
}

GlobalCmvn GlobalCmvn::FromKaldiStats(const CmvnStats& stats, bool norm_means, bool norm_vars,
                                      const std::string& source) {
  const std::string where = source.empty() ? "" : source + ": ";
  const int64_t dim = stats.dim;
  const double count = stats.count();
  // Kaldi ApplyCmvn() l.80-84.
  if (!(count >= 1.0)) {
    throw Error(where + "insufficient stats for CMVN: count = " + DoubleText(count));
  }
  GlobalCmvn g;
  g.a_.assign(static_cast<size_t>(dim), 0.0f);
  g.b_.assign(static_cast<size_t>(dim), 1.0f);
  if (!norm_means && !norm_vars) return g;  // offset 0: x + 0 = x
  if (!norm_vars) {
    // offset.AddVec(-1.0 / count, sums): a float alpha times a double sum.
    const float alpha = static_cast<float>(-1.0 / count);
    for (int64_t d = 0; d < dim; ++d) {
      g.a_[d] = static_cast<float>(static_cast<double>(alpha) * stats.values[d]);
    }
    g.rule_ = Rule::kKaldiMeans;
    return g;
  }
  g.rule_ = Rule::kKaldiVars;
  for (int64_t d = 0; d < dim; ++d) {
    const double mean = stats.values[d] / count;
    double var = stats.values[dim + 1 + d] / count - mean * mean;
    if (var < 1.0e-20) var = 1.0e-20;
    const double scale = 1.0 / std::sqrt(var);
    if (scale != scale || 1 / scale == 0.0) {
      throw Error(where + "NaN or infinity in the CMVN scale (column " + std::to_string(d) + ")");
    }
    g.a_[d] = static_cast<float>(-(mean * scale));
    g.b_[d] = static_cast<float>(scale);
  }
  return g;
}

GlobalCmvn GlobalCmvn::Read(const std::string& path, bool norm_means, bool norm_vars) {
  const std::string where = Quote(path);
  const std::string bytes = ReadWholeFile(path);
  auto from_matrix = [&](const std::vector<double>& values, int64_t rows, int64_t cols) {
    if (rows != 2 || cols < 2) {
      throw Error(where + ": expected Kaldi stats, a 2 x (D+1) matrix; got " +
                  std::to_string(rows) + " x " + std::to_string(cols));
    }
    CmvnStats stats(cols - 1);
    stats.values = values;
    return FromKaldiStats(stats, norm_means, norm_vars, where);
  };
  // ESPnet feats_stats.npz (espnet2 GlobalMVN): count, sum, sum_square.
  if (bytes.compare(0, 4, "PK\x03\x04") == 0) {
    std::vector<double> count, sum, sum_square;
    for (const auto& [name, data] : ReadStoredZip(bytes, where)) {
      std::vector<int64_t> shape;
      const std::string entry = where + " entry " + Quote(name);
      if (name == "count.npy") count = ParseNpy(data, entry, &shape);
      if (name == "sum.npy") sum = ParseNpy(data, entry, &shape);
      if (name == "sum_square.npy") sum_square = ParseNpy(data, entry, &shape);
    }
    if (count.size() != 1 || sum.empty() || sum.size() != sum_square.size()) {
      throw Error(where + ": expected ESPnet stats count (one value), sum and sum_square (D each)");
    }
    // espnet2/layers/global_mvn.py: mean = sum / count, var = sum_square /
    // count - mean^2, std = sqrt(max(var, eps)), eps = 1e-20; (x - mean) / std.
    GlobalCmvn g;
    g.rule_ = Rule::kMeanStd;
    if (!(count[0] > 0)) throw Error(where + ": count = " + DoubleText(count[0]));
    for (size_t d = 0; d < sum.size(); ++d) {
      const double mean = norm_means ? sum[d] / count[0] : 0.0;
      const double m = sum[d] / count[0];
      const double var = sum_square[d] / count[0] - m * m;
      g.mean_.push_back(mean);
      g.std_.push_back(norm_vars ? std::sqrt(std::max(var, 1e-20)) : 1.0);
      g.a_.push_back(0.0f);
    }
    return g;
  }
  if (bytes.compare(0, 6, "\x93NUMPY") == 0) {
    std::vector<int64_t> shape;
    const std::vector<double> values = ParseNpy(bytes, where, &shape);
    if (shape.size() != 2) throw Error(where + ": expected a 2-D .npy array, 2 x (D+1)");
    return from_matrix(values, shape[0], shape[1]);
  }
  std::vector<float> shift, scale;
  if (ParseAmMvn(bytes, where, &shift, &scale)) {
    GlobalCmvn g;
    g.rule_ = Rule::kShiftScale;
    g.a_ = norm_means ? shift : std::vector<float>(shift.size(), 0.0f);
    g.b_ = norm_vars ? scale : std::vector<float>(scale.size(), 1.0f);
    return g;
  }
  size_t at = 0;
  if (bytes.compare(0, 2, std::string("\0B", 2)) != 0) {
    at = bytes.find_first_not_of(" \t\r\n");
    if (at == std::string::npos) throw Error(where + ": empty");
    if (bytes[at] != '[') {
      // One archive record, "key " then the matrix.
      at = bytes.find(' ', at);
      if (at == std::string::npos) throw Error(where + ": not a CMVN stats file");
      ++at;
    }
  }
  int64_t rows = 0;
  int64_t cols = 0;
  const std::vector<double> values = ParseKaldiMatrix(bytes, at, where, &rows, &cols);
  return from_matrix(values, rows, cols);
}

void GlobalCmvn::Apply(const float* in, float* out) const {
  const int64_t dim = Dim();
  switch (rule_) {
    case Rule::kKaldiMeans:
      for (int64_t d = 0; d < dim; ++d) out[d] = in[d] + a_[d];
      return;
    case Rule::kKaldiVars:
      // MulColsVec(scale) then AddVecToRows(1.0, offset), in float.
      for (int64_t d = 0; d < dim; ++d) {
        const float scaled = in[d] * b_[d];
        out[d] = scaled + a_[d];
      }
      return;
    case Rule::kShiftScale:
      // numpy float32: (inputs + means) * vars
      for (int64_t d = 0; d < dim; ++d) {
        const float shifted = in[d] + a_[d];
        out[d] = shifted * b_[d];
      }
      return;
    case Rule::kMeanStd:
      for (int64_t d = 0; d < dim; ++d) {
        out[d] = static_cast<float>((static_cast<double>(in[d]) - mean_[d]) / std_[d]);
      }
      return;
  }
}

void SlidingCmnWindow(const CmvnOptions& opts, int64_t t, int64_t num_frames, int64_t* start,
                      int64_t* end) {
  // Kaldi SlidingWindowCmnInternal() l.262-283.
  int64_t s = 0;
  int64_t e = 0;
  if (opts.cmn_center) {
    s = t - opts.cmn_window / 2;
    e = s + opts.cmn_window;
  } else {
    s = t - opts.cmn_window;
    e = t + 1;
  }
  if (s < 0) {
    e -= s;
    s = 0;
  }
  if (!opts.cmn_center && e > t) e = std::max<int64_t>(t + 1, opts.min_cmn_window);
  if (e > num_frames) {
    s -= e - num_frames;
    e = num_frames;
    if (s < 0) s = 0;
  }
  *start = s;
  *end = e;
}

namespace internal {
namespace {

constexpr int64_t kUnknownLength = std::numeric_limits<int64_t>::max();

const char* CmvnName(CmvnMode mode) { return kCmvnModeNames[static_cast<size_t>(mode)].c_str(); }

class UtteranceCmvnStage : public WholeUtteranceStage {
 public:
  UtteranceCmvnStage(const CmvnOptions& opts, int64_t dim)
      : WholeUtteranceStage(dim), opts_(opts) {}
  const char* Name() const override { return "cmvn"; }
  std::string CannotStreamReason() const override {
    return "cannot stream: utterance CMVN needs the whole utterance's statistics (use "
           "{cmvn}=sliding or {cmvn}=global with {cmvn_stats})";
  }
  std::string CannotStreamKey() const override { return "cmvn"; }
  std::string CannotStreamValue() const override { return "utterance"; }

 private:
  void ProcessWhole(float* data, int64_t rows, int64_t dim) override {
    CmvnStats stats(dim);
    if (opts_.norm_vars) {
      stats.Accumulate(MatrixView{data, rows, dim});
    } else {
      // Means only: the sums of Accumulate(), in the same order, without
      // the squares nobody reads.
      double* sum = stats.values.data();
      for (int64_t r = 0; r < rows; ++r) {
        const float* x = data + r * dim;
        for (int64_t d = 0; d < dim; ++d) sum[d] += x[d];
      }
      sum[dim] = static_cast<double>(rows);
    }
    const GlobalCmvn g = GlobalCmvn::FromKaldiStats(stats, opts_.norm_means, opts_.norm_vars, "");
    for (int64_t r = 0; r < rows; ++r) g.Apply(data + r * dim, data + r * dim);
  }
  CmvnOptions opts_;
};

// Kaldi featbin/compute-fbank-feats.cc and compute-mfcc-feats.cc
// (kaldi-asr/kaldi f4007661), --subtract-mean:
//   Vector<BaseFloat> mean(features.NumCols());
//   mean.AddRowSumMat(1.0, features);
//   mean.Scale(1.0 / features.NumRows());
//   for each row i: features.Row(i).AddVec(-1.0, mean);
// all in float (BaseFloat), unlike compute-cmvn-stats' double stats.
// AddRowSumMat (matrix/kaldi-vector.cc) adds the rows one after the other
// (cblas_saxpy, up to 64 rows) or through sgemv (more rows), which the
// reference BLAS also sums frame after frame per column; Scale multiplies
// by the float 1/N; AddVec(-1) is x - mean in float.
class SubtractMeanStage : public WholeUtteranceStage {
 public:
  explicit SubtractMeanStage(int64_t dim) : WholeUtteranceStage(dim), mean_(dim) {}
  const char* Name() const override { return "subtract_mean"; }
  std::string CannotStreamReason() const override {
    return "cannot stream: the mean of each column is that of the whole utterance (use "
           "{cmvn}=sliding, or {cmvn}=global with {cmvn_stats})";
  }
  std::string CannotStreamKey() const override { return "subtract_mean"; }
  std::string CannotStreamValue() const override { return "true"; }

 private:
  void ProcessWhole(float* data, int64_t rows, int64_t cols) override {
    std::fill(mean_.begin(), mean_.end(), 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
      const float* x = data + r * cols;
      for (int64_t d = 0; d < cols; ++d) mean_[d] += x[d];
    }
    const float scale = static_cast<float>(1.0 / static_cast<double>(rows));
    for (float& m : mean_) m *= scale;
    for (int64_t r = 0; r < rows; ++r) {
      float* x = data + r * cols;
      for (int64_t d = 0; d < cols; ++d) x[d] -= mean_[d];
    }
  }
  std::vector<float> mean_;
};

class GlobalCmvnStage : public FrameStage {
 public:
  GlobalCmvnStage(std::shared_ptr<const GlobalCmvn> g, int64_t dim) : g_(std::move(g)), dim_(dim) {}
  const char* Name() const override { return "cmvn"; }
  int64_t InputDim() const override { return dim_; }
  int64_t OutputDim() const override { return dim_; }
  int64_t FramesNeededForRow(int64_t row) const override { return row + 1; }
  int64_t LookAhead() const override { return 0; }
  void Accept(MatrixView rows, RowQueue* out) override {
    for (int64_t r = 0; r < rows.rows; ++r) g_->Apply(rows.Row(r), out->AppendRow());
  }
  // In place (Apply() is element by element), then the rows handed on
  // without a copy when `out` is empty.
  void AcceptQueue(RowQueue* in, RowQueue* out) override {
    for (int64_t r = in->FirstRow(); r < in->NumRows(); ++r) {
      g_->Apply(in->MutableRow(r), in->MutableRow(r));
    }
    out->AppendFrom(in);
  }
  void Flush(RowQueue*) override {}
  void Reset() override {}

 private:
  std::shared_ptr<const GlobalCmvn> g_;
  int64_t dim_;
};

// Kaldi's loop, run as frames arrive: row t is computed once its window,
// found with the length unknown, has arrived; the rest at Flush() with the
// length known. Windows only move right, so the running sums are those of
// Kaldi's single pass.
class SlidingCmvnStage : public FrameStage {
 public:
  SlidingCmvnStage(const CmvnOptions& opts, int64_t dim)
      : opts_(opts), dim_(dim), held_(dim), sum_(dim), sumsq_(dim), frame_(dim) {}
  const char* Name() const override { return "cmvn"; }
  int64_t InputDim() const override { return dim_; }
  int64_t OutputDim() const override { return dim_; }
  int64_t FramesNeededForRow(int64_t row) const override {
    int64_t start = 0;
    int64_t end = 0;
    SlidingCmnWindow(opts_, row, kUnknownLength, &start, &end);
    return end;
  }
  int64_t LookAhead() const override { return opts_.cmn_center ? opts_.cmn_window / 2 - 1 : 0; }
  void Accept(MatrixView rows, RowQueue* out) override {
    held_.Append(rows);
    Emit(kUnknownLength, out);
  }
  void Flush(RowQueue* out) override { Emit(held_.NumRows(), out); }
  void Reset() override {
    held_.Reset();
    next_ = 0;
    last_start_ = -1;
    last_end_ = -1;
  }

 private:
  void Emit(int64_t num_frames, RowQueue* out) {
    const int64_t have = held_.NumRows();
    for (; next_ < have; ++next_) {
      const int64_t t = next_;
      int64_t start = 0;
      int64_t end = 0;
      SlidingCmnWindow(opts_, t, num_frames, &start, &end);
      if (end > have) break;  // needs frames still to come
      Update(start, end);
      Output(t, end - start, out->AppendRow());
      held_.ReleaseBefore(std::min(start, t));
    }
  }

  void Update(int64_t start, int64_t end) {
    const bool vars = opts_.norm_vars;
    if (last_start_ == -1) {
      std::fill(sum_.begin(), sum_.end(), 0.0);
      std::fill(sumsq_.begin(), sumsq_.end(), 0.0);
      for (int64_t f = start; f < end; ++f) {
        const float* x = held_.Row(f);
        for (int64_t d = 0; d < dim_; ++d) {
          sum_[d] += x[d];
          if (vars) sumsq_[d] += static_cast<double>(x[d]) * x[d];
        }
      }
    } else {
      if (start > last_start_) {  // Kaldi: frame_to_remove, AddVec(-1.0, ...)
        const float* x = held_.Row(last_start_);
        for (int64_t d = 0; d < dim_; ++d) {
          sum_[d] += -1.0 * x[d];
          if (vars) sumsq_[d] += -1.0 * x[d] * x[d];
        }
      }
      if (end > last_end_) {
        const float* x = held_.Row(last_end_);
        for (int64_t d = 0; d < dim_; ++d) {
          sum_[d] += x[d];
          if (vars) sumsq_[d] += static_cast<double>(x[d]) * x[d];
        }
      }
    }
    last_start_ = start;
    last_end_ = end;
  }

  void Output(int64_t t, int64_t n, float* out) {
    const float* x = held_.Row(t);
    // output = x; output.AddVec(-1.0 / n, sum), in double.
    const double alpha = -1.0 / static_cast<double>(n);
    for (int64_t d = 0; d < dim_; ++d) frame_[d] = static_cast<double>(x[d]) + alpha * sum_[d];
    if (opts_.norm_vars) {
      if (n == 1) {
        std::fill(frame_.begin(), frame_.end(), 0.0);
      } else {
        const double inv_n = 1.0 / static_cast<double>(n);
        const double inv_n2 = -1.0 / static_cast<double>(n * n);
        for (int64_t d = 0; d < dim_; ++d) {
          double var = sumsq_[d] * inv_n;
          var += inv_n2 * sum_[d] * sum_[d];
          if (var < 1.0e-10) var = 1.0e-10;
          frame_[d] *= std::pow(var, -0.5);
        }
      }
    }
    for (int64_t d = 0; d < dim_; ++d) out[d] = static_cast<float>(frame_[d]);
  }

  CmvnOptions opts_;
  int64_t dim_;
  RowQueue held_;  // input rows from the oldest still in a window
  std::vector<double> sum_, sumsq_, frame_;
  int64_t next_ = 0;
  int64_t last_start_ = -1;
  int64_t last_end_ = -1;
};

}  // namespace

std::unique_ptr<FrameStage> MakeSubtractMeanStage(int64_t dim) {
  return std::make_unique<SubtractMeanStage>(dim);
}

std::unique_ptr<FrameStage> MakeCmvnStage(const CmvnOptions& opts, int64_t dim,
                                          std::shared_ptr<const GlobalCmvn> global) {
  switch (opts.mode) {
    case CmvnMode::kUtterance:
      return std::make_unique<UtteranceCmvnStage>(opts, dim);
    case CmvnMode::kSliding:
      return std::make_unique<SlidingCmvnStage>(opts, dim);
    case CmvnMode::kGlobal:
      return std::make_unique<GlobalCmvnStage>(std::move(global), dim);
    case CmvnMode::kSpeaker:
      if (!global) {
        throw OptionError("cmvn", "speaker",
                          "needs each utterance's speaker and its stats: a dataset with "
                          "{utt2spk} (a data directory's utt2spk), or "
                          "StageChain::WithCmvnStats()");
      }
      return std::make_unique<GlobalCmvnStage>(std::move(global), dim);
    case CmvnMode::kNone:
      break;
  }
  throw Error(std::string("internal: no CMVN stage for ") + CmvnName(opts.mode));
}

}  // namespace internal
}  // namespace featpool
