"""featpool: Kaldi-exact fbank / MFCC / spectrogram features and PyTorch-exact pooling.

Every feature type of featpool's registry is a function ``featpool.<name>``
(and ``featpool.<name>_batch``, computing a list of waveforms over threads)
whose keywords are that type's option table; ``featpool.<Name>Options`` holds
the same options as a value (as_dict, from_dict, equality, pickling).
``featpool.pool`` pools a [time, freq] matrix as torch.nn.functional does;
``OnlineExtractor`` and ``OnlinePooler`` stream. Arrays in, arrays out:
NumPy (or CPU torch tensors, which come back as tensors). Errors raise
``featpool.Error`` (a ValueError) naming the keyword.

The keywords, defaults and help are read from the compiled tables
(``_featpool``); nothing here lists an option by hand.
"""

from __future__ import annotations

import inspect as _inspect
import os as _os
import sys as _sys
import tempfile as _tempfile
from typing import Any as _Any
from typing import TypedDict as _TypedDict

import numpy as _np

from . import _featpool
from ._featpool import MIX_CHANNELS, Error, SampleScaleWarning, version

__version__: str = version()

_P = _inspect.Parameter
_KW = _P.KEYWORD_ONLY
_POS = _P.POSITIONAL_OR_KEYWORD

# A full-scale 16-bit sample on Kaldi's integer scale; a power of two, so
# scaling by it is exact.
_INT16_FULL_SCALE = 32768.0
_SCALES = ("int16", "unit")

# --------------------------------------------------------------------------
# Arrays and tensors


def _is_tensor(x: object) -> bool:
    return type(x).__module__.split(".")[0] == "torch" and hasattr(x, "numpy")


def _input(x: _Any, what: str = "samples") -> tuple[_Any, bool]:
    """An array for the compiled module, and whether `x` was a torch tensor."""
    if not _is_tensor(x):
        return x, False
    torch = _sys.modules["torch"]
    if x.device.type != "cpu":
        raise Error("%s are on %s: featpool computes on the CPU (pass %s.cpu())"
                    % (what, x.device, what))
    if x.dtype.is_complex or x.dtype == torch.bool:
        raise TypeError("%s must be a real tensor, got %s" % (what, x.dtype))
    x = x.detach()
    if x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()
    return x.numpy(), True


def _want_tensors(return_tensors: _Any, was_tensor: bool) -> bool:
    if return_tensors is None:
        return was_tensor
    if return_tensors in ("pt", "np"):
        return return_tensors == "pt"
    raise Error("invalid return_tensors=%r: expected 'pt', 'np' or None" % (return_tensors,))


def _output(x: _Any, tensors: bool) -> _Any:
    """`x` (an array, or a tuple of arrays), as tensors if asked: torch.from_numpy
    shares the array's memory, so nothing is copied."""
    if not tensors:
        return x
    import torch

    if isinstance(x, tuple):
        return tuple(torch.from_numpy(a) for a in x)
    return torch.from_numpy(x)


def _scale(feature_scale: str, sample_scale: _Any) -> tuple[float, bool]:
    """(factor applied to the samples, whether to warn about unit-scale input)."""
    if sample_scale is None:
        return 1.0, feature_scale == "int16"
    if sample_scale not in _SCALES:
        raise Error("invalid sample_scale=%r: expected 'int16' (Kaldi's integer scale, a "
                    "full-scale sample is 32768) or 'unit' ([-1, 1])" % (sample_scale,))
    if sample_scale == feature_scale:
        return 1.0, False
    return (_INT16_FULL_SCALE if feature_scale == "int16" else 1.0 / _INT16_FULL_SCALE), False


# --------------------------------------------------------------------------
# The tables

_FEATURE_TYPES: dict[str, dict[str, _Any]] = {t["name"]: t for t in _featpool._feature_types()}
_POOL_FIELDS: list[dict[str, _Any]] = _featpool._pool_fields()

#: The feature types, in the registry's order.
FEATURES: tuple[str, ...] = tuple(_FEATURE_TYPES)


def _annotation(field: dict[str, _Any]) -> str:
    kind = field["kind"]
    if kind == "size" or kind == "opt_size":
        axis = "int | None" if field["allow_keep"] else "int"
        text = "int | tuple[%s, %s]" % (axis, axis)
        return text + " | None" if kind == "opt_size" or field["default"] is None else text
    text = {"bool": "bool", "int": "int", "float": "float", "str": "str", "choice": "str"}[kind]
    return text + " | None" if field["optional"] else text


def _field_params(fields: list[dict[str, _Any]], skip: tuple[str, ...] = ()) -> list[_P]:
    return [_P(f["key"], _KW, default=f["default"], annotation=_annotation(f))
            for f in fields if f["key"] not in skip]


def _field_doc(fields: list[dict[str, _Any]]) -> str:
    lines = []
    for f in fields:
        unit = " (%s)" % f["unit"] if f["unit"] else ""
        only = " {%s}" % f["applies_to"] if f["applies_to"] else ""
        lines.append("  %s=%r%s: %s%s" % (f["key"], f["default"], unit, f["help"], only))
    return "\n".join(lines)


def _function_name(name: str) -> str:
    """The registry's name as a Python identifier ("whisper-mel" -> whisper_mel)."""
    return name.replace("-", "_")


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_")) + "Options"


# --------------------------------------------------------------------------
# Options objects


def _options_from_dict(class_name: str, values: dict[str, _Any]) -> _Any:
    """Unpickling: featpool.<class_name>.from_dict(values)."""
    return globals()[class_name].from_dict(values)


class _Options:
    """Options of one feature type or of pooling, validated, immutable."""

    __slots__ = ("_values",)
    _kind: str = ""
    _signature: _inspect.Signature = _inspect.Signature()

    def __init__(self, *args: _Any, **kwargs: _Any) -> None:
        given = self._signature.bind(*args, **kwargs).arguments
        object.__setattr__(self, "_values", self._validate(dict(given)))

    @classmethod
    def _validate(cls, values: dict[str, _Any]) -> dict[str, _Any]:
        result: dict[str, _Any] = _featpool._feature_options(cls._kind, values)
        return result

    def as_dict(self) -> dict[str, _Any]:
        """Every option, as keyword -> value (defaults included)."""
        return dict(self._values)

    @classmethod
    def from_dict(cls, values: dict[str, _Any]) -> _Any:
        """The options of as_dict() (or any subset of them)."""
        return cls(**values)

    def replace(self, **changes: _Any) -> _Any:
        """A copy with `changes` applied (and validated)."""
        return type(self)(**{**self._values, **changes})

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return bool(self._values == other._values)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self._values.items())))

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in self._signature.parameters.values()}
        changed = ["%s=%r" % (k, v) for k, v in self._values.items()
                   if k not in defaults or v != defaults[k] or type(v) is not type(defaults[k])]
        return "%s(%s)" % (type(self).__name__, ", ".join(changed))

    def __setattr__(self, name: str, value: _Any) -> None:
        raise AttributeError("%s is immutable: use .replace(%s=...)" % (type(self).__name__, name))

    def __reduce__(self) -> tuple[_Any, ...]:
        return (_options_from_dict, (type(self).__name__, dict(self._values)))


