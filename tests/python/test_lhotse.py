"""featpool.lhotse against a minimal stand-in of lhotse's extractor base.

lhotse is not a Debian package, so the stand-in below is written from lhotse
2.0.0a3's source: lhotse/features/base.py (FeatureExtractor: name,
config_type, __init__ requiring a dataclass config, the abstract extract /
frame_shift / feature_dim, register_extractor and the name registry that
FeatureExtractor.from_dict uses) and lhotse/utils.py (compute_num_frames,
which lhotse's validate_features checks a manifest against).
"""

import importlib
import os
import pickle
import sys
import textwrap

import numpy as np
import pytest

featpool = pytest.importorskip("featpool")

STAND_IN = {
    "lhotse/__init__.py": "",
    "lhotse/utils.py": """
        def compute_num_frames(duration, frame_shift, sampling_rate):
            num_samples = round(duration * sampling_rate)
            window_hop = round(frame_shift * sampling_rate)
            return int((num_samples + window_hop // 2) // window_hop)
    """,
    "lhotse/features/__init__.py": "",
    "lhotse/features/base.py": """
        from abc import ABCMeta, abstractmethod
        from dataclasses import is_dataclass

        FEATURE_EXTRACTORS = {}

        def register_extractor(cls):
            FEATURE_EXTRACTORS[cls.name] = cls
            return cls

        def get_extractor_type(name):
            return FEATURE_EXTRACTORS[name]

        class FeatureExtractor(metaclass=ABCMeta):
            name = None
            config_type = None

            def __init__(self, config=None):
                if config is None:
                    config = self.config_type()
                assert is_dataclass(config), "The feature configuration object must be a dataclass."
                self.config = config

            @abstractmethod
            def extract(self, samples, sampling_rate): ...

            @property
            @abstractmethod
            def frame_shift(self): ...

            @abstractmethod
            def feature_dim(self, sampling_rate): ...

            @classmethod
            def from_dict(cls, data):
                data = dict(data)
                extractor_type = get_extractor_type(data.pop("feature_type"))
                return extractor_type(extractor_type.config_type.from_dict(data))

            def to_dict(self):
                d = self.config.to_dict()
                d["feature_type"] = self.name
                return d
    """,
}


@pytest.fixture()
def lhotse_stand_in(tmp_path, monkeypatch):
    for name, text in STAND_IN.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    for mod in [m for m in sys.modules if m == "lhotse" or m.startswith("lhotse.")
                or m == "featpool.lhotse"]:
        monkeypatch.delitem(sys.modules, mod)
    yield importlib.import_module("featpool.lhotse")
    for mod in [m for m in sys.modules if m == "lhotse" or m.startswith("lhotse.")
                or m == "featpool.lhotse"]:
        del sys.modules[mod]


def speech(rate=16000):
    samples, got = featpool.read_audio(featpool_data("speech-16k.wav"), sample_rate=rate)
    return samples / 32768.0, got  # lhotse's scale: float in [-1, 1]


def featpool_data(name):
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "data", name)


def test_import_needs_lhotse(monkeypatch):
    monkeypatch.setitem(sys.modules, "lhotse", None)  # import lhotse raises ImportError
    monkeypatch.delitem(sys.modules, "featpool.lhotse", raising=False)
    with pytest.raises(ImportError, match="featpool.lhotse needs lhotse"):
        importlib.import_module("featpool.lhotse")
    import featpool as again  # the package itself never needs it
    assert again.fbank is featpool.fbank


