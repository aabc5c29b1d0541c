#!/usr/bin/python3
"""Reference mel spectrograms for tests/test-dialect-fixtures.cc.

Run from the source directory, with Debian 12's python3-torchaudio 0.13.1
(torch 1.13.1) installed:

    /usr/bin/python3 tests/gen-dialect-fixtures.py

For each case below it computes torchaudio.transforms.MelSpectrogram (plus
NeMo's pre-emphasis before it, Whisper's dropped last frame after it, and
the log step) on the real speech in data/, cut to a length that is not a
multiple of the hop, twice:
  <name>.f64.npy  in float64 throughout (window, mel bank, STFT, log): the
                  reference;
  <name>.f32.npy  in float32 throughout, as torchaudio runs by default: the
                  error of a float32 implementation of the same rule, which
                  the test uses to argue its tolerance on weak bins.
Both are [frames, n_mels] (featpool's layout). cases.txt lists each case's
input and options as featpool's option keys (key=value), one case a line.
CI does not need torch: the fixtures are committed.
"""
import math
import os
import sys

import numpy as np
import torch
import torchaudio

OUT = "tests/data/dialects"
INPUTS = {
    # file, samples kept (not a multiple of any hop below)
    "speech-16k": ("data/speech-16k.wav", 8077),
    "speech-8k": ("data/speech-8k.wav", 6053),
}

# name, input, featpool options (torchaudio's names; defaults as featpool's).
CASES = [
    ("torchaudio-default", "speech-16k", {}),
    ("whisper-like", "speech-16k",
     dict(hop_length=160, mel_scale="slaney", norm="slaney", n_mels=80, log="log10",
          frames="drop-last")),
    ("nemo-like", "speech-16k",
     dict(n_fft=512, win_length=400, hop_length=160, periodic="false", pad_mode="constant",
          preemphasis_coefficient=0.97, mel_scale="slaney", norm="slaney", n_mels=64, log="ln",
          log_offset=2.0 ** -24, frames="drop-last")),
    ("librosa-db", "speech-16k",
     dict(n_fft=512, hop_length=128, pad_mode="constant", mel_scale="slaney", norm="slaney",
          n_mels=40, log="db")),
    ("htk-slaney-mag-ln", "speech-16k",
     dict(hop_length=160, norm="slaney", power=1, n_mels=40, log="ln")),
    ("slaney-nocenter-log10", "speech-16k",
     dict(hop_length=160, center="false", mel_scale="slaney", n_mels=40, log="log10")),
    ("hamming-mag-db", "speech-16k",
     dict(n_fft=512, win_length=320, hop_length=160, window="hamming", power=1, n_mels=40,
          log="db")),
    ("blackman-band", "speech-16k",
     dict(hop_length=160, window="blackman", f_min=100, f_max=7000, norm="slaney", n_mels=40)),
    ("povey-symmetric", "speech-16k",
     dict(hop_length=160, window="povey", periodic="false", n_mels=40, log="ln",
          log_floor=1e-6)),
    ("rect-nocenter-mag", "speech-16k",
     dict(n_fft=256, hop_length=100, window="rectangular", center="false", power=1,
          n_mels=32)),
    ("8k-htk-ln", "speech-8k",
     dict(sample_frequency=8000, n_fft=256, win_length=200, hop_length=80, n_mels=32, log="ln")),
    # mel-mfcc: torchaudio.transforms.MFCC (top_db None) and librosa's lifter.
    ("mfcc-db", "speech-16k", dict(feature="mel-mfcc", hop_length=160, n_mels=64, n_mfcc=40)),
    ("mfcc-logmels-lifter", "speech-16k",
     dict(feature="mel-mfcc", n_fft=512, win_length=400, hop_length=160, mel_scale="slaney",
          norm="slaney", n_mels=40, n_mfcc=13, log_mels="true", lifter=22)),
    ("8k-slaney-constant", "speech-8k",
     dict(sample_frequency=8000, n_fft=200, hop_length=80, pad_mode="constant",
          mel_scale="slaney", norm="slaney", f_min=20, f_max=3800, n_mels=32)),
]