class _PoolOptionsBase(_Options):
    __slots__ = ()

    @classmethod
    def _validate(cls, values: dict[str, _Any]) -> dict[str, _Any]:
        result: dict[str, _Any] = _featpool._pool_options(values)
        return result


def _make_options_class(name: str, kind: str, fields: list[dict[str, _Any]], doc: str,
                        base: type = _Options) -> type:
    sig = _inspect.Signature(_field_params(fields))
    namespace: dict[str, _Any] = {
        "__slots__": (), "_kind": kind, "_signature": sig, "__signature__": sig,
        "__module__": __name__, "__qualname__": name,
        "__doc__": "%s\n\nKeywords (validated when made):\n%s" % (doc, _field_doc(fields)),
    }
    for f in fields:
        key = f["key"]
        namespace[key] = property(lambda self, k=key: self._values[k], doc=f["help"])
    return type(name, (base,), namespace)


_OPTION_CLASSES: dict[str, type] = {}
for _name, _type in _FEATURE_TYPES.items():
    _cls = _make_options_class(_class_name(_name), _name, _type["fields"],
                               "Options of %s: %s." % (_name, _type["help"]))
    _OPTION_CLASSES[_name] = _cls
    globals()[_cls.__name__] = _cls

PoolOptions = _make_options_class("PoolOptions", "pool", _POOL_FIELDS,
                                  "Pooling options (torch.nn.functional's arguments).",
                                  _PoolOptionsBase)


def _option_values(kind: str, options: _Any, given: dict[str, _Any]) -> dict[str, _Any]:
    """The options object's values (if any) with the keywords given on top."""
    values: dict[str, _Any] = {}
    if options is not None:
        cls = {"pool": PoolOptions, "stages": StageOptions}.get(kind) or _OPTION_CLASSES[kind]
        if not isinstance(options, cls):
            raise TypeError("options must be featpool.%s, got %s"
                            % (cls.__name__, type(options).__name__))
        values.update(options._values)
    values.update(given)
    return values


def _apply_sample_rate(kind: str, values: dict[str, _Any], sample_rate: _Any,
                       explicit: bool) -> None:
    """sample_rate (the rate of the samples given) sets sample_frequency
    (the rate features are computed at); given both, they must agree."""
    if sample_rate is None:
        return
    if explicit and float(values["sample_frequency"]) != float(sample_rate):
        raise Error("sample_rate=%g and sample_frequency=%g disagree; give one of them"
                    % (sample_rate, values["sample_frequency"]))
    values["sample_frequency"] = sample_rate


def _feature_call_values(kind: str, args: dict[str, _Any], keys: frozenset[str]) -> dict[str, _Any]:
    options = args.get("options")
    given = {k: v for k, v in args.items() if k in keys}
    values = _option_values(kind, options, given)
    explicit = "sample_frequency" in given or (
        options is not None and options.sample_frequency != _FEATURE_TYPES[kind]["defaults"][
            "sample_frequency"])
    if "sample_frequency" in keys:
        _apply_sample_rate(kind, values, args.get("sample_rate"), explicit)
    return values


# --------------------------------------------------------------------------
# Feature functions, one pair per registry entry

_SAMPLES_DOC = """
samples: 1-D [samples] (NumPy array, list, or CPU torch tensor of any float
dtype, [N] or [1, N]); a 2-D [channels, samples] array needs channel=N (or
channel=featpool.MIX_CHANNELS to average them). sample_rate is the rate of
the samples (sample_frequency, the rate features are computed at, follows
it). sample_scale: 'int16' (Kaldi's integer scale, a full-scale sample is
32768, as read_audio() gives it) or 'unit' ([-1, 1]); default: the
feature's own scale ({scale}). Returns float32 [frames, dim], a torch
tensor if the input was one or return_tensors='pt' (no copy). NaN or inf
samples, input shorter than one frame and bad options raise featpool.Error.
options: a featpool.{cls} whose values the keywords given override.
Defaults are the registry's (Kaldi's for Kaldi's types, as in the featpool
command) except dither, which is 0 so results are reproducible (Kaldi: 1);
torchaudio.compliance.kaldi differs in energy_floor (1.0) and, for mfcc,
use_energy (False): pass them to reproduce it. The GIL is released while
features are computed.
"""

_BATCH_DOC = """
The batch form of {name}(): `batch` is a list of waveforms (each as {name}()
takes one) or a 2-D [batch, samples] array with optional `lengths`.
Computed over num_threads threads (0: one per core) without the GIL, each
result bit-identical to {name}() on that waveform. Returns a list of
[frames_i, dim] arrays or, with padded=True, (features [batch, max_frames,
dim] filled with padding_value, lengths [batch] int64), as lhotse's
extract_batch. An error names the waveform (samples[i]).
"""

_TAIL = ("options", "channel", "sample_scale", "return_tensors")


def _batch_items(a: dict[str, _Any]) -> tuple[list[_Any], bool]:
    """The waveforms of a batch call (a list, or a 2-D array cut to
    `lengths`), and whether any was a torch tensor."""
    batch = a["batch"]
    any_tensor = _is_tensor(batch)
    if any_tensor or isinstance(batch, _np.ndarray):
        rows, _ = _input(batch, "batch")
        rows = _np.asarray(rows)
        if rows.ndim != 2:
            raise Error("batch must be a list of waveforms or a 2-D [batch, samples] "
                        "array, not %d-D" % rows.ndim)
        items = list(rows)
    else:
        items = []
        for x in batch:
            array, was_tensor = _input(x)
            any_tensor = any_tensor or was_tensor
            items.append(array)
    lengths = a.get("lengths")
    if lengths is not None:
        if len(lengths) != len(items):
            raise Error("lengths has %d entries for %d waveforms" % (len(lengths), len(items)))
        items = [_np.asarray(x)[..., :int(n)] for x, n in zip(items, lengths)]
    return items, any_tensor


