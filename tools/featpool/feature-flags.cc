#include "featpool/feature-flags.h"

#include "featpool/error.h"

namespace featpool {
namespace cli {
namespace {

// CLI11 prints no default for flags: say it in the description, with Kaldi's
// spelling of the other value.
std::string WithDefault(const std::string& description, const std::string& name, bool value) {
  return description + " [default: " + (value ? "true" : "false") + "; " + name +
         (value ? "=false" : "=true") + " to change]";
}

}  // namespace

void AddFeatureFlags(CLI::App* app, FeatureFlags* f) {
  const char* frame = "Frame extraction";
  const char* mel = "Mel filter bank";
  const char* feat = "Features";
  const char* audio = "Audio input";
  app->add_option("--feature", f->feature, "Feature type: fbank, mfcc or spectrogram")
      ->capture_default_str()->group(feat);
  app->add_option("--sample-frequency", f->common.frame.samp_freq,
                  "Sample rate the features are computed at (Hz); other rates are resampled")
      ->capture_default_str()->group(frame);
  app->add_option("--frame-length", f->common.frame.frame_length_ms, "Frame length in milliseconds")
      ->capture_default_str()->group(frame);
  app->add_option("--frame-shift", f->common.frame.frame_shift_ms, "Frame shift in milliseconds")
      ->capture_default_str()->group(frame);
  app->add_option("--dither", f->common.frame.dither,
                  "Gaussian dither standard deviation; 0 = off (Kaldi's default is 1)")
      ->capture_default_str()->group(frame);
  app->add_option("--dither-seed", f->common.frame.dither_seed, "Seed of the dither generator")
      ->capture_default_str()->group(frame);
  app->add_option("--preemphasis-coefficient", f->common.frame.preemph_coeff,
                  "Pre-emphasis coefficient; 0 = off")
      ->capture_default_str()->group(frame);
  app->add_flag("--remove-dc-offset", f->common.frame.remove_dc_offset,
                WithDefault("Subtract each frame's mean", "--remove-dc-offset",
                            f->common.frame.remove_dc_offset))
      ->capture_default_str()->group(frame);
  app->add_option("--window-type", f->window_type,
                  "Window: hamming, hanning, povey, rectangular, sine or blackman")
      ->capture_default_str()->group(frame);
  app->add_option("--blackman-coeff", f->common.frame.blackman_coeff, "Blackman window coefficient")
      ->capture_default_str()->group(frame);
  app->add_flag("--round-to-power-of-two", f->common.frame.round_to_power_of_two,
                WithDefault("Zero-pad frames to a power of two for the FFT",
                            "--round-to-power-of-two", f->common.frame.round_to_power_of_two))
      ->capture_default_str()->group(frame);
  app->add_flag("--snip-edges", f->common.frame.snip_edges,
                WithDefault("true: only whole frames inside the signal; false: frames centred "
                            "on multiples of the shift, edges reflected (count = (N + shift/2) "
                            "/ shift)",
                            "--snip-edges", f->common.frame.snip_edges))
      ->capture_default_str()->group(frame);
  app->add_option("--num-mel-bins", f->common.mel.num_bins, "Number of triangular mel bins (>= 3)")
      ->capture_default_str()->group(mel);
  app->add_option("--low-freq", f->common.mel.low_freq, "Low cutoff of the mel bins (Hz)")
      ->capture_default_str()->group(mel);
  app->add_option("--high-freq", f->common.mel.high_freq,
                  "High cutoff of the mel bins (Hz); <= 0 is an offset from Nyquist")
      ->capture_default_str()->group(mel);
  f->use_energy_flag =
      app->add_flag("--use-energy", f->use_energy,
                    "Add log energy (fbank: extra column 0; MFCC: replaces C0). Default "
                    "false for fbank, true for mfcc, as in Kaldi")
          ->group(feat);
  app->add_option("--energy-floor", f->common.energy_floor,
                  "Floor on the energy (absolute, not log); 0 = no floor")
      ->capture_default_str()->group(feat);
  app->add_flag("--raw-energy", f->common.raw_energy,
                WithDefault("Energy before pre-emphasis and window (false: after the window)",
                            "--raw-energy", f->common.raw_energy))
      ->capture_default_str()->group(feat);
  app->add_flag("--htk-compat", f->common.htk_compat,
                WithDefault("HTK order: energy (or C0) last; MFCC without energy scales C0 by "
                            "sqrt(2)",
                            "--htk-compat", f->common.htk_compat))
      ->capture_default_str()->group(feat);
  app->add_flag("--use-log-fbank", f->common.use_log_fbank,
                WithDefault("fbank: log of the mel energies", "--use-log-fbank",
                            f->common.use_log_fbank))
      ->capture_default_str()->group(feat);
  app->add_flag("--use-power", f->common.use_power,
                WithDefault("fbank: power spectrum (false: magnitude)", "--use-power",
                            f->common.use_power))
      ->capture_default_str()->group(feat);
  app->add_option("--num-ceps", f->common.num_ceps, "mfcc: number of cepstra, C0 included")
      ->capture_default_str()->group(feat);
  app->add_option("--cepstral-lifter", f->common.cepstral_lifter, "mfcc: lifter coefficient; 0 = off")
      ->capture_default_str()->group(feat);
  app->add_option("--channel", f->channel,
                  "Channel of a multi-channel file: -1 = channel 0 with a warning, N, or mix")
      ->capture_default_str()->group(audio);
  app->add_flag("--no-resample", f->no_resample,
                "Reject files whose rate differs from --sample-frequency instead of "
                "resampling them (libsoxr, high quality) [default: resample]")
      ->group(audio);
}

FeatureOptions FeatureFlags::ToOptions() const {
  CommonFeatureOptions options = common;
  options.frame.window_type = ParseWindowType(window_type);
  if (use_energy_flag->count() > 0) options.use_energy = use_energy;
  return options.For(ParseFeatureType(feature));
}

AudioReadOptions FeatureFlags::ToAudioOptions() const {
  AudioReadOptions opts;
  opts.target_sample_rate = common.frame.samp_freq;
  opts.resample = !no_resample;
  if (channel == "mix") {
    opts.channel = AudioReadOptions::kMixChannels;
  } else {
    size_t used = 0;
    int value = 0;
    try {
      value = std::stoi(channel, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != channel.size() || value < -1) {
      throw Error("invalid --channel='" + channel + "': expected -1, a channel number or mix");
    }
    opts.channel = value;
  }
  return opts;
}

}  // namespace cli
}  // namespace featpool
