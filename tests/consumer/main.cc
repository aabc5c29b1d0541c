// A program that uses an installed featpool: reads a WAV file and prints the
// shape of its fbank features. tests/test-install.sh builds it against an
// installed tree with CMake (CMakeLists.txt) and with pkg-config (Makefile).
#include <featpool/featpool.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer AUDIO_FILE\n";
    return 2;
  }
  try {
    featpool::AudioReadOptions audio;
    float rate = 0;
    const std::vector<float> samples = featpool::ReadAudio(argv[1], audio, &rate);
    featpool::FeatureOptions opts;  // fbank, 23 mel bins
    const featpool::Matrix fbank =
        featpool::ComputeFeatures(opts, rate, samples.data(), static_cast<int64_t>(samples.size()));
    std::cout << "featpool " << featpool::version() << " fbank " << fbank.rows() << " x "
              << fbank.cols() << "\n";
  } catch (const featpool::Error& e) {
    std::cerr << "consumer: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
