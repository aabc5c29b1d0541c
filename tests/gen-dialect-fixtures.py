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


def main():
    os.makedirs(OUT, exist_ok=True)
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
