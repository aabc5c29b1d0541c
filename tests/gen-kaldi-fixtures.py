#!/usr/bin/python3
"""Generates the Kaldi golden fixtures in tests/data/kaldi/.

Run from anywhere, with Debian's python3-torchaudio, python3-numpy and sox:

    /usr/bin/python3 tests/gen-kaldi-fixtures.py

It writes
  * audio inputs: short excerpts of the real speech in data/ as 16-bit,
    24-bit, 32-bit, 8-bit, float and double WAV, FLAC, OGG/Vorbis, a stereo
    WAV, an 8 kHz WAV, a 48 kHz version for the resampler, a 100-sample file
    and float WAVs holding NaN/inf;
  * for every case of the grid below, the features that
    torchaudio.compliance.kaldi computes in float64 (the reference,
    `<case>.f64.npy`) and in float32 (`<case>.f32.npy`, the same call with
    torch's default dtype float32 and float32 input), both fed the waveform on
    Kaldi's integer scale with dither=0 and energy_floor passed explicitly;
  * cases.txt: one line per case, tab separated: name, input file, featpool
    command-line flags, reference file, float32 file;
  * samples-*.npy: the exact samples (Kaldi scale) that each audio input
    holds, for tests/test-audio-source.cc.

torchaudio has no "sine" window; for the sine-window case this script adds
Kaldi's definition (feature-window.cc: sin(pi * i / (N - 1))) to torchaudio's
window function, and nothing else is changed.

Nothing here is needed at test time: the outputs are committed and the tests
never import torch.
"""

import math
import os
import struct
import subprocess
import sys
import wave

import numpy as np
import torch
import torchaudio
import torchaudio.compliance.kaldi as kaldi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data")
OUT = os.path.join(ROOT, "tests", "data", "kaldi")

# ---------------------------------------------------------------------------
# Audio inputs


def read_wav_int16(path):
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def write_wav(path, rate, data, fmt):
    """data: [frames, channels]. fmt: 'u8', 's16', 's24', 's32', 'f32', 'f64'."""
    data = np.asarray(data)
    if data.ndim == 1:
        data = data[:, None]
    frames, channels = data.shape
    if fmt == "u8":
        payload = data.astype(np.uint8).tobytes()
        tag, width = 1, 1
    elif fmt == "s16":
        payload = data.astype("<i2").tobytes()
        tag, width = 1, 2
    elif fmt == "s24":
        v = data.astype("<i4").reshape(-1)
        b = v.view(np.uint8).reshape(-1, 4)[:, :3]
        payload = b.tobytes()
        tag, width = 1, 3
    elif fmt == "s32":
        payload = data.astype("<i4").tobytes()
        tag, width = 1, 4
    elif fmt == "f32":
        payload = data.astype("<f4").tobytes()
        tag, width = 3, 4
    elif fmt == "f64":
        payload = data.astype("<f8").tobytes()
        tag, width = 3, 8
    else:
        raise ValueError(fmt)
    block = channels * width
    fmt_chunk = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, 8 * width)
    chunks = b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk
    if tag == 3:  # non-PCM WAVs carry a fact chunk with the frame count
        chunks += b"fact" + struct.pack("<II", 4, frames)
    chunks += b"data" + struct.pack("<I", len(payload)) + payload
    if len(payload) % 2:
        chunks += b"\0"
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)


def sox(*args):
    subprocess.run(["sox", "-V1", *args], check=True)


def sox_decode_s16(path):
    """Samples of any file sox reads, as 16-bit integers (sox's own decoder)."""
    raw = subprocess.run(["sox", "-V1", path, "-t", "s16", "-L", "-"], check=True,
                         stdout=subprocess.PIPE).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64)


def save_samples(name, samples):
    np.save(os.path.join(OUT, "samples-" + name + ".npy"),
            np.asarray(samples, dtype=np.float32).reshape(1, -1))