def _batch_result(outs: list[_Any], a: dict[str, _Any], tensors: bool, dim: _Any) -> _Any:
    """A list of results, or with padded=True (features [batch, max_rows,
    dim], lengths [batch]); dim() gives the width of an empty batch."""
    if not a.get("padded", False):
        return [_output(x, tensors) for x in outs]
    width = outs[0].shape[1] if outs else dim()
    frames = _np.array([x.shape[0] for x in outs], dtype=_np.int64)
    padded = _np.full((len(outs), int(frames.max()) if outs else 0, width),
                      a.get("padding_value", 0.0), dtype=_np.float32)
    for i, x in enumerate(outs):
        padded[i, :x.shape[0]] = x
    return _output((padded, frames), tensors)


# The keywords every *_batch function adds to its single-utterance twin, and
# what it returns.
_BATCH_PARAMS = [_P("num_threads", _KW, default=0, annotation="int"),
                 _P("lengths", _KW, default=None, annotation="Sequence[int] | None"),
                 _P("padded", _KW, default=False, annotation="bool"),
                 _P("padding_value", _KW, default=0.0, annotation="float")]
_BATCH_RETURN = "list[NDArray[np.float32]] | tuple[NDArray[np.float32], NDArray[np.int64]]"


def _make_feature_functions(name: str, t: dict[str, _Any]) -> tuple[_Any, _Any]:
    fields = t["fields"]
    keys = frozenset(f["key"] for f in fields)
    t["defaults"] = {f["key"]: f["default"] for f in fields}
    cls = _OPTION_CLASSES[name]
    head = [_P("samples", _POS, annotation="ArrayLike"),
            _P("sample_rate", _POS, default=None, annotation="float | None")]
    tail = [_P("options", _KW, default=None, annotation="%s | None" % cls.__name__),
            _P("channel", _KW, default=None, annotation="int | None"),
            _P("sample_scale", _KW, default=None, annotation="str | None")]
    tensors = [_P("return_tensors", _KW, default=None, annotation="str | None")]
    sig = _inspect.Signature(head + _field_params(fields) + tail + tensors,
                             return_annotation="NDArray[np.float32]")
    batch_head = [_P("batch", _POS, annotation="Sequence[ArrayLike] | ArrayLike"),
                  head[1]]
    batch_sig = _inspect.Signature(
        batch_head + _field_params(fields) + tail + _BATCH_PARAMS + tensors,
        return_annotation=_BATCH_RETURN)

    def feature(*args: _Any, **kwargs: _Any) -> _Any:
        a = sig.bind(*args, **kwargs).arguments
        samples, was_tensor = _input(a["samples"])
        tensors = _want_tensors(a.get("return_tensors"), was_tensor)
        values = _feature_call_values(name, a, keys)
        scale, check = _scale(t["sample_scale"], a.get("sample_scale"))
        out = _featpool._compute(name, samples, values, a.get("channel"), scale, check)
        return _output(out, tensors)

    def feature_batch(*args: _Any, **kwargs: _Any) -> _Any:
        a = sig_batch_bind(*args, **kwargs)
        items, any_tensor = _batch_items(a)
        tensors = _want_tensors(a.get("return_tensors"), any_tensor)
        values = _feature_call_values(name, a, keys)
        scale, check = _scale(t["sample_scale"], a.get("sample_scale"))
        outs = _featpool._compute_batch(name, items, values, a.get("channel"), scale, check,
                                        a.get("num_threads", 0))
        return _batch_result(outs, a, tensors, lambda: _featpool._feature_dim(name, values))

    def sig_batch_bind(*args: _Any, **kwargs: _Any) -> dict[str, _Any]:
        return dict(batch_sig.bind(*args, **kwargs).arguments)

    doc = "%s.\n%s\nKeywords:\n%s" % (
        t["help"], _SAMPLES_DOC.format(scale=t["sample_scale"], cls=cls.__name__),
        _field_doc(fields))
    for fn, fn_name, fn_sig, fn_doc in (
            (feature, _function_name(name), sig, doc),
            (feature_batch, _function_name(name) + "_batch", batch_sig,
             "%s, for a batch.\n%s\nKeywords as %s()." % (
                 t["help"], _BATCH_DOC.format(name=name), name))):
        fn.__name__ = fn_name
        fn.__qualname__ = fn_name
        fn.__module__ = __name__
        fn.__doc__ = fn_doc
        fn.__signature__ = fn_sig  # type: ignore[attr-defined]
    return feature, feature_batch


for _name, _type in _FEATURE_TYPES.items():
    for _fn in _make_feature_functions(_name, _type):
        globals()[_fn.__name__] = _fn

# --------------------------------------------------------------------------
# Pooling

_POOL_KEYS = frozenset(f["key"] for f in _POOL_FIELDS)
_pool_params = _field_params(_POOL_FIELDS)
_pool_mode = [p.replace(kind=_POS) for p in _pool_params if p.name == "mode"]
_pool_sig = _inspect.Signature(
    [_P("matrix", _POS, annotation="ArrayLike")] + _pool_mode
    + [p for p in _pool_params if p.name != "mode"]
    + [_P("options", _KW, default=None, annotation="PoolOptions | None"),
       _P("return_tensors", _KW, default=None, annotation="str | None")],
    return_annotation="NDArray[np.float32] | tuple[NDArray[np.float32], NDArray[np.int64]]")


def pool(*args: _Any, **kwargs: _Any) -> _Any:
    a = _pool_sig.bind(*args, **kwargs).arguments
    matrix, was_tensor = _input(a["matrix"], "matrix")
    tensors = _want_tensors(a.get("return_tensors"), was_tensor)
    values = _option_values("pool", a.get("options"),
                            {k: v for k, v in a.items() if k in _POOL_KEYS})
    return _output(_featpool._pool(matrix, values), tensors)


pool.__signature__ = _pool_sig  # type: ignore[attr-defined]
pool.__doc__ = """Pools a [time, freq] matrix exactly as PyTorch does.

Returns float32 [T', F'] equal to torch.nn.functional.<op>(x[None, None],
...)[0, 0] for a float32 x, and with return_indices=True also int64 indices
(flat t * F + f into the input), as max_pool2d / adaptive_max_pool2d give.

mode: 'max' (max_pool2d), 'avg' (avg_pool2d), 'lp' (lp_pool2d, p = norm_type),
'adaptive-max' / 'adaptive-avg' (output_size; None on an axis keeps it),
'stats' (per-column mean then population std over time, [1, 2F]) or 'stack'
(FunASR low-frame-rate stacking of stack_frames frames every stack_stride).
kernel, stride, padding, dilation, output_size: an int or a (time, freq)
pair, as torch takes them; kernel=None means (2, 2) for max, avg and lp,
stride=None means the kernel. Options a mode does not take must keep their
defaults, and everything torch rejects raises featpool.Error (a ValueError).
max, stack and adaptive-max copy input values (bit-identical to torch); avg,
lp and adaptive-avg sum in double. The GIL is released while pooling. A torch
tensor in gives tensors out.

Keywords:
""" + _field_doc(_POOL_FIELDS)

