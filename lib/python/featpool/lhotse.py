"""featpool as a lhotse feature extractor.

``featpool.lhotse.Featpool`` implements lhotse's ``FeatureExtractor``
protocol (lhotse 2.0.0a3, ``lhotse/features/base.py``): a ``name``, a
``config_type`` dataclass with ``to_dict``/``from_dict``, ``extract``,
``extract_batch``, the ``frame_shift`` property and ``feature_dim``, and it is
registered with ``register_extractor`` so that lhotse's
``FeatureExtractor.from_dict`` / ``from_yaml`` rebuild it by name::

    from featpool.lhotse import Featpool, FeatpoolConfig
    extractor = Featpool(FeatpoolConfig(feature="fbank", options={"num_mel_bins": 80}))
    cuts = cuts.compute_and_store_features(extractor, storage_path="feats")

Every featpool feature type (``featpool.FEATURES``) and its keywords work,
and so do the presets (``featpool.list_presets()``) and the stages: the
extractor computes ``featpool.extract(samples, preset=..., feature=...,
**options)``, so ``FeatpoolConfig(preset="whisper")`` gives what ``featpool
extract --preset=whisper`` writes, with ``options`` overriding the preset's
settings; ``pool`` (the keywords of ``featpool.pool``) then pools each
matrix. lhotse hands over float samples in [-1, 1], shape ``[1, N]``; they are
passed with ``sample_scale="unit"``, so Kaldi features come out on Kaldi's
integer scale as ``compute-fbank-feats`` gives them. Note that lhotse's own
Kaldi extractors default to ``snip_edges=False`` (its manifests expect
round(duration / frame_shift) frames); featpool keeps Kaldi's default, so
pass ``options={"snip_edges": False}`` when lhotse's frame count matters.

This module needs lhotse; ``import featpool`` never imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from numpy.typing import NDArray

import featpool

try:
    from lhotse.features.base import FeatureExtractor, register_extractor
except ImportError as e:  # pragma: no cover - exercised by the tests with a stand-in
    raise ImportError(
        "featpool.lhotse needs lhotse (pip install lhotse); featpool itself works without it"
    ) from e

__all__ = ["Featpool", "FeatpoolConfig"]


@dataclass
class FeatpoolConfig:
    """What ``featpool.extract(samples, preset=preset, feature=feature,
    **options)`` computes.

    ``preset`` is a name of ``featpool.list_presets()`` or None; ``feature`` a
    name of ``featpool.FEATURES`` (None: the preset's, else fbank);
    ``options`` keywords of ``featpool.extract`` (the feature type's and the
    stages'), over the preset's;
    ``pool`` the keywords of ``featpool.pool`` (None: no pooling); ``sampling_rate`` the rate that ``frame_shift`` and
    ``feature_dim`` are stated for (lhotse asks for the frame shift without
    a rate); ``num_threads`` the threads of ``extract_batch`` (0 = every CPU).
    """

    feature: Optional[str] = None
    options: Dict[str, Any] = field(default_factory=dict)
    pool: Optional[Dict[str, Any]] = None
    sampling_rate: int = 16000
    num_threads: int = 0
    preset: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return {"feature": self.feature, "options": dict(self.options),
                "pool": None if self.pool is None else dict(self.pool),
                "sampling_rate": self.sampling_rate, "num_threads": self.num_threads,
                "preset": self.preset}

    @staticmethod
    def from_dict(data: Dict[str, Any]) -> "FeatpoolConfig":
        return FeatpoolConfig(**data)


def _mono(samples: Any) -> NDArray[np.float32]:
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:
        if x.shape[0] != 1:
            raise featpool.Error(
                "featpool.lhotse: %d channels; lhotse extractors take one channel (shape [1, N]): "
                "select a channel of the cut first" % x.shape[0])
        x = x[0]
    if x.ndim != 1:
        raise featpool.Error("featpool.lhotse: samples must be [N] or [1, N], not %d-D" % x.ndim)
    return x


@register_extractor
class Featpool(FeatureExtractor):  # type: ignore[misc]
    """featpool's features as a lhotse extractor (see the module docstring)."""

    name = "featpool"
    config_type = FeatpoolConfig

    def __init__(self, config: Optional[FeatpoolConfig] = None):
        super().__init__(config)
        feature = self.config.feature
        if feature is not None and feature not in featpool.FEATURES:
            raise featpool.Error("featpool.lhotse: feature=%r: expected one of %s" % (
                feature, ", ".join(featpool.FEATURES)))
        if self.config.preset is not None:
            featpool.preset_options(self.config.preset)  # an unknown preset fails here
        self._keywords: Dict[str, Any] = dict(self.config.options, preset=self.config.preset,
                                              feature=feature, sample_scale="unit")
        self._geometry: Dict[int, tuple[float, int]] = {}

    def extract(self, samples: Any, sampling_rate: int) -> NDArray[np.float32]:
        out: NDArray[np.float32] = featpool.extract(_mono(samples), sampling_rate,
                                                    **self._keywords)
        return self._pooled(out)

    def _pooled(self, feats: NDArray[np.float32]) -> NDArray[np.float32]:
        if self.config.pool is None:
            return feats
        out: NDArray[np.float32] = featpool.pool(feats, **self.config.pool)
        return out

    def extract_batch(self, samples: Union[Sequence[Any], Any], sampling_rate: int,
                      lengths: Optional[Sequence[int]] = None) -> Union[NDArray[np.float32], List[NDArray[np.float32]]]:
        """One call over threads; each item as ``extract`` gives it. With
        ``lengths``, ``samples`` is a padded [batch, N] array (lhotse's rule)."""
        if lengths is not None:
            rows = np.asarray(samples, dtype=np.float32)
            items = [rows[i, :int(n)] for i, n in enumerate(lengths)]
        elif isinstance(samples, (list, tuple)):
            items = [_mono(x) for x in samples]
        else:
            x = np.asarray(samples, dtype=np.float32)
            items = list(x) if x.ndim > 1 else [x]
        outs: List[NDArray[np.float32]] = featpool.extract_batch(
            items, sampling_rate, num_threads=self.config.num_threads, **self._keywords)
        outs = [self._pooled(o) for o in outs]
        # lhotse's default extract_batch stacks equal shapes (base.py).
        if len(outs) > 1 and all(o.shape == outs[0].shape for o in outs[1:]):
            stacked: NDArray[np.float32] = np.stack(outs, axis=0)
            return stacked
        return outs

    def _measure(self, sampling_rate: int) -> tuple[float, int]:
        """(seconds between rows, columns), measured on the configured
        pipeline itself, so that every feature type, option, preset and stage
        (pooling strides, LFR stacking) is accounted for: the samples between
        the two lengths of low noise, past 2 s, at which one more row appears."""
        if sampling_rate not in self._geometry:
            rng = np.random.default_rng(0)
            noise = (rng.standard_normal(10 * sampling_rate) * 0.01).astype(np.float32)

            def rows(n: int) -> int:
                return int(self.extract(noise[:n], sampling_rate).shape[0])

            def next_row(start: int) -> int:
                """The least length > start with more rows than start's."""
                base = rows(start)
                low, high = 0, 1
                while rows(start + high) <= base:
                    low, high = high, 2 * high
                    if start + high > noise.size:
                        raise featpool.Error(
                            "featpool.lhotse: %s with %r gives no rows per second, so it has "
                            "no frame_shift" % (self.config.preset or self.config.feature
                                                or "fbank", self.config.options))
                while high - low > 1:
                    middle = (low + high) // 2
                    if rows(start + middle) > base:
                        high = middle
                    else:
                        low = middle
                return start + high

            first = next_row(2 * sampling_rate)
            hop = next_row(first) - first
            dim = int(self.extract(noise[:first], sampling_rate).shape[1])
            self._geometry[sampling_rate] = (hop / sampling_rate, dim)
        return self._geometry[sampling_rate]

    @property
    def frame_shift(self) -> float:
        return self._measure(self.config.sampling_rate)[0]

    def feature_dim(self, sampling_rate: int) -> int:
        return self._measure(sampling_rate)[1]