def test_extractor_protocol(lhotse_stand_in):
    from lhotse.features.base import FeatureExtractor
    from lhotse.utils import compute_num_frames
    m = lhotse_stand_in
    ex = m.Featpool(m.FeatpoolConfig(feature="fbank",
                                     options={"num_mel_bins": 40, "snip_edges": False}))
    assert isinstance(ex, FeatureExtractor) and ex.name == "featpool"
    x, rate = speech()
    feats = ex.extract(x[None, :], rate)
    # Unit-scale samples are scaled to Kaldi's integers: the command's features.
    want = featpool.fbank(x * 32768.0, rate, num_mel_bins=40, snip_edges=False)
    assert np.array_equal(feats, want)
    assert ex.frame_shift == 0.01 and ex.feature_dim(rate) == 40
    # lhotse's manifest rule holds with snip_edges=False.
    assert compute_num_frames(x.size / rate, ex.frame_shift, rate) == feats.shape[0]
    # from_dict / to_dict through lhotse's registry, and pickling.
    again = FeatureExtractor.from_dict(ex.to_dict())
    assert type(again) is m.Featpool and again.config == ex.config
    assert pickle.loads(pickle.dumps(ex.config)) == ex.config


def test_batch_and_stages(lhotse_stand_in):
    m = lhotse_stand_in
    x, rate = speech()
    parts = [x[:16000], x[16000:40000], x[40000:41000]]
    ex = m.Featpool(m.FeatpoolConfig(feature="mfcc", num_threads=2))
    outs = ex.extract_batch(parts, rate)
    assert len(outs) == 3
    for part, out in zip(parts, outs):
        assert np.array_equal(out, ex.extract(part, rate))
    # Padded input with lengths, as lhotse passes it.
    padded = np.zeros((3, 24000), np.float32)
    for i, p in enumerate(parts):
        padded[i, :p.size] = p
    again = ex.extract_batch(padded, rate, lengths=[p.size for p in parts])
    assert all(np.array_equal(a, b) for a, b in zip(again, outs))
    # The frame shift follows pooling strides.
    pooled = m.Featpool(m.FeatpoolConfig(pool={"mode": "max", "kernel": (2, 1)}))
    assert pooled.frame_shift == 0.02 and pooled.feature_dim(rate) == 23


def test_errors(lhotse_stand_in):
    m = lhotse_stand_in
    with pytest.raises(featpool.Error, match="feature='nope'"):
        m.Featpool(m.FeatpoolConfig(feature="nope"))
    ex = m.Featpool()
    with pytest.raises(featpool.Error, match="2 channels"):
        ex.extract(np.zeros((2, 16000), np.float32), 16000)


def test_presets(lhotse_stand_in):
    from lhotse.features.base import FeatureExtractor
    m = lhotse_stand_in
    x, rate = speech()
    ex = m.Featpool(m.FeatpoolConfig(preset="whisper"))
    want = featpool.extract(x, rate, preset="whisper", sample_scale="unit")
    assert np.array_equal(ex.extract(x[None, :], rate), want)
    assert ex.frame_shift == 0.01 and ex.feature_dim(rate) == 80
    assert FeatureExtractor.from_dict(ex.to_dict()).config == ex.config
    # options override the preset's settings, stages included.
    big = m.Featpool(m.FeatpoolConfig(preset="whisper", options={"n_mels": 128, "deltas": 1}))
    assert big.feature_dim(rate) == 256
    # A Kaldi preset gets lhotse's [-1, 1] samples on Kaldi's integer scale.
    kaldi = m.Featpool(m.FeatpoolConfig(preset="kaldi-fbank-80"))
    assert np.array_equal(kaldi.extract(x, rate),
                          featpool.extract(x * 32768.0, rate, preset="kaldi-fbank-80"))
    am_mvn = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "dialects",
                          "presets", "am.mvn")
    funasr = m.Featpool(m.FeatpoolConfig(preset="funasr-paraformer", num_threads=2,
                                         options={"cmvn_stats": am_mvn}))
    assert funasr.frame_shift == 0.06 and funasr.feature_dim(rate) == 560
    outs = funasr.extract_batch([x[:16000], x], rate)
    assert np.array_equal(outs[1], funasr.extract(x, rate))
    with pytest.raises(featpool.Error, match="unknown preset='nope'"):
        m.Featpool(m.FeatpoolConfig(preset="nope"))