def window_fn(kind, periodic):
    def make(n, **_):
        dtype = torch.get_default_dtype()
        if kind == "hann":
            return torch.hann_window(n, periodic=periodic, dtype=dtype)
        if kind == "hamming":
            return torch.hamming_window(n, periodic=periodic, dtype=dtype)
        if kind == "blackman":
            return torch.blackman_window(n, periodic=periodic, dtype=dtype)
        if kind == "rectangular":
            return torch.ones(n, dtype=dtype)
        if kind == "povey":  # Kaldi's povey: hann ** 0.85
            return torch.hann_window(n, periodic=periodic, dtype=dtype) ** 0.85
        raise ValueError(kind)
    return make


def compute(x, sr, o, dtype):
    torch.set_default_dtype(dtype)
    x = x.to(dtype)
    n_fft = int(o.get("n_fft", 400))
    win = int(o.get("win_length", 0)) or n_fft
    hop = int(o.get("hop_length", 0)) or win // 2
    power = float(o.get("power", 2))
    c = float(o.get("preemphasis_coefficient", 0))
    if c:  # NeMo features.py: x[:, :1], x[:, 1:] - preemph * x[:, :-1]
        x = torch.cat((x[:1], x[1:] - c * x[:-1]))
    f_max = float(o.get("f_max", 0)) or None
    t = torchaudio.transforms.MelSpectrogram(
        sample_rate=sr, n_fft=n_fft, win_length=win, hop_length=hop,
        f_min=float(o.get("f_min", 0)), f_max=f_max, n_mels=int(o.get("n_mels", 128)),
        window_fn=window_fn(o.get("window", "hann"), o.get("periodic", "true") == "true"),
        power=power, center=o.get("center", "true") == "true",
        pad_mode=o.get("pad_mode", "reflect"), norm=None if o.get("norm", "none") == "none"
        else "slaney", mel_scale=o.get("mel_scale", "htk"))
    t = t.to(dtype)
    m = t(x)  # [n_mels, frames]
    if o.get("frames", "all") == "drop-last":
        m = m[:, :-1]
    if o.get("feature") == "mel-mfcc":  # torchaudio transforms.MFCC.forward
        if o.get("log_mels", "false") == "true":
            m = torch.log(m + 1e-6)
        else:  # AmplitudeToDB("power", top_db=None)
            m = 10.0 * torch.log10(torch.clamp(m, min=1e-10))
        n_mfcc = int(o.get("n_mfcc", 40))
        dct = torchaudio.functional.create_dct(n_mfcc, m.shape[0], "ortho").to(dtype)
        m = torch.matmul(m.T, dct).T
        lifter = float(o.get("lifter", 0))
        if lifter > 0:  # librosa feature.mfcc: 1 + (L/2) sin(pi (n + 1) / L)
            n = torch.arange(1, 1 + n_mfcc, dtype=dtype)
            m = m * (1 + (lifter / 2) * torch.sin(torch.pi * n / lifter))[:, None]
        torch.set_default_dtype(torch.float32)
        return m.T.contiguous().numpy()
    log = o.get("log", "none")
    floor = float(o.get("log_floor", 1e-10))
    offset = float(o.get("log_offset", 0))
    guarded = m + offset if offset > 0 else torch.clamp(m, min=floor)
    if log == "ln":
        m = torch.log(guarded)
    elif log == "log10":
        m = torch.log10(guarded)
    elif log == "db":  # torchaudio AmplitudeToDB, top_db None
        m = (20.0 / power) * torch.log10(guarded)
    torch.set_default_dtype(torch.float32)
    return m.T.contiguous().numpy()


# The presets (data/conf/presets/NAME.conf): each model's frontend written
# from its source (the rules of the file and lines cited), not through
# featpool's options, on 1.3 s of real speech, saved as PRESET_WAV so that the
# test runs `featpool extract PRESET_WAV --preset=NAME` on the same samples.
PRESET_DIR = os.path.join(OUT, "presets")
PRESET_WAV = os.path.join(PRESET_DIR, "speech-1.3s.wav")
PRESET_SAMPLES = 20877  # 1.3 s + 77 samples: not a multiple of 160 or 128