# --------------------------------------------------------------------------
# Stages after the features (CMVN, deltas, splicing, normalisations, pooling)

_STAGE_FIELDS: list[dict[str, _Any]] = _featpool._stage_fields()
_STAGE_KEYS = frozenset(f["key"] for f in _STAGE_FIELDS)


class _StageOptionsBase(_Options):
    __slots__ = ()

    @classmethod
    def _validate(cls, values: dict[str, _Any]) -> dict[str, _Any]:
        result: dict[str, _Any] = _featpool._stage_options(values)
        return result


StageOptions = _make_options_class(
    "StageOptions", "stages", _STAGE_FIELDS,
    "Options of the stages after the features (CMVN, deltas, splicing, normalisations); "
    "pooling has PoolOptions.", _StageOptionsBase)

_stages_sig = _inspect.Signature(
    [_P("features", _POS, annotation="ArrayLike")] + _field_params(_STAGE_FIELDS)
    + [_P("pool", _KW, default=None, annotation="PoolOptions | Mapping[str, Any] | None"),
       _P("options", _KW, default=None, annotation="StageOptions | None"),
       _P("return_tensors", _KW, default=None, annotation="str | None")],
    return_annotation="NDArray[np.float32]")


def apply_stages(*args: _Any, **kwargs: _Any) -> _Any:
    a = _stages_sig.bind(*args, **kwargs).arguments
    features, was_tensor = _input(a["features"], "features")
    tensors = _want_tensors(a.get("return_tensors"), was_tensor)
    values = _option_values("stages", a.get("options"),
                            {k: v for k, v in a.items() if k in _STAGE_KEYS})
    pool = a.get("pool")
    if isinstance(pool, PoolOptions):
        pool = pool.as_dict()
    elif pool is not None:
        pool = PoolOptions(**pool).as_dict()
    return _output(_featpool._apply_stages(features, values, pool), tensors)


apply_stages.__signature__ = _stages_sig  # type: ignore[attr-defined]
apply_stages.__doc__ = """Runs the stage chain over a [frames, dim] matrix (as fbank() returns).

The stages that are on run in the order normalize, cmvn, deltas, splice,
pool, or as `stages` lists them; each is bit-identical to the command's
(featpool extract --cmvn ... --deltas ...). pool: featpool.PoolOptions (or
its keywords as a dict) for a pool stage. Bad options raise featpool.Error
naming the keyword.

Keywords:
""" + _field_doc(_STAGE_FIELDS)

# --------------------------------------------------------------------------
# Presets and the whole pipeline (features, then the stages), as `featpool
# extract` runs it

_PACKAGE_DIR = _os.path.dirname(_os.path.abspath(__file__))


def _preset_directory() -> str:
    """$FEATPOOL_PRESET_DIR, else the presets shipped in the package."""
    directory: str = _featpool._preset_directory([_os.path.join(_PACKAGE_DIR, "presets")])
    return directory


def list_presets() -> dict[str, str]:
    """Every preset, name -> its one-line description, sorted by name.

    A preset is a Kaldi-style conf file (presets/NAME.conf in the package,
    the same files `featpool extract --preset=NAME` reads; the directory
    $FEATPOOL_PRESET_DIR replaces them)."""
    return {name: description for name, description, _ in _featpool._presets(_preset_directory())}


def _preset_file(name: _Any) -> tuple[str, str]:
    if not isinstance(name, str):
        raise TypeError("preset must be a str, got %r" % (name,))
    directory = _preset_directory()
    presets = _featpool._presets(directory)
    for known, _, path in presets:
        if known == name:
            return path, directory
    raise Error("unknown preset=%r: expected %s (featpool.list_presets())"
                % (name, _choice_list([p[0] for p in presets]) if presets
                   else "a preset, but none is installed"))


def preset_options(name: str) -> dict[str, Any]:
    """The settings of preset `name` as the keywords featpool.extract() takes.

    Each line --name=value of the preset's conf file becomes name (with '_'
    for '-') = value, typed by the option tables: 'feature', the feature
    type's options, the stages' (cmvn, normalize, stages, ...), and 'pool'
    with its 'pool_*' options (pool='stack', pool_stack_frames=7), as the
    command spells them (--pool, --pool-stack-frames). Later lines override
    earlier ones. Errors name the file and line."""
    path, directory = _preset_file(name)
    values: dict[str, Any] = {}
    for text, origin in _featpool._read_config(path, directory):
        key, value = _featpool._config_value(text, origin)
        values.pop(key, None)
        values[key] = value
    return values


def _fields_by_key() -> dict[str, dict[str, _Any]]:
    """Every feature type's fields by key (the first type's, for the
    annotation), in registry order."""
    out: dict[str, dict[str, _Any]] = {}
    for t in _FEATURE_TYPES.values():
        for f in t["fields"]:
            out.setdefault(f["key"], f)
    return out


_EXTRACT_FEATURE_FIELDS = _fields_by_key()
_POOL_KEYWORDS = {"pool_" + f["key"]: f for f in _POOL_FIELDS
                  if f["key"] not in ("mode", "return_indices")}
# Options for which None is not a value.
_NO_NONE = frozenset(k for k, f in list(_EXTRACT_FEATURE_FIELDS.items())
                     + [(f["key"], f) for f in _STAGE_FIELDS] + list(_POOL_KEYWORDS.items())
                     if "None" not in _annotation(f))
_EXTRACT_KEYS = (frozenset(_EXTRACT_FEATURE_FIELDS) | _STAGE_KEYS | frozenset(_POOL_KEYWORDS)
                 | {"feature", "pool"})


def _unset_annotation(field: dict[str, _Any]) -> str:
    text = _annotation(field)
    return text if text.endswith("| None") else text + " | None"


def _extract_params() -> list[_P]:
    fields = (list(_EXTRACT_FEATURE_FIELDS.values()) + _STAGE_FIELDS)
    params = [_P("preset", _KW, default=None, annotation="str | None"),
              _P("feature", _KW, default=None, annotation="str | None")]
    params += [_P(f["key"], _KW, default=None, annotation=_unset_annotation(f)) for f in fields]
    params.append(_P("pool", _KW, default=None,
                     annotation="str | PoolOptions | Mapping[str, Any] | None"))
    params += [_P(k, _KW, default=None, annotation=_unset_annotation(f))
               for k, f in _POOL_KEYWORDS.items()]
    params += [_P("channel", _KW, default=None, annotation="int | None"),
               _P("sample_scale", _KW, default=None, annotation="str | None")]
    return params