def make_inputs():
    """Writes the audio inputs; returns {file name: samples on Kaldi's scale}."""
    _, s16k = read_wav_int16(os.path.join(DATA, "speech-16k.wav"))
    _, s8k = read_wav_int16(os.path.join(DATA, "speech-8k.wav"))
    # 0.45-0.955 s: the end of a word, near-silence (samples of +-2) and the
    # onset of the next word, so frames range from ~0 to ~75 dB. 8080 samples
    # = 80 + 50 * 160: with --snip-edges=false the last frame is centred on
    # the last sample.
    main = s16k[7200:7200 + 8080].astype(np.int64)
    other = s16k[20000:20000 + 8080].astype(np.int64)  # loud speech, 1.25 s
    spec = s16k[12000:12000 + 3280].astype(np.int64)   # onset at 0.8 s
    low = s8k[4000:4000 + 4040].astype(np.int64)       # 8 kHz, 40 + 50 * 80
    inputs = {}

    def add(name, samples):
        inputs[name] = np.asarray(samples, dtype=np.float64)

    write_wav(os.path.join(OUT, "speech-16k.wav"), 16000, main, "s16")
    add("speech-16k.wav", main)
    write_wav(os.path.join(OUT, "speech-spec-16k.wav"), 16000, spec, "s16")
    add("speech-spec-16k.wav", spec)
    write_wav(os.path.join(OUT, "speech-8k.wav"), 8000, low, "s16")
    add("speech-8k.wav", low)

    # 24-bit with content below the 16-bit grid (x 0.9 before rounding).
    s24 = np.round(main * 256 * 0.9).astype(np.int64)
    write_wav(os.path.join(OUT, "speech-16k-s24.wav"), 16000, s24, "s24")
    add("speech-16k-s24.wav", s24 / 256.0)
    # float32, scaled by 0.7 (values not on any integer grid).
    f32 = (main * 0.7 / 32768.0).astype(np.float32)
    write_wav(os.path.join(OUT, "speech-16k-f32.wav"), 16000, f32, "f32")
    add("speech-16k-f32.wav", f32.astype(np.float64) * 32768.0)
    # Stereo: channel 0 = main, channel 1 = other speech.
    write_wav(os.path.join(OUT, "speech-16k-stereo.wav"), 16000,
              np.stack([main, other], axis=1), "s16")
    add("speech-16k-stereo.wav", main)  # what the default --channel=-1 reads
    # FLAC (lossless, 16-bit) made by sox from the 16-bit WAV.
    sox(os.path.join(OUT, "speech-16k.wav"), os.path.join(OUT, "speech-16k.flac"))
    add("speech-16k.flac", main)

    # Inputs of tests/test-audio-source.cc only (no feature fixtures): 0.25 s
    # in every PCM width, float and double, 24-bit FLAC, stereo, OGG, 48 kHz.
    # 0.8-1.05 s: loud speech (peaks above 13000).
    short = s16k[12800:12800 + 4000].astype(np.int64)
    write_wav(os.path.join(OUT, "short-u8.wav"), 16000, (short >> 8) + 128, "u8")
    save_samples("short-u8", (short >> 8) * 256)
    write_wav(os.path.join(OUT, "short-s16.wav"), 16000, short, "s16")
    save_samples("short-s16", short)
    write_wav(os.path.join(OUT, "short-s32.wav"), 16000, short * 65536 + 12345, "s32")
    save_samples("short-s32", (short * 65536 + 12345) / 65536.0)
    write_wav(os.path.join(OUT, "short-f64.wav"), 16000, short / 32768.0, "f64")
    save_samples("short-f64", short)
    s24_short = np.round(short * 256 * 0.9).astype(np.int64)
    write_wav(os.path.join(OUT, "short-s24.wav"), 16000, s24_short, "s24")
    sox(os.path.join(OUT, "short-s24.wav"), os.path.join(OUT, "short-s24.flac"))
    save_samples("short-s24", s24_short / 256.0)
    f32_short = (short * 0.7 / 32768.0).astype(np.float32)
    write_wav(os.path.join(OUT, "short-f32.wav"), 16000, f32_short, "f32")
    save_samples("short-f32", f32_short.astype(np.float64) * 32768.0)
    save_samples("short-other", other[:4000])
    write_wav(os.path.join(OUT, "short-stereo.wav"), 16000,
              np.stack([short, other[:4000]], axis=1), "s16")
    # OGG/Vorbis is lossy: the expected samples are sox's decoding of the same
    # file, which libvorbis rounds to 16 bits (ov_read); featpool's float
    # decoding may differ from it by up to half a step.
    sox(os.path.join(OUT, "short-s16.wav"), os.path.join(OUT, "short.ogg"))
    save_samples("short-ogg", sox_decode_s16(os.path.join(OUT, "short.ogg")))
    # 48 kHz float version of `short` (sox's high-quality rate), for the
    # 48k -> 16k resampling test.
    sox(os.path.join(OUT, "short-s16.wav"), "-e", "floating-point", "-b", "32",
        os.path.join(OUT, "short-48k.wav"), "rate", "-v", "48000")
    # Non-finite float samples.
    bad = (short[:1000] / 32768.0).astype(np.float32)
    bad_nan = bad.copy()
    bad_nan[500] = np.nan
    write_wav(os.path.join(OUT, "nan-f32.wav"), 16000, bad_nan, "f32")
    bad_inf = bad.copy()
    bad_inf[700] = np.inf
    write_wav(os.path.join(OUT, "inf-f32.wav"), 16000, bad_inf, "f32")
    # 100 samples: no frame with --snip-edges=true; one frame with
    # --snip-edges=false whose window reflects twice around the edges.
    tiny = main[2000:2100]
    write_wav(os.path.join(OUT, "tiny-16k.wav"), 16000, tiny, "s16")
    add("tiny-16k.wav", tiny)
    return inputs