def slaney_mel(n_mels, n_fft, sr, f_max, dtype):
    """librosa.filters.mel(sr, n_fft, n_mels, fmax) (htk=False, norm="slaney"):
    the same filters as torchaudio's slaney scale and norm, [n_mels, bins],
    computed in float64 (as librosa does; torchaudio's float32 edges move the
    narrow 128-mel filters' tails by ~1e-4 relative) and stored as float32, as
    whisper's mel_filters.npz and NeMo's / ESPnet's float32 banks are."""
    saved = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    fb = torchaudio.functional.melscale_fbanks(n_fft // 2 + 1, 0.0, float(f_max), n_mels, sr,
                                               norm="slaney", mel_scale="slaney")
    torch.set_default_dtype(saved)
    return fb.T.to(torch.float32).to(dtype)


def whisper(x, n_mels, dtype):
    """whisper/audio.py log_mel_spectrogram (l.110-157), padding=0."""
    x = x.to(dtype)
    window = torch.hann_window(400, dtype=dtype)  # l.147: periodic
    stft = torch.stft(x, 400, 160, window=window, return_complex=True)  # l.148: center, reflect
    magnitudes = stft[..., :-1].abs() ** 2  # l.149: last frame dropped
    mel_spec = slaney_mel(n_mels, 400, 16000, 8000, dtype) @ magnitudes  # l.152, mel_filters.npz
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()  # l.154
    clamped = log_spec < log_spec.max() - 8.0
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)  # l.155
    log_spec = (log_spec + 4.0) / 4.0  # l.156
    # Strong: within 50 dB of the frame's peak, or clamped (then the value is
    # the global max's, a strong value): 1e-4 relative in power is
    # 1e-4 / ln 10 in log10, / 4 after the affine step.
    strong = strong_mask(mel_spec) | clamped
    return log_spec.T, strong.T, torch.full((n_mels,), 1e-4 / math.log(10) / 4)