def _extract_config(a: dict[str, _Any]) -> tuple[str, dict[str, _Any], dict[str, _Any],
                                                 _Any]:
    """(feature type, its options, the stages' options, the pooling options
    or None) of an extract() call: the preset's settings, then the keywords
    given on top (as the command line overrides --preset)."""
    preset = a.get("preset")
    values = preset_options(preset) if preset is not None else {}
    from_preset = set(values)
    given = {k: v for k, v in a.items()
             if k in _EXTRACT_KEYS and not (k == "feature" and v is None)}
    values.update(given)
    for key, value in given.items():
        # None given for an option that has no None: the table's default
        # (a preset's setting dropped).
        if value is None and key in _NO_NONE:
            del values[key]
    feature = values.pop("feature", None) or "fbank"
    if feature not in _FEATURE_TYPES:
        raise Error("feature=%s: expected %s" % (feature, _choice_list(FEATURES)))
    own = {f["key"] for f in _FEATURE_TYPES[feature]["fields"]}
    features: dict[str, _Any] = {}
    stages: dict[str, _Any] = {}
    pool_keywords: dict[str, _Any] = {}
    pool = values.pop("pool", None)
    for key, value in values.items():
        if key in own:
            features[key] = value
        elif key in _STAGE_KEYS:
            stages[key] = value
        elif key in _POOL_KEYWORDS:
            if pool is None and key in given:
                raise Error("%s needs pool=MODE (pooling is off)" % key)
            pool_keywords[key[5:]] = value
        else:
            owners = [n for n, t in _FEATURE_TYPES.items()
                      if any(f["key"] == key for f in t["fields"])]
            raise Error("%s is an option of %s, not of feature=%s%s" % (
                key, _choice_list(owners, "and"), feature,
                " (preset %r)" % preset if preset is not None and key in from_preset else ""))
    pool_values: _Any = None
    if isinstance(pool, str):
        pool_values = {"mode": pool, **pool_keywords}
    elif isinstance(pool, PoolOptions):
        pool_values = {**pool.as_dict(), **pool_keywords}
    elif pool is not None:
        if not hasattr(pool, "items"):
            raise TypeError("pool must be a mode name, featpool.PoolOptions or a dict of its "
                            "keywords, got %r" % (pool,))
        pool_values = {**PoolOptions(**pool).as_dict(), **pool_keywords}
    if pool_values is not None:
        pool_values = PoolOptions(**pool_values).as_dict()
    sample_rate = a.get("sample_rate")
    rate = features.get("sample_frequency")
    if (sample_rate is not None and rate is not None and "sample_frequency" not in given
            and float(rate) != float(sample_rate)):
        raise Error("sample_rate=%g, but preset %r computes at sample_frequency=%g: resample "
                    "the audio (featpool.read_audio(path, preset=%r) does) or give "
                    "sample_frequency" % (sample_rate, preset, rate, preset))
    _apply_sample_rate(feature, features, sample_rate, "sample_frequency" in features)
    return feature, features, stages, pool_values


_EXTRACT_DOC = """The whole pipeline of `featpool extract`: features, then the stages.

preset: a name of featpool.list_presets() (e.g. 'whisper', 'nemo-80',
'kaldi-fbank-80'), whose settings (featpool.preset_options()) the other
keywords override, as options after --preset=NAME do on the command line.
feature: the feature type (featpool.FEATURES; default the preset's, else
'fbank'), whose keywords are those of featpool.<feature>(); a keyword of
another type is an error. The stages' keywords (cmvn, cmvn_stats,
norm_vars, deltas, left_context, normalize, stages, ...) are those of
featpool.apply_stages(); pool is a pooling mode ('stack', 'max', ...;
pool_kernel=..., pool_stack_frames=..., as --pool-kernel), a
featpool.PoolOptions or a dict of its keywords; pool=None turns a preset's
pooling off, and None for any other option gives it its default, whatever
the preset says. The stages run as the command runs them, so the result is bit
for bit what `featpool extract --preset=NAME ...` writes for the same
samples (funasr-paraformer needs cmvn_stats='am.mvn', as it needs
--cmvn-stats).

samples, sample_rate, channel, return_tensors: as featpool.fbank() takes
them; sample_rate must be the preset's sample_frequency (read_audio(path,
preset=NAME) reads at that rate). sample_scale: 'int16' or 'unit'; default:
the feature type's own scale (Kaldi's types: int16, the others unit),
which is what read_audio(path, preset=NAME) returns. Returns float32
[rows, dim]. Errors raise featpool.Error naming the keyword.
"""

_extract_sig = _inspect.Signature(
    [_P("samples", _POS, annotation="ArrayLike"),
     _P("sample_rate", _POS, default=None, annotation="float | None")]
    + _extract_params() + [_P("return_tensors", _KW, default=None, annotation="str | None")],
    return_annotation="NDArray[np.float32]")

_extract_batch_sig = _inspect.Signature(
    [_P("batch", _POS, annotation="Sequence[ArrayLike] | ArrayLike"),
     _P("sample_rate", _POS, default=None, annotation="float | None")]
    + _extract_params()
    + _BATCH_PARAMS + [_P("return_tensors", _KW, default=None, annotation="str | None")],
    return_annotation=_BATCH_RETURN)


def extract(*args: _Any, **kwargs: _Any) -> _Any:
    a = _extract_sig.bind(*args, **kwargs).arguments
    samples, was_tensor = _input(a["samples"])
    tensors = _want_tensors(a.get("return_tensors"), was_tensor)
    feature, features, stages, pool_values = _extract_config(a)
    scale, check = _scale(_FEATURE_TYPES[feature]["sample_scale"], a.get("sample_scale"))
    out = _featpool._compute(feature, samples, features, a.get("channel"), scale, check,
                             stages, pool_values, "extract_batch")
    return _output(out, tensors)


def extract_batch(*args: _Any, **kwargs: _Any) -> _Any:
    a = dict(_extract_batch_sig.bind(*args, **kwargs).arguments)
    items, any_tensor = _batch_items(a)
    tensors = _want_tensors(a.get("return_tensors"), any_tensor)
    feature, features, stages, pool_values = _extract_config(a)
    scale, check = _scale(_FEATURE_TYPES[feature]["sample_scale"], a.get("sample_scale"))
    outs = _featpool._compute_batch(feature, items, features, a.get("channel"), scale, check,
                                    a.get("num_threads", 0), stages, pool_values,
                                    "extract_batch")
    return _batch_result(outs, a, tensors, lambda: _featpool._feature_dim(
        feature, features, stages, pool_values))


