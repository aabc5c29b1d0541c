// Loads the torch pooling fixtures written by tests/gen-pool-fixtures.py
// (tests/data/pool/) and compares featpool's output with them.
#ifndef FEATPOOL_TESTS_POOL_FIXTURES_H_
#define FEATPOOL_TESTS_POOL_FIXTURES_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "featpool/error.h"
#include "featpool/matrix.h"
#include "featpool/npy.h"
#include "featpool/pooler.h"

namespace pool_fixtures {

inline std::string Dir() { return std::string(FEATPOOL_TEST_DATA) + "/pool"; }

struct Case {
  std::string line;  // as in cases.txt, for failure messages
  int number = 0;
  std::string input;
  featpool::PoolOptions opts;
  bool error = false;
  int64_t rows = 0, cols = 0;
  int64_t offset = 0;
  int64_t index_offset = -1;
};

inline featpool::PoolSize ParseSize(const std::string& text) {
  const size_t x = text.find('x');
  auto one = [](const std::string& v) { return v == "keep" ? featpool::kKeep : std::stoll(v); };
  return {one(text.substr(0, x)), one(text.substr(x + 1))};
}

inline std::vector<Case> LoadCases() {
  std::ifstream in(Dir() + "/cases.txt");
  if (!in) throw featpool::Error("cannot read " + Dir() + "/cases.txt");
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::map<std::string, std::string> kv;
    std::istringstream fields(line);
    std::string field;
    while (fields >> field) {
      const size_t eq = field.find('=');
      kv[field.substr(0, eq)] = field.substr(eq + 1);
    }
    Case c;
    c.line = line;
    c.number = std::stoi(kv.at("case"));
    c.input = kv.at("input");
    featpool::PoolOptions& o = c.opts;
    o.mode = featpool::ParsePoolMode(kv.at("mode"));
    const bool window = o.mode == featpool::PoolMode::kMax || o.mode == featpool::PoolMode::kAvg ||
                        o.mode == featpool::PoolMode::kLp;
    if (window) {
      o.kernel = ParseSize(kv.at("kernel"));
      if (kv.at("stride") != "-") o.stride = ParseSize(kv.at("stride"));
      o.padding = ParseSize(kv.at("padding"));
      o.dilation = ParseSize(kv.at("dilation"));
      o.ceil_mode = kv.at("ceil") == "1";
    }
    if (o.mode == featpool::PoolMode::kAvg) {
      o.count_include_pad = kv.at("cip") == "1";
      o.divisor_override = std::stoll(kv.at("divisor"));
    }
    if (o.mode == featpool::PoolMode::kLp) o.norm_type = std::stod(kv.at("norm"));
    if (kv.at("output") != "-") o.output_size = ParseSize(kv.at("output"));
    if (o.mode == featpool::PoolMode::kStack) {
      o.stack_frames = std::stoll(kv.at("frames"));
      o.stack_stride = std::stoll(kv.at("step"));
    }
    c.error = kv.at("error") == "1";
    c.rows = std::stoll(kv.at("rows"));
    c.cols = std::stoll(kv.at("cols"));
    c.offset = std::stoll(kv.at("offset"));
    c.index_offset = std::stoll(kv.at("index_offset"));
    cases.push_back(c);
  }
  return cases;
}

// A [1, N] int64 .npy (little-endian, C order), as numpy saves it.
inline std::vector<int64_t> ReadInt64Npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw featpool::Error("cannot read " + path);
  char preamble[10];
  in.read(preamble, 10);
  const size_t header =
      static_cast<unsigned char>(preamble[8]) | (static_cast<unsigned char>(preamble[9]) << 8);
  std::string dict(header, '\0');
  in.read(&dict[0], static_cast<std::streamsize>(header));
  if (dict.find("'<i8'") == std::string::npos) throw featpool::Error(path + " is not int64");
  std::vector<int64_t> values;
  int64_t v;
  while (in.read(reinterpret_cast<char*>(&v), sizeof v)) values.push_back(v);
  return values;
}

struct Fixtures {
  std::vector<Case> cases;
  std::map<std::string, featpool::Matrix> inputs;
  featpool::Matrix expected;  // [1, N]
  std::vector<int64_t> indices;

  const featpool::Matrix& Input(const std::string& name) {
    auto it = inputs.find(name);
    if (it == inputs.end()) {
      it = inputs.emplace(name, featpool::ReadNpy(Dir() + "/input-" + name + ".npy")).first;
    }
    return it->second;
  }
  const float* Expected(const Case& c) const { return expected.data() + c.offset; }
  const int64_t* ExpectedIndices(const Case& c) const { return indices.data() + c.index_offset; }
};

inline Fixtures& Load() {
  static Fixtures f = [] {
    Fixtures fx;
    fx.cases = LoadCases();
    fx.expected = featpool::ReadNpy(Dir() + "/expected.npy");
    fx.indices = ReadInt64Npy(Dir() + "/indices.npy");
    return fx;
  }();
  return f;
}

inline uint32_t Bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

inline float MaxFiniteAbs(const featpool::Matrix& m) {
  float scale = 1.0f;
  for (int64_t i = 0; i < m.rows() * m.cols(); ++i) {
    const float v = std::fabs(m.data()[i]);
    if (std::isfinite(v) && v > scale) scale = v;
  }
  return scale;
}

// Empty if `got` matches the case's expected values, else a description of
// the first mismatch. Exact modes (max, adaptive-max, stack) compare bits;
// the summing modes allow 1e-6 relative plus 1e-9 of the input's scale
// (the reference is torch in float64; NaN and inf must match exactly).
inline std::string Compare(const Case& c, const float* expected, const float* got, int64_t count,
                           float scale) {
  using featpool::PoolMode;
  const bool exact = c.opts.mode == PoolMode::kMax || c.opts.mode == PoolMode::kAdaptiveMax ||
                     c.opts.mode == PoolMode::kStack;
  for (int64_t i = 0; i < count; ++i) {
    const float e = expected[i];
    const float g = got[i];
    bool ok;
    if (exact) {
      ok = Bits(e) == Bits(g);
    } else if (std::isnan(e) || std::isnan(g)) {
      ok = std::isnan(e) && std::isnan(g);
    } else if (std::isinf(e) || std::isinf(g)) {
      ok = e == g;
    } else {
      ok = std::fabs(static_cast<double>(e) - g) <= 1e-6 * std::fabs(e) + 1e-9 * scale;
    }
    if (!ok) {
      std::ostringstream out;
      out.precision(9);
      out << "element " << i << " (row " << i / c.cols << ", col " << i % c.cols << "): expected "
          << e << " (bits " << std::hex << Bits(e) << "), got " << std::dec << g << " (bits "
          << std::hex << Bits(g) << ")";
      return out.str();
    }
  }
  return "";
}

inline std::string CompareIndices(const int64_t* expected, const int64_t* got, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    if (expected[i] != got[i]) {
      return "index " + std::to_string(i) + ": expected " + std::to_string(expected[i]) + ", got " +
             std::to_string(got[i]);
    }
  }
  return "";
}

}  // namespace pool_fixtures

#endif  // FEATPOOL_TESTS_POOL_FIXTURES_H_
