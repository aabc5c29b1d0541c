// Writes the seed corpus of fuzz-audio into the directory given: a 30 ms
// tone in every container this libsndfile can write and detect (headerless
// RAW excepted), and every encoding once (in the first container that takes
// it), to keep the corpus small. Run once by hand when libsndfile gains formats; the files are
// committed under tests/fuzz/corpus/fuzz-audio/.
//   make-audio-seeds DIR
#include <sndfile.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make-audio-seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  int major_count = 0;
  int subtype_count = 0;
  sf_command(nullptr, SFC_GET_FORMAT_MAJOR_COUNT, &major_count, sizeof(int));
  sf_command(nullptr, SFC_GET_FORMAT_SUBTYPE_COUNT, &subtype_count, sizeof(int));
  int written = 0;
  std::set<int> subtypes_done;
  for (int m = 0; m < major_count; ++m) {
    SF_FORMAT_INFO major{};
    major.format = m;
    sf_command(nullptr, SFC_GET_FORMAT_MAJOR, &major, sizeof(major));
    if ((major.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_RAW) continue;
    bool major_done = false;
    for (int s = 0; s < subtype_count; ++s) {
      SF_FORMAT_INFO subtype{};
      subtype.format = s;
      sf_command(nullptr, SFC_GET_FORMAT_SUBTYPE, &subtype, sizeof(subtype));
      // Stereo at 8 kHz for a few, so channel selection and resampling are
      // seeded too; mono 16 kHz otherwise.
      const bool stereo = (m + s) % 5 == 0;
      SF_INFO info{};
      info.samplerate = stereo ? 8000 : 16000;
      info.channels = stereo ? 2 : 1;
      info.format = (major.format & SF_FORMAT_TYPEMASK) | (subtype.format & SF_FORMAT_SUBMASK);
      if (!sf_format_check(&info)) {
        info.samplerate = 8000;  // e.g. GSM 6.10, some ADPCM
        info.channels = 1;
        if (!sf_format_check(&info)) continue;
      }
      const int sub = subtype.format & SF_FORMAT_SUBMASK;
      if (major_done && subtypes_done.count(sub)) continue;
      // Several containers share an extension (WAV, WAVEX, NIST: .wav).
      std::string name = std::string(major.name) + "-" + subtype.name;
      std::string clean;
      for (char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
        if (c == '_' && (clean.empty() || clean.back() == '_' || clean.back() == '-')) continue;
        if (c == '-' && !clean.empty() && clean.back() == '_') clean.pop_back();
        clean.push_back(c);
      }
      name = clean;
      const std::string path = dir + "/" + name + "." + major.extension;
      SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
      if (f == nullptr) continue;
      const int frames = info.samplerate * 3 / 100;  // 30 ms: one 25 ms frame
      std::vector<float> wave(static_cast<size_t>(frames) * info.channels);
      for (int i = 0; i < frames; ++i) {
        for (int c = 0; c < info.channels; ++c) {
          wave[static_cast<size_t>(i) * info.channels + c] =
              0.5f * std::sin(0.07f * i * (c + 1)) + 0.1f * std::sin(1.3f * i);
        }
      }
      sf_writef_float(f, wave.data(), frames);
      sf_close(f);
      major_done = true;
      subtypes_done.insert(sub);
      ++written;
    }
  }
  std::printf("%d files in %s\n", written, dir.c_str());
  return 0;
}