extract.__signature__ = _extract_sig  # type: ignore[attr-defined]
extract.__doc__ = _EXTRACT_DOC
extract_batch.__signature__ = _extract_batch_sig  # type: ignore[attr-defined]
extract_batch.__doc__ = ("extract() for a batch: `batch` as featpool.fbank_batch() takes it, "
                         "computed over num_threads threads without the GIL, each result "
                         "bit-identical to extract() on that waveform; a list, or with "
                         "padded=True (features [batch, max_rows, dim], lengths [batch]). "
                         "Keywords as extract().\n\n" + _EXTRACT_DOC)

# --------------------------------------------------------------------------
# Pictures

_PICTURE = [_P("pooled", _KW, default=None, annotation="ArrayLike | None"),
            _P("cmap", _KW, default="viridis", annotation="str"),
            _P("width", _KW, default=1600, annotation="int"),
            _P("height", _KW, default=0, annotation="int"),
            _P("start", _KW, default=0.0, annotation="float"),
            _P("duration", _KW, default=0.0, annotation="float"),
            _P("title", _KW, default=None, annotation="str | None")]

_plot_sig = _inspect.Signature(
    [_P("path", _POS, annotation="str | os.PathLike[str]"),
     _P("features", _POS, default=None, annotation="ArrayLike | None"),
     _P("samples", _KW, default=None, annotation="ArrayLike | None"),
     _P("sample_rate", _KW, default=None, annotation="float | None")]
    + _extract_params() + _PICTURE, return_annotation="None")


def plot(*args: _Any, **kwargs: _Any) -> None:
    a = _plot_sig.bind(*args, **kwargs).arguments
    features = a.get("features")
    pooled = a.get("pooled")
    if features is not None:
        features = _np.asarray(_input(features, "features")[0], dtype=_np.float32)
        # With pooled=, pool= and pool_* say where its rows are (how it was
        # pooled); nothing is computed.
        staged = sorted(k for k in a if k in _STAGE_KEYS or (
            pooled is None and (k in _POOL_KEYWORDS or k == "pool")))
        if staged:
            raise Error("%s: plot() draws a features matrix as it is given; the stages run "
                        "when it computes the features itself (samples=..., no features)"
                        % ", ".join("%s=%r" % (k, a[k]) for k in staged))
    samples = a.get("samples")
    if samples is not None:
        samples = _input(samples)[0]
    if pooled is not None:
        pooled = _np.asarray(_input(pooled, "pooled")[0], dtype=_np.float32)
    generic = a.get("feature") is None and a.get("preset") is None
    feature, values, stages, pool_values = _extract_config(a)
    scale, _ = _scale(_FEATURE_TYPES[feature]["sample_scale"], a.get("sample_scale"))
    _featpool._plot(_os.fspath(a["path"]), features, samples, "" if generic else feature,
                    values, stages or None, pool_values, pooled, scale, a.get("channel"),
                    a.get("cmap", "viridis"), a.get("width", 1600), a.get("height", 0),
                    a.get("start", 0.0), a.get("duration", 0.0), a.get("title"))


plot.__signature__ = _plot_sig  # type: ignore[attr-defined]
plot.__doc__ = """Writes the picture of `featpool plot` as a PNG.

From samples (features=None): samples= (on sample_scale, default the
feature's own scale, as read_audio(path, preset=...) gives them) are
computed as featpool.extract() computes them, with the same keywords
(preset, feature, every option, the stages, pool), and drawn as the command
draws them: the waveform, the features after the stages before pooling,
and pooling with what follows it (what extract returns); the PNG is the
command's byte for byte, with 'samples' for the file name in the title.

From a matrix: features [frames, dims] (as fbank() or extract() return it)
drawn on the grid of the feature type's framer (feature, preset and their
keywords: frame_shift, snip_edges, hop_length, center, ...), frame f at the
centre of the samples it reads; feature (or preset) also names the y axis
(none: a generic dimension axis). samples= adds the waveform, pooled=
[rows, dims] a third panel: its rows and columns where pool= and pool_*
(how it was pooled from the features) put them, spread evenly over the
features' axes without pool=. Stage keywords are refused here (the matrix
is drawn as given).

A pixel column covering several frames shows their maximum. cmap:
'viridis', 'magma' or 'gray'; width and height in pixels (height 0: from
the panels); start and duration (seconds; 0 = to the end) zoom in; title
replaces the default. Bad values raise featpool.Error naming them.
"""
# Dataset runs (featpool extract DIR -o OUT/, in the library: featpool/batch.h)


class DatasetSummary(_TypedDict):
    """What extract_dataset() did (the counts of the command's summary line)."""

    ok: int  # utterances processed in this run
    failed: int  # failed in this run
    already_done: int  # finished by an earlier run (resume=True), failed_before included
    failed_before: int  # recorded as failed by an earlier run
    short: int  # shorter than min_duration (no output), in this run
    short_before: int  # recorded so by an earlier run
    resampled: int  # of ok, resampled to sample_frequency
    segments: int  # of ok, cut from recordings (segments=)
    recordings_decoded: int  # the recordings they were cut from
    audio_seconds: float  # audio processed in this run
    wall_seconds: float
    stopped: bool  # strict=True stopped at the first failure; outputs not finalised
    exit_status: int  # the command's: 0 all done, 1 some failed (or stopped)
    errors: list[str]  # the failures' messages, in input order


# The run's own options (BatchRequest's table); a text option whose default
# is "" takes None for it (and a path, for a file).
_BATCH_FIELDS: list[dict[str, _Any]] = [
    dict(f, default=None, optional=True) if f["kind"] == "str" and f["default"] == "" else f
    for f in _featpool._batch_fields()]
_BATCH_KEYS = frozenset(f["key"] for f in _BATCH_FIELDS)
_PATHS = "str | os.PathLike[str]"
# extract()'s keywords (preset, feature, the options, the stages, pool),
# but sample_scale (a file is read at its feature's own scale) and channel
# (the run's own option, in its table).
_DATASET_PARAMS = [p for p in _extract_params() if p.name not in ("sample_scale", "channel")]
assert not _BATCH_KEYS & {p.name for p in _DATASET_PARAMS}
_dataset_sig = _inspect.Signature(
    [_P("inputs", _POS, annotation="%s | Sequence[%s]" % (_PATHS, _PATHS)),
     _P("output", _POS, annotation=_PATHS)]
    + _DATASET_PARAMS
    + [p.replace(annotation="%s | None" % _PATHS) if f["unit"] == "path" else p
       for f, p in zip(_BATCH_FIELDS, _field_params(_BATCH_FIELDS))],
    return_annotation="DatasetSummary")