def nemo(x, n_mels, dtype):
    """NeMo FilterbankFeatures.forward (features.py l.419-502) in eval mode with
    the model configs' window_size 0.025, n_fft 512, normalize per_feature."""
    x = x.to(dtype)
    seq_len = (x.shape[0] + 2 * (512 // 2) - 512) // 160  # get_seq_len l.413-417
    x = torch.cat((x[:1], x[1:] - 0.97 * x[:-1]))  # l.441, preemph 0.97; no dither in eval
    window = torch.hann_window(400, periodic=False, dtype=dtype)  # l.386-396
    s = torch.stft(x, n_fft=512, hop_length=160, win_length=400, center=True, window=window,
                   pad_mode="constant", return_complex=True)
    s = torch.sqrt(s.real ** 2 + s.imag ** 2) ** 2.0  # l.451-461, mag_power 2
    s = slaney_mel(n_mels, 512, 16000, 8000, dtype) @ s  # l.339-344
    strong = strong_mask(s[:, :seq_len], 2.0 ** -24 * 1e3)
    s = torch.log(s + 2.0 ** -24)  # l.473-479, "add"
    s = s[:, :seq_len]  # frames >= seq_len are masked (l.489-494): dropped
    mean = s.sum(1, keepdim=True) / seq_len  # normalize_batch per_feature l.64-93
    std = torch.sqrt(((s - mean) ** 2).sum(1, keepdim=True) / (seq_len - 1)) + 1e-5
    # Strong values: 1e-4 in ln for the value itself, plus 1e-4 for the
    # bin's mean and std (averages of such errors), over the bin's std.
    return ((s - mean) / std).T, strong.T, 2e-4 / std[:, 0]


def espnet(x, dtype):
    """ESPnet2 DefaultFrontend defaults (frontend/default.py; layers/stft.py,
    layers/log_mel.py) and the ASR task's default utterance_mvn
    (layers/utterance_mvn.py, norm_means only)."""
    x = x.to(dtype)
    window = torch.hann_window(512, dtype=dtype)  # periodic, win_length = n_fft
    s = torch.stft(x, 512, 128, 512, window=window, center=True, return_complex=True)
    s = s.real ** 2 + s.imag ** 2
    s = slaney_mel(80, 512, 16000, 8000, dtype) @ s
    strong = strong_mask(s, 1e-10 * 1e3)
    s = torch.clamp(s, min=1e-10).log()
    # Strong: 1e-4 in ln for the value, plus 1e-4 for the bin's mean.
    return (s - s.mean(1, keepdim=True)).T, strong.T, torch.full((80,), 2e-4)


def speechbrain(x, dtype):
    """SpeechBrain Fbank with its defaults (lobes/features.py l.98-115):
    processing/features.py STFT (l.109-188), spectral_magnitude (power),
    Filterbank "triangular" (l.437-586) and _amplitude_to_DB (l.736-759)."""
    x = x.to(dtype)
    window = torch.hamming_window(400, dtype=dtype)  # periodic
    s = torch.stft(x, 400, 160, 400, window=window, center=True, pad_mode="constant",
                   return_complex=True)
    s = s.real ** 2 + s.imag ** 2
    mel = torch.linspace(0.0, 2595.0 * math.log10(1.0 + 8000 / 700.0), 42, dtype=torch.float64)
    hz = 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    band = (hz[1:] - hz[:-1])[:-1]
    f_central = hz[1:-1]
    all_freqs = torch.linspace(0, 8000, 201, dtype=torch.float64)
    slope = (all_freqs[None, :] - f_central[:, None]) / band[:, None]
    fb = torch.clamp(torch.minimum(1.0 + slope, 1.0 - slope), min=0.0)  # [40, 201]
    m = fb.to(dtype) @ s
    strong = strong_mask(m)
    db = 10.0 * torch.log10(torch.clamp(m, min=1e-10))  # ref_value 1.0: - 0
    clamped = db < db.max() - 80.0
    db = torch.maximum(db, db.max() - 80.0)
    # Strong, or floored (the utterance max's value): 1e-4 relative in power
    # is 10 / ln 10 x 1e-4 dB.
    return db.T, (strong | clamped).T, torch.full((40,), 10.0 * 1e-4 / math.log(10))


def funasr_cmvn_file(path, dim=560):
    """A small synthetic am.mvn in the Kaldi nnet1 text form FunASR's
    load_cmvn reads (wav_frontend.py l.15-43): shift = -mean, scale = 1/std."""
    rng = np.random.RandomState(7)
    shift = -(10.0 + rng.uniform(-3, 3, dim)).astype(np.float32)
    scale = (1.0 / rng.uniform(2, 5, dim)).astype(np.float32)
    fmt = lambda v: " ".join("%.8g" % a for a in v)
    with open(path, "w") as f:
        f.write("<Nnet>\n<Splice> %d %d\n[ 0 ]\n<AddShift> %d %d\n<LearnRateCoef> 0 [ %s ]\n"
                "<Rescale> %d %d\n<LearnRateCoef> 0 [ %s ]\n</Nnet>\n"
                % (dim, dim, dim, dim, fmt(shift), dim, dim, fmt(scale)))
    return torch.from_numpy(shift.astype(np.float64)), torch.from_numpy(scale.astype(np.float64))


def funasr(x, cmvn, dtype):
    """FunASR WavFrontend.forward (wav_frontend.py l.149-195) with the
    Paraformer template (hamming, 80 mels, lfr 7/6) and dither 0."""
    import torchaudio.compliance.kaldi as kaldi
    w = x.to(dtype) * (1 << 15)  # forward step 1 (upsacle_samples)
    m = kaldi.fbank(w[None], num_mel_bins=80, frame_length=25, frame_shift=10, dither=0.0,
                    energy_floor=0.0, window_type="hamming", sample_frequency=16000,
                    snip_edges=True)
    strong = strong_mask(m.exp().T).T
    # apply_lfr (l.62-84), m = 7, n = 6
    lfr_m, lfr_n = 7, 6
    t = m.shape[0]
    t_lfr = int(np.ceil(t / lfr_n))
    m = torch.vstack([m[:1]] * ((lfr_m - 1) // 2) + [m])
    t = m.shape[0]
    last_idx = (t - lfr_m) // lfr_n + 1
    num_padding = lfr_m - (t - last_idx * lfr_n)
    if num_padding > 0:
        num_padding = (2 * lfr_m - 2 * t + (t_lfr - 1 + last_idx) * lfr_n) / 2 * (t_lfr - last_idx)
        m = torch.vstack([m] + [m[-1:]] * int(num_padding))
    rows = [m[i * lfr_n:i * lfr_n + lfr_m].reshape(-1) for i in range(t_lfr)]
    lfr = torch.vstack(rows)
    shift, scale = cmvn  # apply_cmvn (l.46-59): (x + shift) * scale
    # Strong: 1e-4 in ln (Kaldi's log mel), times the column's scale; LFR
    # copies frames, so its mask is the copied frames' (first padding row 0).
    pad = torch.vstack([strong[:1]] * ((lfr_m - 1) // 2) + [strong])
    pad = torch.vstack([pad] + [pad[-1:]] * max(0, lfr.shape[0] * lfr_n + lfr_m - pad.shape[0]))
    mask = torch.vstack([pad[i * lfr_n:i * lfr_n + lfr_m].reshape(-1) for i in range(t_lfr)])
    return (lfr + shift.to(dtype)) * scale.to(dtype), mask, 1e-4 * scale


def strong_mask(power, floor=0.0):
    """[bins, frames] power: True within 50 dB of the frame's peak (and above
    `floor`, 1e3 times a log guard), where float32 rounding is ~1e-6 relative
    and the tests ask 1e-4 relative in power; the other values are weak."""
    return (power >= power.max(0, keepdim=True).values * 1e-5) & (power > floor)


def write_presets(x16):
    import wave
    os.makedirs(PRESET_DIR, exist_ok=True)
    pcm = x16[:PRESET_SAMPLES]
    with wave.open(PRESET_WAV, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.astype("<i2").tobytes())
    x = torch.from_numpy(pcm.astype(np.float64) / 32768.0)  # whisper load_audio's scale
    cmvn = funasr_cmvn_file(os.path.join(PRESET_DIR, "am.mvn"))
    runs = {
        "whisper": lambda d: whisper(x, 80, d),
        "whisper-128": lambda d: whisper(x, 128, d),
        "nemo-80": lambda d: nemo(x, 80, d),
        "nemo-128": lambda d: nemo(x, 128, d),
        "espnet": lambda d: espnet(x, d),
        "speechbrain": lambda d: speechbrain(x, d),
        "funasr-paraformer": lambda d: funasr(x, cmvn, d),
    }
    for name, run in runs.items():
        ref, strong, tol = run(torch.float64)
        ref = ref.contiguous().numpy()
        f32 = run(torch.float32)[0].contiguous().numpy()
        # The strong values' mask (packed bits) and per-column tolerance.
        np.savez_compressed(os.path.join(PRESET_DIR, name + ".strong.npz"),
                            mask=np.packbits(strong.numpy().astype(np.uint8).ravel()),
                            tol=tol.to(torch.float64).numpy())
        # The float64 result rounded to float32 (6e-8 relative, far below
        # the tolerances) keeps the fixtures small.
        np.save(os.path.join(PRESET_DIR, name + ".f64.npy"), ref.astype(np.float32))
        np.save(os.path.join(PRESET_DIR, name + ".f32.npy"), f32.astype(np.float32))
        print(name, ref.shape, file=sys.stderr)


def main():
    os.makedirs(OUT, exist_ok=True)
    import wave
    with wave.open("data/speech-16k.wav") as w:
        assert w.getframerate() == 16000 and w.getsampwidth() == 2 and w.getnchannels() == 1
        write_presets(np.frombuffer(w.readframes(w.getnframes()), "<i2"))
    audio = {}
    for name, (path, keep) in INPUTS.items():
        x, sr = torchaudio.load(path)  # int16 / 32768: featpool's unit scale
        assert x.shape[1] >= keep, (path, x.shape)
        audio[name] = (x[0, :keep].to(torch.float64), sr, keep)
    lines = []
    for name, inp, o in CASES:
        x, sr, keep = audio[inp]
        if "sample_frequency" in o:
            assert int(o["sample_frequency"]) == sr
        ref = compute(x, sr, o, torch.float64)
        f32 = compute(x, sr, o, torch.float32)
        np.save(os.path.join(OUT, name + ".f64.npy"), ref.astype(np.float64))
        np.save(os.path.join(OUT, name + ".f32.npy"), f32.astype(np.float32))
        opts = " ".join("%s=%s" % (k, repr(v) if isinstance(v, float) else v)
                        for k, v in o.items())
        lines.append("%s input=%s samples=%d %s" % (name, INPUTS[inp][0], keep, opts))
        print(name, ref.shape, file=sys.stderr)
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("# name input=FILE samples=N key=value... (tests/gen-dialect-fixtures.py, "
                "torchaudio %s, torch %s)\n" % (torchaudio.__version__, torch.__version__))
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