# ---------------------------------------------------------------------------
# Cases: Kaldi option names as featpool spells them.

# Kaldi's defaults, as passed to torchaudio (whose own defaults differ for
# energy_floor, MFCC use_energy and dither).
KALDI_DEFAULTS = {
    "sample-frequency": 16000.0, "frame-length": 25.0, "frame-shift": 10.0,
    "preemphasis-coefficient": 0.97, "remove-dc-offset": True, "window-type": "povey",
    "blackman-coeff": 0.42, "round-to-power-of-two": True, "snip-edges": True,
    "energy-floor": 0.0, "raw-energy": True,
}
MEL_DEFAULTS = {"low-freq": 20.0, "high-freq": 0.0, "num-mel-bins": 23}
FBANK_DEFAULTS = {"use-energy": False, "htk-compat": False, "use-log-fbank": True,
                  "use-power": True}
MFCC_DEFAULTS = {"use-energy": True, "htk-compat": False, "num-ceps": 13,
                 "cepstral-lifter": 22.0}

TORCH_NAMES = {
    "sample-frequency": "sample_frequency", "frame-length": "frame_length",
    "frame-shift": "frame_shift", "preemphasis-coefficient": "preemphasis_coefficient",
    "remove-dc-offset": "remove_dc_offset", "window-type": "window_type",
    "blackman-coeff": "blackman_coeff", "round-to-power-of-two": "round_to_power_of_two",
    "snip-edges": "snip_edges", "energy-floor": "energy_floor", "raw-energy": "raw_energy",
    "low-freq": "low_freq", "high-freq": "high_freq", "num-mel-bins": "num_mel_bins",
    "use-energy": "use_energy", "htk-compat": "htk_compat", "use-log-fbank": "use_log_fbank",
    "use-power": "use_power", "num-ceps": "num_ceps", "cepstral-lifter": "cepstral_lifter",
    "vtln-warp": "vtln_warp", "vtln-low": "vtln_low", "vtln-high": "vtln_high",
}

F16 = "speech-16k.wav"
F8 = "speech-8k.wav"
SPEC = "speech-spec-16k.wav"
NO_SNIP = {"snip-edges": False}