def extract_dataset(*args: _Any, **kwargs: _Any) -> _Any:
    a = _dataset_sig.bind(*args, **kwargs).arguments
    feature, values, stages, pool = _extract_config(a)
    batch = {}
    for k, v in a.items():
        if k not in _BATCH_KEYS or v is None:
            continue
        if isinstance(v, _os.PathLike):
            v = _os.fspath(v)
        elif k == "compression_method" and isinstance(v, int) and not isinstance(v, bool):
            v = str(v)
        batch[k] = v
    inputs = a["inputs"]
    if isinstance(inputs, (str, _os.PathLike)):
        inputs = [inputs]
    inputs = [_os.fspath(x) for x in inputs]
    output = _os.fspath(a["output"])
    # A directory needs no trailing '/' here (the command's -o does).
    if ":" not in output.split("/")[0] and not output.endswith("/"):
        output += "/"
    summary: DatasetSummary = _featpool._extract_dataset(
        inputs, output, feature, values, stages, pool, batch)
    return summary


extract_dataset.__signature__ = _dataset_sig  # type: ignore[attr-defined]
extract_dataset.__doc__ = """Extracts a dataset as `featpool extract` does: files, directories, wav.scp.

inputs: audio files, directories (searched recursively for `extensions`),
'scp:wav.scp' (lines 'utterance-id path' or 'utterance-id command |') or a
Kaldi data directory (its wav.scp and segments). output: a directory (one
.npy per utterance, float32 [frames, dim], mirroring the relative paths),
'ark,scp:feats.ark,feats.scp' or 'ark:feats.ark' (a Kaldi archive, as
copy-feats writes it; compress=True for compressed matrices), or
'lhotse:DIR' (DIR plus DIR/features.jsonl.gz, a lhotse FeatureSet). The
manifest (manifest.jsonl in the output directory or beside the scp, one
line per utterance) and every output are byte for byte those of `featpool
extract` with the same options. The options are extract()'s keywords:
preset (featpool.list_presets(), read by the library's reader, as
--preset=NAME), feature and its options, the stages (cmvn, deltas, ...,
pool='max' with pool_kernel=..., or pool=PoolOptions), each overriding the
preset's; channel: -1 the first channel, N, or featpool.MIX_CHANNELS.

Runs over `jobs` threads (0: every CPU) without the GIL. A bad input fails
its utterance (in the manifest and in summary['errors']), not the run;
strict=True stops at the first. resume=True skips what an interrupted run
with the same options finished; shard='K/N' takes shard K of N. Returns a
DatasetSummary dict (ok, failed, already_done, failed_before, short,
short_before, resampled, segments, recordings_decoded, audio_seconds,
wall_seconds, stopped, exit_status, errors). Problems of the whole run (a
bad output, an unwritable directory, a second run on the same output, bad
options) raise featpool.Error. Ctrl-C stops the run resumably (the journal
keeps every finished utterance) and raises KeyboardInterrupt.

Keywords of the run:
""" + _field_doc(_BATCH_FIELDS)

# --------------------------------------------------------------------------
# Streaming


def _rebuild_extractor(options: _Any, sample_scale: _Any) -> OnlineExtractor:
    """Unpickling an extractor pickled by an earlier version (its options)."""
    return OnlineExtractor(options, sample_scale=sample_scale)


def _rebuild_online_extractor(config: dict[str, _Any]) -> OnlineExtractor:
    """Unpickling: the extractor of the keywords it was made with."""
    return OnlineExtractor(**config)


# extract()'s keywords (preset, the options, the stages, pool), with feature
# first (a name or an options object) and no channel: a stream is 1-D.
_online_sig = _inspect.Signature(
    [_P("feature", _POS, default=None,
        annotation="str | %s | None" % " | ".join(c.__name__ for c in _OPTION_CLASSES.values())),
     _P("sample_rate", _POS, default=None, annotation="float | None")]
    + [p for p in _extract_params() if p.name not in ("feature", "channel")])


class OnlineExtractor(_featpool._OnlineExtractor):  # type: ignore[misc]
    __doc__ = _featpool._OnlineExtractor.__doc__ + """
The keywords are featpool.extract()'s: preset (featpool.list_presets()),
feature (a name of featpool.FEATURES or its options object,
featpool.FbankOptions(...), whose values the keywords given override) and
its options, the stages (cmvn, cmvn_stats, deltas, left_context, stages,
...) and pool (pool='stack', pool_stack_frames=...). The frames are then
those of featpool.extract(samples, sample_rate, <the same keywords>),
computed by the library's streaming stage chain after the extractor. A
stage that needs the whole utterance (normalize, cmvn='utterance',
subtract_mean, adaptive pooling) cannot stream and raises featpool.Error
naming its keyword: drop it (None turns a preset's setting off). Latency:
frame_lag, feature_frames_needed(frame), samples_needed_for_frame(frame).

Pickling keeps the configuration (the keywords given, not the stream), so
DataLoader workers started with spawn get a fresh extractor with the same
options (cmvn_stats files are read again there).
"""

    def __init__(self, *args: _Any, **kwargs: _Any) -> None:
        a = dict(_online_sig.bind(*args, **kwargs).arguments)
        config = dict(a)
        feature = a.get("feature")
        if type(feature) in _OPTION_CLASSES.values():
            # Its values, under the keywords given.
            options = feature._values
            if a.get("sample_rate") is not None and (
                    options["sample_frequency"]
                    == _FEATURE_TYPES[feature._kind]["defaults"]["sample_frequency"]):
                options = {k: v for k, v in options.items() if k != "sample_frequency"}
            a = dict(options, **a)
            a["feature"] = feature._kind
        elif feature is not None and not isinstance(feature, str):
            raise TypeError("feature must be a feature type's name or options, got %r"
                            % (feature,))
        name = a.get("feature")
        if name is None and a.get("preset") is not None:
            name = preset_options(a["preset"]).get("feature")
        name = name or "fbank"
        if name not in _FEATURE_TYPES:
            raise Error("feature=%s: expected %s" % (name, _choice_list(FEATURES)))
        own = {f["key"] for f in _FEATURE_TYPES[name]["fields"]}
        for key in a:
            if key in _EXTRACT_FEATURE_FIELDS and key not in own:
                owners = [n for n, t in _FEATURE_TYPES.items()
                          if any(f["key"] == key for f in t["fields"])]
                raise TypeError("%s is an option of %s, not of feature=%s"
                                % (key, _choice_list(owners, "and"), name))
        feature, values, stages, pool_values = _extract_config(a)
        self._options = _OPTION_CLASSES[feature](**values)
        self._config = config
        scale, check = _scale(_FEATURE_TYPES[feature]["sample_scale"], a.get("sample_scale"))
        super().__init__(feature, values, scale, check, stages or None, pool_values)

    @property
    def feature(self) -> str:
        """The feature type's name."""
        return str(self._options._kind)

    @property
    def options(self) -> Any:
        """The feature type's options, as featpool.<Name>Options."""
        return self._options

    def accept_waveform(self, sample_rate: float, samples: ArrayLike) -> None:
        super().accept_waveform(sample_rate, _input(samples)[0])

    def __reduce__(self) -> tuple[_Any, ...]:
        return (_rebuild_online_extractor, (dict(self._config),))


