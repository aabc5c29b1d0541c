// Bytes -> a Kaldi-style --config file -> the command's parser
// (ExpandConfigFiles, then CLI11 and the option checks) -> `featpool extract`
// on a short WAV, or `featpool pool` on a small .npy. The command may fail
// with its exit status 1 or 2 and a message; anything else is a finding.
//
// Runs in its scratch directory, and inputs holding '/' are not tried: every
// file a config can name (outputs, --indices, nested --config files) stays
// in that directory.
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "featpool/command.h"
#include "featpool/matrix.h"
#include "featpool/npy.h"
#include "fuzz-common.h"

namespace {

// 0.1 s of a 16-bit 16 kHz mono WAV.
std::string ShortWav() {
  const uint32_t samples = 1600;
  const uint32_t data_bytes = samples * 2;
  std::string w = "RIFF";
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) w.push_back(static_cast<char>(v >> (8 * i)));
  };
  auto u16 = [&](uint16_t v) {
    for (int i = 0; i < 2; ++i) w.push_back(static_cast<char>(v >> (8 * i)));
  };
  u32(36 + data_bytes);
  w += "WAVEfmt ";
  u32(16);
  u16(1);
  u16(1);
  u32(16000);
  u32(32000);
  u16(2);
  u16(16);
  w += "data";
  u32(data_bytes);
  for (uint32_t i = 0; i < samples; ++i) u16(static_cast<uint16_t>((i * 7919u) % 20000u - 10000u));
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (chdir(featpool_fuzz::ScratchDir().c_str()) != 0) featpool_fuzz::Fail("chdir");
  const std::string wav = ShortWav();
  featpool_fuzz::WriteScratch("in.wav", wav.data(), wav.size());
  featpool::Matrix m(30, 8);
  for (int64_t i = 0; i < 30 * 8; ++i) m.data()[i] = static_cast<float>(i % 13) - 6.0f;
  featpool::WriteNpy("in.npy", m.View());
  // The command's messages are expected; sanitizer reports go to fd 2 anyway.
  std::cerr.setstate(std::ios::badbit);
  std::cout.setstate(std::ios::badbit);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (std::memchr(data, '/', size) != nullptr) return -1;
  featpool_fuzz::WriteScratch("fuzz.conf", data, size);
  const bool pool = size % 2 == 1;
  std::vector<std::string> args = {
      "featpool", pool ? "pool" : "extract", "--config=fuzz.conf", pool ? "in.npy" : "in.wav", "-o",
      "out.npy"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(&a[0]);
  argv.push_back(nullptr);
  const int status = featpool::cli::Main(static_cast<int>(args.size()), argv.data());
  if (status != 0 && status != 1 && status != 2) featpool_fuzz::Fail("unexpected exit status");
  return 0;
}