CASES = [
    # (name, feature, input, options)
    ("fbank-default", "fbank", F16, {}),
    ("fbank-nosnip", "fbank", F16, NO_SNIP),
    ("fbank-hamming", "fbank", F16, {"window-type": "hamming"}),
    ("fbank-hanning-nosnip", "fbank", F16, {"window-type": "hanning", **NO_SNIP}),
    ("fbank-rectangular", "fbank", F16, {"window-type": "rectangular", "num-mel-bins": 40}),
    ("fbank-blackman", "fbank", F16, {"window-type": "blackman"}),
    ("fbank-blackman-coeff", "fbank", F16,
     {"window-type": "blackman", "blackman-coeff": 0.5, **NO_SNIP}),
    ("fbank-sine", "fbank", F16, {"window-type": "sine"}),
    ("fbank-40", "fbank", F16, {"num-mel-bins": 40}),
    ("fbank-80-nosnip", "fbank", F16, {"num-mel-bins": 80, **NO_SNIP}),
    ("fbank-128-50ms", "fbank", F16, {"num-mel-bins": 128, "frame-length": 50.0}),
    # Window sizes that are not powers of two.
    ("fbank-20ms-nopow2", "fbank", F16, {"frame-length": 20.0, "round-to-power-of-two": False}),
    ("fbank-30ms-nopow2-nosnip", "fbank", F16,
     {"frame-length": 30.0, "round-to-power-of-two": False, **NO_SNIP}),
    ("fbank-401-samples", "fbank", F16, {"frame-length": 25.0625}),
    ("fbank-401-samples-nosnip", "fbank", F16, {"frame-length": 25.0625, **NO_SNIP}),
    # Odd window whose last frame (centred on the last sample) reflects one
    # sample below its own start.
    ("fbank-319-samples-nosnip", "fbank", F16, {"frame-length": 19.9375, **NO_SNIP}),
    ("fbank-shift-161-nosnip", "fbank", F16, {"frame-shift": 10.0625, **NO_SNIP}),
    ("fbank-shift-15-len-32", "fbank", F16, {"frame-shift": 15.0, "frame-length": 32.0}),
    # Energy.
    ("fbank-energy", "fbank", F16, {"use-energy": True}),
    ("fbank-energy-nosnip", "fbank", F16, {"use-energy": True, **NO_SNIP}),
    ("fbank-energy-windowed", "fbank", F16, {"use-energy": True, "raw-energy": False}),
    ("fbank-energy-floor", "fbank", F16, {"use-energy": True, "energy-floor": 1e6}),
    ("fbank-energy-floor-windowed", "fbank", F16,
     {"use-energy": True, "raw-energy": False, "energy-floor": 3e5}),
    ("fbank-energy-htk", "fbank", F16, {"use-energy": True, "htk-compat": True}),
    ("fbank-htk-noenergy", "fbank", F16, {"htk-compat": True}),
    # Spectrum and log options.
    ("fbank-magnitude", "fbank", F16, {"use-power": False}),
    ("fbank-linear", "fbank", F16, {"use-log-fbank": False}),
    ("fbank-linear-energy", "fbank", F16, {"use-log-fbank": False, "use-energy": True}),
    ("fbank-no-preemph", "fbank", F16, {"preemphasis-coefficient": 0.0}),
    ("fbank-no-dc", "fbank", F16, {"remove-dc-offset": False}),
    ("fbank-preemph-05-nodc", "fbank", F16,
     {"preemphasis-coefficient": 0.5, "remove-dc-offset": False, "use-energy": True}),
    # Mel range.
    ("fbank-low100-high7000", "fbank", F16, {"low-freq": 100.0, "high-freq": 7000.0}),
    ("fbank-high-neg400", "fbank", F16, {"high-freq": -400.0, "num-mel-bins": 40}),
    ("fbank-low0", "fbank", F16, {"low-freq": 0.0}),
    # 8 kHz.
    ("fbank-8k", "fbank", F8, {"sample-frequency": 8000.0}),
    ("fbank-8k-40-nosnip", "fbank", F8,
     {"sample-frequency": 8000.0, "num-mel-bins": 40, **NO_SNIP}),
    ("fbank-8k-80", "fbank", F8, {"sample-frequency": 8000.0, "num-mel-bins": 80}),
    ("fbank-8k-high3700-energy", "fbank", F8,
     {"sample-frequency": 8000.0, "high-freq": 3700.0, "low-freq": 64.0, "use-energy": True}),
    # Other file formats (their samples are the reference's input).
    ("fbank-s24", "fbank", "speech-16k-s24.wav", {"use-energy": True}),
    ("fbank-f32", "fbank", "speech-16k-f32.wav", {"use-energy": True, **NO_SNIP}),
    ("fbank-flac", "fbank", "speech-16k.flac", {}),
    ("fbank-stereo-ch0", "fbank", "speech-16k-stereo.wav", {}),
    ("fbank-stereo-ch1", "fbank", "speech-16k-stereo.wav@1", {"channel": "1"}),
    ("fbank-stereo-mix", "fbank", "speech-16k-stereo.wav@mix", {"channel": "mix"}),
    ("fbank-tiny-nosnip", "fbank", "tiny-16k.wav", NO_SNIP),
    # VTLN (Kaldi MelBanks with vtln_warp_factor; cutoffs 100 and -500 Hz).
    ("fbank-vtln-0.9", "fbank", F16, {"vtln-warp": 0.9}),
    ("fbank-vtln-1.1", "fbank", F16, {"vtln-warp": 1.1}),
    ("fbank-vtln-0.85-cutoffs", "fbank", F16,
     {"vtln-warp": 0.85, "vtln-low": 300.0, "vtln-high": 6000.0, "num-mel-bins": 40}),
    ("fbank-vtln-1.15-8k-nosnip", "fbank", F8,
     {"sample-frequency": 8000.0, "vtln-warp": 1.15, "vtln-high": -300.0, **NO_SNIP}),
    # MFCC.
    ("mfcc-default", "mfcc", F16, {}),
    ("mfcc-nosnip", "mfcc", F16, NO_SNIP),
    ("mfcc-no-energy", "mfcc", F16, {"use-energy": False}),
    ("mfcc-htk", "mfcc", F16, {"htk-compat": True}),
    ("mfcc-htk-no-energy", "mfcc", F16, {"htk-compat": True, "use-energy": False}),
    ("mfcc-23-ceps-no-lifter", "mfcc", F16, {"num-ceps": 23, "cepstral-lifter": 0.0}),
    ("mfcc-40-bins-20-ceps", "mfcc", F16,
     {"num-mel-bins": 40, "num-ceps": 20, "cepstral-lifter": 30.0, "window-type": "hamming"}),
    ("mfcc-energy-floor-windowed", "mfcc", F16,
     {"energy-floor": 1e6, "raw-energy": False, "window-type": "hanning"}),
    ("mfcc-vtln-0.9", "mfcc", F16, {"vtln-warp": 0.9}),
    ("mfcc-vtln-1.1-energy-htk", "mfcc", F16, {"vtln-warp": 1.1, "htk-compat": True}),
    ("mfcc-8k", "mfcc", F8, {"sample-frequency": 8000.0, "high-freq": -200.0}),
    ("mfcc-s24-nopow2", "mfcc", "speech-16k-s24.wav",
     {"frame-length": 20.0, "round-to-power-of-two": False, "window-type": "blackman"}),
    # Spectrogram.
    ("spectrogram-default", "spectrogram", SPEC, {}),
    ("spectrogram-nosnip", "spectrogram", SPEC, NO_SNIP),
    ("spectrogram-windowed-energy-floor", "spectrogram", SPEC,
     {"raw-energy": False, "energy-floor": 1e5, "window-type": "hamming"}),
    ("spectrogram-rectangular-no-preemph", "spectrogram", SPEC,
     {"window-type": "rectangular", "preemphasis-coefficient": 0.0}),
    ("spectrogram-20ms-nopow2", "spectrogram", SPEC,
     {"frame-length": 20.0, "round-to-power-of-two": False}),
    ("spectrogram-8k", "spectrogram", F8, {"sample-frequency": 8000.0, "window-type": "sine"}),
]


