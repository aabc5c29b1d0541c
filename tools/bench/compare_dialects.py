#!/usr/bin/env python3
"""featpool's presets and generic mel types against each frontend in torch.

For each preset (featpool.extract(samples, preset=NAME)) and for the
generic mel spectrogram and mel-MFCC (featpool.melspectrogram(),
featpool.mel_mfcc() with their defaults), the computation the model's own
frontend runs, written here in torch from the rules of its source as
shared/DIALECTS.md cites them (file and line; float32, as the frontends
run), or the torchaudio object itself:

- whisper, whisper-128: whisper/audio.py log_mel_spectrogram (n_mels 80, 128);
- nemo-80, nemo-128: NeMo FilterbankFeatures.forward in eval mode;
- espnet: ESPnet2 DefaultFrontend (Stft, LogMel) + utterance_mvn;
- speechbrain: SpeechBrain lobes Fbank with its defaults;
- funasr-paraformer: FunASR WavFrontend.forward (kaldi.fbank, apply_lfr 7/6,
  apply_cmvn), with a synthetic am.mvn;
- kaldi-fbank-80, kaldi-mfcc-13, kaldi-mfcc-hires: torchaudio.compliance.kaldi;
- melspectrogram, mel-mfcc: torchaudio.transforms.MelSpectrogram() and MFCC()
  (MFCC without its top_db floor, which featpool's mel-mfcc does not apply).

Before timing, each pair must agree: equal shapes, and the values within
10 times the dialect fixtures' tolerance (tests/gen-dialect-fixtures.py:
1e-4 relative in power carried into each output domain, on the values
within 50 dB of their frame's peak; so 1e-3 relative in power) for the
presets that have fixtures, and by the looser rules stated with the cases for
the others. The torch computation here is also checked against the
fixture generator's transcription of the same source, so the two cannot
drift apart. Then both are timed, one thread, CPU time, best of `repeat`
runs each, taking turns.

Run through compare.py (--dialects alone, or by default); needs the
featpool Python module built (FEATPOOL_PYTHON) and python3-torchaudio.
"""
import importlib.util
import math
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import compare_pool  # noqa: E402

TARGET = 5.0  # featpool's speed-up over the torch frontend, one thread


def import_featpool(build):
    """The featpool package of the build directory (featpool-python.env)."""
    env_file = os.path.join(build, "featpool-python.env")
    if not os.path.exists(env_file):
        raise SystemExit("%s is missing: configure the build directory first" % env_file)
    env = dict(line.split("=", 1) for line in open(env_file).read().splitlines() if "=" in line)
    if env.get("FEATPOOL_PYTHON") != "ON" or not env.get("MODULE_DIR"):
        raise SystemExit("the Python module was not built (-DFEATPOOL_PYTHON=ON, needs "
                         "pybind11-dev and python3-numpy)")
    sys.path.insert(0, env["MODULE_DIR"])
    import featpool
    return featpool


def fixtures():
    """tests/gen-dialect-fixtures.py as a module: its transcriptions of the
    same sources (with the strong values' mask and tolerance), its Slaney mel
    bank and its am.mvn writer."""
    path = os.path.join(ROOT, "tests", "gen-dialect-fixtures.py")
    spec = importlib.util.spec_from_file_location("gen_dialect_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------
# The frontends in torch. Set-up (mel banks, windows a module holds, the
# torchaudio objects) is done once, outside the timing, as a model does it
# at construction; what each frontend computes per call is timed.


def whisper_log_mel(audio, filters):
    """whisper/audio.py log_mel_spectrogram(audio, n_mels, padding=0)
    (l.110-157); `filters` is mel_filters.npz's mel_80 / mel_128 (l.91-107,
    librosa's Slaney bank, loaded once and cached by the source)."""
    import torch
    window = torch.hann_window(400)  # l.147, periodic
    stft = torch.stft(audio, 400, 160, window=window, return_complex=True)  # l.148
    magnitudes = stft[..., :-1].abs() ** 2  # l.149: the last frame dropped
    mel_spec = filters @ magnitudes  # l.152
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()  # l.154
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)  # l.155
    return (log_spec + 4.0) / 4.0  # l.156; [n_mels, frames]