OnlineExtractor.__init__.__signature__ = _online_sig.replace(  # type: ignore[attr-defined]
    parameters=[_P("self", _POS)] + list(_online_sig.parameters.values()))
OnlineExtractor.__signature__ = _online_sig  # type: ignore[attr-defined]


def _rebuild_pooler(input_dim: int, options: _Any) -> OnlinePooler:
    return OnlinePooler(input_dim, options=options)


_pooler_sig = _inspect.Signature(
    [_P("input_dim", _POS, annotation="int")] + _pool_mode
    + [p for p in _pool_params if p.name != "mode"]
    + [_P("options", _KW, default=None, annotation="PoolOptions | None")])


class OnlinePooler(_featpool._OnlinePooler):  # type: ignore[misc]
    __doc__ = _featpool._OnlinePooler.__doc__ + """
Pickling keeps the configuration (not the stream).
"""

    def __init__(self, *args: _Any, **kwargs: _Any) -> None:
        a = _pooler_sig.bind(*args, **kwargs).arguments
        values = _option_values("pool", a.get("options"),
                                {k: v for k, v in a.items() if k in _POOL_KEYS})
        super().__init__(a["input_dim"], values)
        self._options = PoolOptions(**values)

    @property
    def options(self) -> PoolOptions:
        """The options, as featpool.PoolOptions."""
        return self._options

    def accept_frames(self, frames: ArrayLike) -> None:
        super().accept_frames(_input(frames, "frames")[0])

    def __reduce__(self) -> tuple[_Any, ...]:
        return (_rebuild_pooler, (self.input_dim, self._options))


OnlinePooler.__init__.__signature__ = _pooler_sig  # type: ignore[attr-defined]
OnlinePooler.__signature__ = _pooler_sig  # type: ignore[attr-defined]

# --------------------------------------------------------------------------
# Audio


def _choice_list(names: _Any, last: str = "or") -> str:
    names = list(names)
    return names[0] if len(names) == 1 else "%s %s %s" % (", ".join(names[:-1]), last, names[-1])


def read_audio(path: str | os.PathLike[str] | BinaryIO, sample_rate: float | None = None, *,
               channel: int = -1, feature: str | None = None, preset: str | None = None,
               sample_scale: str | None = None) -> tuple[NDArray[np.float32], float]:
    """Reads an audio file (WAV, FLAC, OGG, ... through libsndfile).

    path: a file name, a pathlib.Path or a binary file object. Returns
    (samples, sample_rate): 1-D float32 and the rate in Hz.

    The scale is the one the chosen feature computes on: feature (a name of
    featpool.FEATURES) or preset (a name of featpool.list_presets(); its
    feature type) picks it, Kaldi's types (fbank, mfcc, spectrogram) on the
    integer scale (a full-scale sample is 32768 whatever the bit depth), the
    others ([-1, 1], 'unit') as torchaudio.load and librosa.load give
    them; sample_scale='int16' or 'unit' overrides. With none of them the
    samples are on the integer scale ('int16'), as Kaldi reads a WAV file.

    sample_rate=None keeps the file's rate, except with a preset, whose
    sample_frequency the audio is resampled to (as `featpool extract
    --preset=NAME` reads it); another value resamples (libsoxr). channel:
    -1 the first channel (with a warning if there are several), N that
    channel, featpool.MIX_CHANNELS the average of all.
    """
    if feature is not None and feature not in _FEATURE_TYPES:
        raise Error("feature=%s: expected %s" % (feature, _choice_list(FEATURES)))
    if preset is not None:
        settings = preset_options(preset)
        if feature is None:
            feature = settings.get("feature") or "fbank"
        if sample_rate is None and settings.get("sample_frequency") is not None:
            sample_rate = float(settings["sample_frequency"])
    scale = sample_scale
    if scale is None:
        scale = _FEATURE_TYPES[feature]["sample_scale"] if feature is not None else "int16"
    if scale not in _SCALES:
        raise Error("invalid sample_scale=%r: expected 'int16' or 'unit'" % (scale,))
    if hasattr(path, "read"):
        samples, rate = _read_file_object(path, sample_rate, channel)
    else:
        samples, rate = _featpool._read_audio(_os.fspath(path), sample_rate, channel)
    if scale == "unit":
        samples *= _np.float32(1.0 / _INT16_FULL_SCALE)
    return samples, rate


def _read_file_object(f: _Any, sample_rate: float | None, channel: int) -> _Any:
    data = f.read()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("read_audio() needs a binary file object (open(..., 'rb')), got %s"
                        % type(data).__name__)
    name = str(getattr(f, "name", "<file object>"))
    suffix = _os.path.splitext(name)[1] if isinstance(getattr(f, "name", None), str) else ""
    tmp = _tempfile.NamedTemporaryFile(prefix="featpool-", suffix=suffix, delete=False)
    try:
        with tmp:
            tmp.write(data)
        try:
            return _featpool._read_audio(tmp.name, sample_rate, channel)
        except Error as e:
            raise Error(str(e).replace(tmp.name, name)) from None
    finally:
        _os.unlink(tmp.name)


__all__ = sorted(
    ["Error", "SampleScaleWarning", "MIX_CHANNELS", "FEATURES", "version", "read_audio", "pool",
     "plot", "PoolOptions", "OnlineExtractor", "OnlinePooler", "StageOptions", "apply_stages",
     "extract", "extract_batch", "list_presets", "preset_options", "extract_dataset",
     "DatasetSummary"]
    + [c.__name__ for c in _OPTION_CLASSES.values()]
    + [n for name in FEATURES for n in (_function_name(name), _function_name(name) + "_batch")])

del _name, _type, _fn, _cls