def flag_text(name, value):
    if isinstance(value, bool):
        return "--%s=%s" % (name, "true" if value else "false")
    if isinstance(value, float):
        return "--%s=%s" % (name, repr(value))
    return "--%s=%s" % (name, value)


def torch_options(feature, options):
    opts = dict(KALDI_DEFAULTS)
    if feature != "spectrogram":
        opts.update(MEL_DEFAULTS)
        opts.update(FBANK_DEFAULTS if feature == "fbank" else MFCC_DEFAULTS)
    opts.update(options)
    opts.pop("channel", None)
    kwargs = {TORCH_NAMES[k]: v for k, v in opts.items()}
    kwargs["dither"] = 0.0
    return kwargs


def kaldi_reflect(index, n):
    # Kaldi feature-window.cc ExtractWindow(): repeated reflection.
    while index < 0 or index >= n:
        index = -index - 1 if index < 0 else 2 * n - 1 - index
    return index


def snip_free_waveform(samples, kwargs):
    """For --snip-edges=false on an input shorter than a window, which
    torchaudio rejects: the frames Kaldi makes are those of this extended
    signal with snip_edges=True."""
    rate = kwargs["sample_frequency"]
    size = int(rate * kwargs["frame_length"] * 0.001)
    shift = int(rate * kwargs["frame_shift"] * 0.001)
    n = len(samples)
    frames = (n + shift // 2) // shift
    first = shift // 2 - size // 2
    length = (frames - 1) * shift + size
    return np.array([samples[kaldi_reflect(first + j, n)] for j in range(length)])


_torch_window = kaldi._feature_window_function


def _window_with_sine(window_type, window_size, blackman_coeff, device, dtype):
    if window_type == "sine":  # Kaldi feature-window.cc: sin(0.5 * a * i)
        a = 2 * math.pi / (window_size - 1)
        return torch.sin(0.5 * a * torch.arange(window_size, device=device, dtype=dtype))
    return _torch_window(window_type, window_size, blackman_coeff, device, dtype)


kaldi._feature_window_function = _window_with_sine


def compute(feature, samples, kwargs, dtype):
    torch.set_default_dtype(dtype)
    try:
        wave_t = torch.tensor(samples, dtype=dtype).unsqueeze(0)
        fn = {"fbank": kaldi.fbank, "mfcc": kaldi.mfcc, "spectrogram": kaldi.spectrogram}[feature]
        if feature == "spectrogram":
            kwargs = {k: v for k, v in kwargs.items()
                      if k not in ("low_freq", "high_freq", "num_mel_bins", "vtln_warp",
                                   "vtln_low", "vtln_high")}
        out = fn(wave_t, **kwargs)
        return out.numpy().astype(np.float64 if dtype == torch.float64 else np.float32)
    finally:
        torch.set_default_dtype(torch.float64)


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith((".npy", ".wav", ".flac", ".ogg")) or old == "cases.txt":
            os.remove(os.path.join(OUT, old))
    inputs = make_inputs()
    _, other = read_wav_int16(os.path.join(DATA, "speech-16k.wav"))
    other = other[20000:20000 + 8080].astype(np.float64)
    inputs["speech-16k-stereo.wav@1"] = other
    inputs["speech-16k-stereo.wav@mix"] = (inputs["speech-16k-stereo.wav"] + other) / 2

    lines = ["# featpool Kaldi fixtures; generated by tests/gen-kaldi-fixtures.py.",
             "# name\tinput\tflags\tfloat64 reference\ttorchaudio float32"]
    total = 0
    for name, feature, input_key, options in CASES:
        samples = inputs[input_key]
        kwargs = torch_options(feature, options)
        if not kwargs["snip_edges"] and len(samples) < int(
                kwargs["sample_frequency"] * kwargs["frame_length"] * 0.001):
            samples = snip_free_waveform(samples, kwargs)
            kwargs["snip_edges"] = True
        if feature != "spectrogram":
            bins, _ = kaldi.get_mel_banks(
                kwargs["num_mel_bins"],
                2 ** (int(kwargs["sample_frequency"] * kwargs["frame_length"] * 0.001) - 1).bit_length()
                if kwargs["round_to_power_of_two"] else
                int(kwargs["sample_frequency"] * kwargs["frame_length"] * 0.001),
                kwargs["sample_frequency"], kwargs["low_freq"], kwargs["high_freq"],
                kwargs.get("vtln_low", 100.0), kwargs.get("vtln_high", -500.0),
                kwargs.get("vtln_warp", 1.0))
            assert bool(((bins > 0).sum(1) > 0).all()), name + ": a mel bin is empty"
        ref = compute(feature, samples, kwargs, torch.float64)
        f32 = compute(feature, samples.astype(np.float32), kwargs, torch.float32)
        assert ref.shape == f32.shape and ref.shape[0] > 0, name
        np.save(os.path.join(OUT, name + ".f64.npy"), ref)
        np.save(os.path.join(OUT, name + ".f32.npy"), f32)
        flags = ["--feature=" + feature] + [flag_text(k, v) for k, v in options.items()]
        lines.append("\t".join([name, input_key.split("@")[0], " ".join(flags),
                                name + ".f64.npy", name + ".f32.npy"]))
        total += ref.nbytes + f32.nbytes
        print("%-36s %-10s %4d x %-4d  max|f32-f64| %.2e" %
              (name, feature, ref.shape[0], ref.shape[1], np.abs(f32 - ref).max()))
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    size = sum(os.path.getsize(os.path.join(OUT, p)) for p in os.listdir(OUT))
    print("torch %s, torchaudio %s" % (torch.__version__, torchaudio.__version__))
    print("%d cases, %d files, %.2f MB in %s" % (len(CASES), len(os.listdir(OUT)), size / 1e6, OUT))


if __name__ == "__main__":
    sys.exit(main())