class NemoFilterbank:
    """NeMo FilterbankFeatures (features.py l.246-502) with the repository's
    model configs (window_size 0.025, n_fft 512, normalize per_feature,
    pad_to 0), forward in eval mode (no dither), on a [1, L] batch."""

    def __init__(self, n_mels, fx):
        import torch
        self.window = torch.hann_window(400, periodic=False)  # l.386-396
        self.fb = fx.slaney_mel(n_mels, 512, 16000, 8000, torch.float32)[None]  # l.339-344

    def __call__(self, x):
        import torch
        length = torch.tensor([x.shape[1]])
        seq_len = torch.floor((length + 2 * (512 // 2) - 512) / 160).long()  # l.413-417
        timemask = torch.arange(x.shape[1])[None, :] >= length[:, None]
        x = torch.cat((x[:, :1], x[:, 1:] - 0.97 * x[:, :-1]), dim=1)  # l.441, preemph
        x = x.masked_fill(timemask, 0.0)
        x = torch.stft(x, n_fft=512, hop_length=160, win_length=400, center=True,
                       window=self.window, return_complex=True, pad_mode="constant")  # l.392
        x = torch.view_as_real(x)
        x = torch.sqrt(x.pow(2).sum(-1))  # l.451-457, guard 0 in eval
        x = x.pow(2.0)  # l.460-461, mag_power
        x = torch.matmul(self.fb, x)  # l.467
        x = torch.log(x + 2.0 ** -24)  # l.473-479, "add"
        # normalize_batch per_feature (l.59-93): over the first seq_len frames,
        # unbiased std, + 1e-5 on the std.
        valid = torch.arange(x.shape[2])[None, :] < seq_len[:, None]
        zero = torch.zeros((), dtype=x.dtype)
        n = valid.sum(1)[:, None]
        mean = torch.where(valid[:, None, :], x, zero).sum(2) / n
        std = torch.sqrt(torch.where(valid[:, None, :], x - mean[:, :, None], zero).pow(2)
                         .sum(2) / (n - 1.0))
        std = std.masked_fill(std.isnan(), 0.0) + 1e-5
        x = (x - mean[:, :, None]) / std[:, :, None]
        # l.489-494: frames >= seq_len set to pad_value 0.
        x = x.masked_fill((~valid)[:, None, :], 0.0)
        return x, seq_len  # [1, n_mels, L//160 + 1], [1]


class EspnetFrontend:
    """ESPnet2 DefaultFrontend with its defaults (frontend/default.py: n_fft
    512, win_length None = 512, hop 128, 80 mels; layers/stft.py,
    layers/log_mel.py) and the ASR task's default normalize, utterance_mvn
    (layers/utterance_mvn.py: norm_means, not norm_vars), on a [1, L] batch."""

    def __init__(self, fx):
        import torch
        self.melmat = fx.slaney_mel(80, 512, 16000, 8000, torch.float32).T  # log_mel.py, [F, 80]

    def __call__(self, x):
        import torch
        window = torch.hann_window(512)  # stft.py: made per call, periodic
        s = torch.stft(x, n_fft=512, win_length=512, hop_length=128, center=True,
                       window=window, normalized=False, onesided=True,
                       return_complex=True)  # reflect padding (torch's default)
        s = s.transpose(1, 2)  # [B, frames, F]
        power = s.real ** 2 + s.imag ** 2  # default.py
        feat = torch.clamp(torch.matmul(power, self.melmat), min=1e-10).log()  # log_mel.py
        ilens = torch.full((1,), feat.shape[1])
        mean = feat.sum(dim=1, keepdim=True) / ilens[:, None, None]  # utterance_mvn
        return feat - mean  # [1, frames, 80]


class SpeechbrainFbank:
    """SpeechBrain Fbank with its defaults (lobes/features.py l.98-115):
    processing/features.py STFT (l.109-188), spectral_magnitude (power=1:
    re^2 + im^2, l.341-378), Filterbank "triangular" with freeze=True
    (l.437-586) and _amplitude_to_DB (l.736-759), on a [1, L] batch."""

    def __init__(self):
        import torch
        self.window = torch.hamming_window(400)  # STFT.__init__, periodic
        # Filterbank.__init__: HTK mel points (float32, torch's default dtype).
        mel = torch.linspace(0.0, 2595.0 * math.log10(1.0 + 8000 / 700.0), 42)
        hz = 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
        self.band = (hz[1:] - hz[:-1])[:-1]
        self.f_central = hz[1:-1]
        self.all_freqs_mat = torch.linspace(0, 8000, 201).repeat(40, 1)
        self.zero = torch.zeros(1)

    def __call__(self, x):
        import torch
        s = torch.stft(x, 400, 160, 400, self.window, center=True, pad_mode="constant",
                       normalized=False, onesided=True, return_complex=True)
        s = torch.view_as_real(s).transpose(2, 1)  # [B, frames, F, 2]
        spectr = s.pow(2).sum(-1).pow(1)  # spectral_magnitude, power=1
        # Filterbank.forward (freeze): the triangles, made per call, then the
        # matrix product.
        f_central_mat = self.f_central.repeat(201, 1).transpose(0, 1)
        band_mat = self.band.repeat(201, 1).transpose(0, 1)
        slope = (self.all_freqs_mat - f_central_mat) / band_mat
        fb = torch.max(self.zero, torch.min(slope + 1.0, -slope + 1.0)).transpose(0, 1)
        fbanks = torch.matmul(spectr, fb)  # [B, frames, 40]
        x_db = 10.0 * torch.log10(torch.clamp(fbanks, min=1e-10))  # - 10 log10(ref 1.0) = 0
        new_max = x_db.amax(dim=(-2, -1)) - 80.0  # top_db over the utterance
        return torch.max(x_db, new_max.view(x_db.shape[0], 1, 1))  # [1, frames, 40]


def funasr_apply_lfr(inputs, lfr_m, lfr_n):
    """FunASR wav_frontend.py apply_lfr (l.62-84)."""
    import torch
    t = inputs.shape[0]
    t_lfr = int(np.ceil(t / lfr_n))
    left_padding = inputs[0].repeat((lfr_m - 1) // 2, 1)
    inputs = torch.vstack((left_padding, inputs))
    t = t + (lfr_m - 1) // 2
    feat_dim = inputs.shape[-1]
    strides = (lfr_n * feat_dim, 1)
    sizes = (t_lfr, lfr_m * feat_dim)
    last_idx = (t - lfr_m) // lfr_n + 1
    num_padding = lfr_m - (t - last_idx * lfr_n)
    if num_padding > 0:
        num_padding = (2 * lfr_m - 2 * t + (t_lfr - 1 + last_idx) * lfr_n) / 2 * (t_lfr - last_idx)
        inputs = torch.vstack([inputs] + [inputs[-1:]] * int(num_padding))
    return inputs.as_strided(sizes, strides).clone().type(torch.float32)


def funasr_wav_frontend(waveform, cmvn):
    """FunASR WavFrontend.forward (wav_frontend.py l.149-195) with the
    Paraformer template (hamming, 80 mels, 25/10 ms, lfr 7/6) and dither 0;
    `cmvn` is load_cmvn's [2, 560] (shift, scale) of the am.mvn (l.15-43)."""
    import torchaudio.compliance.kaldi as kaldi
    waveform = waveform * (1 << 15)  # upsacle_samples
    mat = kaldi.fbank(waveform[None], num_mel_bins=80, frame_length=25, frame_shift=10,
                      dither=0.0, energy_floor=0.0, window_type="hamming",
                      sample_frequency=16000, snip_edges=True)
    mat = funasr_apply_lfr(mat, 7, 6)
    dim = mat.shape[1]  # apply_cmvn (l.46-59): (x + shift) * scale
    mat += cmvn[0:1, :dim]
    mat *= cmvn[1:2, :dim]
    return mat  # [ceil(frames / 6), 560]


# --------------------------------------------------------------------------
# Agreement


def strong_log(ref, dynamic):
    """[frames, bins] log-domain values: True within `dynamic` (50 dB in that
    log's units) of the frame's peak."""
    return ref >= ref.max(axis=1, keepdims=True) - dynamic


def check(label, got, ref, mask, tol, what):
    """Shapes equal and |got - ref| <= tol wherever mask; returns the worst
    error as a fraction of the tolerance."""
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape:
        raise SystemExit("%s: %s has shape %s, the reference %s: not the same work"
                         % (label, what, got.shape, ref.shape))
    tol = np.broadcast_to(tol, ref.shape)
    if mask.sum() < ref.shape[0]:
        raise SystemExit("%s: too few values to compare (%d)" % (label, mask.sum()))
    ratio = np.abs(got - ref)[mask] / tol[mask]
    if not np.all(ratio <= 1.0):
        worst = np.argwhere(mask & (np.abs(got - ref) > tol))[:3]
        raise SystemExit("%s: %s differs from the reference at %s (%.3g x the tolerance): "
                         "not the same work" % (label, what, worst.tolist(), ratio.max()))
    return float(ratio.max())


def time_pair(theirs, ours, repeat):
    """(torch ms, featpool ms): CPU time, the best of `repeat` runs each,
    the two taking turns so that both see the same load on a shared machine."""
    best_theirs = best_ours = float("inf")
    for _ in range(repeat):
        best_theirs = min(best_theirs, compare_pool.time_op(theirs, 1))
        best_ours = min(best_ours, compare_pool.time_op(ours, 1))
    return best_theirs, best_ours


def compare(build, pcm, rate, repeat, targets):
    """Checks then times every pair on `pcm` (int16 samples at `rate`); adds
    a target per pair to `targets` (compare.Targets)."""
    import torch
    import torchaudio
    import torchaudio.compliance.kaldi as kaldi
    featpool = import_featpool(build)
    fx = fixtures()
    torch.set_num_threads(1)
    assert rate == 16000
    seconds = len(pcm) / rate
    int16 = pcm.astype(np.float32)  # Kaldi's integer scale
    unit = int16 / 32768.0  # the models' scale (whisper load_audio: s16 / 32768)
    x16 = torch.from_numpy(int16)
    x = torch.from_numpy(unit)
    load = os.getloadavg()
    print("== Dialects: %g s of 16 kHz speech, featpool %s (Python, in-process) against each "
          "frontend in torch %s / torchaudio %s; one thread, CPU ms, best of %d; "
          "load average %.2f %.2f %.2f" % (seconds, featpool.__version__, torch.__version__,
                                            torchaudio.__version__, repeat, *load))
    presets = featpool.list_presets()
    tmp = tempfile.TemporaryDirectory(prefix="featpool-dialects-")
    am_mvn = os.path.join(tmp.name, "am.mvn")
    shift, scale = fx.funasr_cmvn_file(am_mvn)  # a synthetic am.mvn (load_cmvn's format)
    cmvn = torch.stack([shift, scale]).to(torch.float32)

    nemo = {n: NemoFilterbank(n, fx) for n in (80, 128)}
    whisper_filters = {n: fx.slaney_mel(n, 400, 16000, 8000, torch.float32) for n in (80, 128)}
    espnet = EspnetFrontend(fx)
    speechbrain = SpeechbrainFbank()
    mel_spectrogram = torchaudio.transforms.MelSpectrogram()
    mfcc = torchaudio.transforms.MFCC()
    mfcc.amplitude_to_DB.top_db = None  # featpool's mel-mfcc has no top_db floor

    def fixture(fn):  # the fixture generator's reference: values, strong mask, 10 x tolerance
        ref, strong, tol = fn()
        return ref.numpy(), strong.numpy(), 10 * tol.numpy()

    # label, featpool call, torch call, [frames, dim] of the torch result, reference
    cases = [
        ("whisper", lambda: featpool.extract(unit, rate, preset="whisper"),
         lambda: whisper_log_mel(x, whisper_filters[80]), lambda r: r.T,
         lambda: fixture(lambda: fx.whisper(x, 80, torch.float32))),
        ("whisper-128", lambda: featpool.extract(unit, rate, preset="whisper-128"),
         lambda: whisper_log_mel(x, whisper_filters[128]), lambda r: r.T,
         lambda: fixture(lambda: fx.whisper(x, 128, torch.float32))),
        ("nemo-80", lambda: featpool.extract(unit, rate, preset="nemo-80"),
         lambda: nemo[80](x[None]), lambda r: r[0][0, :, :int(r[1][0])].T,
         lambda: fixture(lambda: fx.nemo(x, 80, torch.float32))),
        ("nemo-128", lambda: featpool.extract(unit, rate, preset="nemo-128"),
         lambda: nemo[128](x[None]), lambda r: r[0][0, :, :int(r[1][0])].T,
         lambda: fixture(lambda: fx.nemo(x, 128, torch.float32))),
        ("espnet", lambda: featpool.extract(unit, rate, preset="espnet"),
         lambda: espnet(x[None]), lambda r: r[0],
         lambda: fixture(lambda: fx.espnet(x, torch.float32))),
        ("speechbrain", lambda: featpool.extract(unit, rate, preset="speechbrain"),
         lambda: speechbrain(x[None]), lambda r: r[0],
         lambda: fixture(lambda: fx.speechbrain(x, torch.float32))),
        ("funasr-paraformer",
         lambda: featpool.extract(unit, rate, preset="funasr-paraformer", cmvn_stats=am_mvn,
                                  sample_scale="unit"),
         lambda: funasr_wav_frontend(x, cmvn), lambda r: r,
         lambda: fixture(lambda: fx.funasr(x, (shift, scale), torch.float32))),
        # The Kaldi presets against torchaudio.compliance.kaldi, Kaldi's
        # integer scale; log mels: 1e-3 in ln within 50 dB of the frame's peak.
        ("kaldi-fbank-80", lambda: featpool.extract(int16, rate, preset="kaldi-fbank-80"),
         lambda: kaldi.fbank(x16[None], num_mel_bins=80, dither=0.0, sample_frequency=16000),
         lambda r: r, None),
        # Cepstra (a DCT of every log mel of the frame, weak ones included):
        # 1e-3 of the frame's cepstral norm.
        ("kaldi-mfcc-13", lambda: featpool.extract(int16, rate, preset="kaldi-mfcc-13"),
         lambda: kaldi.mfcc(x16[None], num_ceps=13, num_mel_bins=23, use_energy=False,
                            dither=0.0, sample_frequency=16000), lambda r: r, None),
        ("kaldi-mfcc-hires", lambda: featpool.extract(int16, rate, preset="kaldi-mfcc-hires"),
         lambda: kaldi.mfcc(x16[None], num_ceps=40, num_mel_bins=40, low_freq=20,
                            high_freq=-400, use_energy=False, dither=0.0,
                            sample_frequency=16000), lambda r: r, None),
        # The generic types with their defaults against torchaudio's objects
        # with theirs: power, 1e-3 relative within 40 dB of the frame's peak;
        # cepstra as above.
        ("melspectrogram", lambda: featpool.melspectrogram(unit, rate),
         lambda: mel_spectrogram(x), lambda r: r.T, None),
        ("mel-mfcc", lambda: featpool.mel_mfcc(unit, rate), lambda: mfcc(x), lambda r: r.T, None),
    ]
    missing = sorted(set(presets) - {c[0] for c in cases})
    if missing:
        raise SystemExit("no torch frontend for the presets %s" % ", ".join(missing))

    def loose_reference(label, ref):
        if label == "kaldi-fbank-80":
            return strong_log(ref, math.log(1e5)), 1e-3
        if label == "melspectrogram":
            # Within 40 dB: torch float32 is the reference here, and
            # torchaudio builds its mel bank in float32 (featpool in double),
            # which moves the narrow filters' tails by up to 3e-4 relative.
            return (ref >= 1e-4 * ref.max(axis=1, keepdims=True)) & (ref > 0), 1e-3 * ref
        norm = np.sqrt((ref.astype(np.float64) ** 2).sum(axis=1, keepdims=True))
        return np.ones(ref.shape, bool), 1e-3 * norm

    print("%-18s %12s %9s %11s %9s %9s  %s" % (
        "preset", "frames x dim", "torch ms", "featpool ms", "speed-up", "x realtime",
        "agreement (worst error / tolerance: featpool, torch)"))
    for label, ours, theirs, rows, reference in cases:
        got = ours()
        mine = rows(theirs()).contiguous().numpy()
        if reference is not None:
            ref, mask, tol = reference()
        else:
            ref, (mask, tol) = mine, loose_reference(label, mine)
        agree_ours = check(label, got, ref, mask, tol, "featpool")
        agree_torch = check(label, mine, ref, mask, tol, "the timed torch frontend")
        torch_ms, featpool_ms = time_pair(theirs, ours, repeat)
        speedup = torch_ms / featpool_ms
        print("%-18s %12s %9.1f %11.1f %8.1fx %9.0fx  %.2f, %.2f%s" % (
            label, "%d x %d" % got.shape, torch_ms, featpool_ms, speedup,
            seconds * 1e3 / featpool_ms, agree_ours, agree_torch,
            "" if reference is not None else " (torch is the reference)"))
        sys.stdout.flush()
        targets.add("%s >= %gx torch (one thread)" % (label, TARGET),
                    "%.1fx (%.0f ms vs %.0f ms)" % (speedup, featpool_ms, torch_ms),
                    speedup >= TARGET)
    load = os.getloadavg()
    print("(load average at the end %.2f %.2f %.2f; mel-mfcc's torch side is "
          "transforms.MFCC() without its top_db floor, which featpool's mel-mfcc does not "
          "apply)" % load)
    tmp.cleanup()
