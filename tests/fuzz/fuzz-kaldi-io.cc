// Bytes -> the readers --resume relies on: ScanKaldiArk / ReadKaldiMatrix on
// an archive, ReadKaldiScp on a script file, KaldiArkWriter::OpenForResume on
// a partial archive a killed run left (keep some records, append one,
// commit, read back), ParseJsonLine on manifest lines, and the data
// directory's speaker maps (utt2spk, spk2utt, utt2warp / spk2warp). Any
// result but consistent records or featpool::Error is a finding.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "featpool/error.h"
#include "../../lib/src/json-line.h"
#include "featpool/kaldi-io.h"
#include "featpool/kaldi-maps.h"
#include "fuzz-common.h"

using namespace featpool;

namespace {

void CheckRecords(const std::string& path, const std::vector<KaldiArkRecord>& records,
                  int64_t valid_bytes, size_t file_size) {
  int64_t previous_end = 0;
  for (const KaldiArkRecord& r : records) {
    if (r.rows < 0 || r.cols < 0 || r.offset < previous_end || r.end < r.offset ||
        r.end > static_cast<int64_t>(file_size)) {
      featpool_fuzz::Fail("record outside the archive");
    }
    previous_end = r.end;
    const Matrix m = ReadKaldiMatrix(path, r.offset);
    if (m.rows() != r.rows || m.cols() != r.cols) featpool_fuzz::Fail("matrix shape != record");
  }
  if (valid_bytes != (records.empty() ? valid_bytes : previous_end)) {
    featpool_fuzz::Fail("valid bytes do not end at the last record");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string dir = featpool_fuzz::ScratchDir();
  // An archive.
  const std::string ark = featpool_fuzz::WriteScratch("in.ark", data, size);
  try {
    int64_t valid = -1;
    const std::vector<KaldiArkRecord> records = ScanKaldiArk(ark, &valid);
    CheckRecords(ark, records, valid, size);
  } catch (const Error&) {
  }
  // A script file.
  try {
    for (const ScpLine& line : ReadKaldiScp(ark)) {
      if (line.key.empty() || line.value.empty()) featpool_fuzz::Fail("empty scp key or value");
    }
  } catch (const Error&) {
  }
  // Manifest lines.
  std::string text(reinterpret_cast<const char*>(data), size);
  for (size_t begin = 0; begin <= text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::map<std::string, std::string> fields;
    internal::ParseJsonLine(text.substr(begin, end - begin), &fields);
    begin = end + 1;
  }
  // The bytes as a data directory's speaker maps: every listed utterance
  // has its speaker, tokens are never empty, warps are finite and > 0.
  for (const bool spk2utt : {false, true}) {
    try {
      const SpeakerMap map = spk2utt ? SpeakerMap::FromSpk2Utt(ark) : SpeakerMap::FromUtt2Spk(ark);
      for (const SpeakerMap::Speaker& speaker : map.speakers()) {
        if (speaker.first.empty() || speaker.second.empty()) featpool_fuzz::Fail("empty speaker");
        for (const std::string& utt : speaker.second) {
          const std::string* of = map.SpeakerOf(utt);
          if (utt.empty() || of == nullptr || *of != speaker.first) {
            featpool_fuzz::Fail("utterance without its speaker");
          }
        }
      }
      for (const bool per_speaker : {false, true}) {
        try {
          const VtlnWarpMap warps = VtlnWarpMap::Read(ark, per_speaker);
          for (const SpeakerMap::Speaker& speaker : map.speakers()) {
            for (const std::string& utt : speaker.second) {
              try {
                const float warp = warps.WarpOf(utt, &map);
                if (!(warp > 0.0f) || !std::isfinite(warp)) featpool_fuzz::Fail("bad warp");
              } catch (const Error&) {
              }
            }
          }
        } catch (const Error&) {
        }
      }
    } catch (const Error&) {
    }
  }
  // The resume path: the bytes are the partial archive of a killed run.
  const std::string out = dir + "/out.ark";
  const std::string scp = dir + "/out.scp";
  std::remove(out.c_str());
  std::remove(scp.c_str());
  featpool_fuzz::WriteScratch(".out.ark.partial", data, size);
  try {
    std::vector<KaldiArkRecord> kept;
    {
      KaldiArkWriter writer(out, scp);
      const std::vector<KaldiArkRecord> records = writer.OpenForResume();
      const size_t keep = size == 0 ? 0 : data[0] % (records.size() + 1);
      writer.KeepRecords(records, keep);
      kept.assign(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(keep));
      Matrix m(2, 3);
      for (int64_t i = 0; i < 6; ++i) m.data()[i] = static_cast<float>(i);
      writer.Write("fuzz-new", m.View());
      writer.Commit();
    }
    int64_t valid = -1;
    const std::vector<KaldiArkRecord> after = ScanKaldiArk(out, &valid);
    if (after.size() != kept.size() + 1) featpool_fuzz::Fail("resumed archive: record count");
    for (size_t i = 0; i < kept.size(); ++i) {
      if (after[i].key != kept[i].key || after[i].offset != kept[i].offset ||
          after[i].rows != kept[i].rows || after[i].cols != kept[i].cols) {
        featpool_fuzz::Fail("resumed archive: a kept record changed");
      }
    }
    if (after.back().key != "fuzz-new" || after.back().rows != 2 || after.back().cols != 3) {
      featpool_fuzz::Fail("resumed archive: the new record");
    }
    const std::vector<ScpLine> lines = ReadKaldiScp(scp);
    if (lines.size() != after.size()) featpool_fuzz::Fail("resumed scp: line count");
  } catch (const Error&) {
  }
  return 0;
}
