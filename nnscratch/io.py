"""Model files: one ``.npz`` with the arrays and a JSON description. Never pickle.

Layout of the archive:

* ``__nnscratch__``: UTF-8 JSON as a uint8 array:
  ``{"format": "nnscratch-model", "format_version": 1, "nnscratch_version": ...,
  "dtype": "float64", "layers": [{"type": "Dense", "config": {...}}, ...],
  "loss": {"type": "SoftmaxCrossEntropy", "config": {...}} | null, "metadata": {...}}``
* ``0.W``, ``0.b``, ``2.W``, ...: the parameters, as ``Sequential.state_dict()`` names them.

Writing is atomic: a temporary file ``.NAME.PID.RANDOM.tmp`` in the same
folder, flushed to disk, then renamed over the target, so a crash (even
``kill -9``) never leaves a half-written model where a good one was; at worst
the temporary file stays behind. Reading uses ``allow_pickle=False``, first
checks every entry's .npy header against its size (nothing is allocated for
a shape the bytes do not hold, nothing holding Python objects is read), then
the description, every array's shape and dtype and that the values are finite;
anything else is refused with a ``ModelFileError`` (a ``ValueError``) that
says what is wrong.

Compatibility: ``load`` reads every format version up to ``FORMAT_VERSION``
(``_upgrade`` brings older descriptions up to date) and refuses newer ones
with "upgrade nnscratch". ``tests/data/model_format1.npz``, written by
nnscratch 0.1.0, must load bit for bit in every later version.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from . import __version__
from ._files import atomic_path
from .layers import LAYERS
from .losses import LOSSES
from .network import Sequential

try:
    from lzma import LZMAError
except ImportError:  # a Python without lzma: zipfile cannot open such entries either
    LZMAError = zipfile.BadZipFile

FORMAT = "nnscratch-model"
FORMAT_VERSION = 1
META_KEY = "__nnscratch__"


class ModelFileError(ValueError):
    """A file that is not a readable nnscratch model."""


def describe(model: Sequential, metadata: dict | None = None) -> dict:
    """The JSON description of ``model`` stored in its file."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "nnscratch_version": __version__,
        "dtype": model.dtype.name,
        "layers": [
            {"type": type(layer).__name__, "config": layer.config()} for layer in model.layers
        ],
        "loss": None
        if model.loss is None
        else {"type": type(model.loss).__name__, "config": model.loss.config()},
        "metadata": metadata or {},
    }


def save(model: Sequential, path, *, metadata: dict | None = None) -> Path:
    """Write ``model`` to ``path`` atomically (the name is used as given). Returns the path.

    ``metadata`` is any JSON-serialisable dict stored beside the description
    (training settings, data set name, ...).
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"save expects an nnscratch Sequential, got {type(model).__name__}")
    for layer in model.layers:
        if type(layer).__name__ not in LAYERS or type(layer) is not LAYERS[type(layer).__name__]:
            raise TypeError(
                f"cannot save a custom layer {type(layer).__name__}: the file format "
                "knows only nnscratch's layers"
            )
    if model.loss is not None and type(model.loss) is not LOSSES.get(type(model.loss).__name__):
        raise TypeError(f"cannot save a custom loss {type(model.loss).__name__}")
    arrays = model.state_dict()
    for name, array in arrays.items():
        if not np.isfinite(array).all():
            raise ValueError(f"refusing to save: parameter {name} contains NaN or infinite values")
    try:
        meta = json.dumps(describe(model, metadata), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"metadata must be JSON-serialisable: {exc}") from None
    arrays[META_KEY] = np.frombuffer(meta, dtype=np.uint8)

    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give a file name such as {path / 'model.npz'}")
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)  # to a file object: np.savez would add ".npz" to a name
    return path


def _refuse(path, why: str) -> ModelFileError:
    return ModelFileError(f"{path} is not a usable nnscratch model file: {why}")


def _check_entries(path) -> None:
    """Read every entry's .npy header and check it against the entry's size, before loading.

    Nothing is allocated or unpickled here: an entry that is not an array, holds
    Python objects, or declares a shape its bytes do not fill (a crafted file
    could declare terabytes) is refused by its header alone.
    """
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if len(infos) > 10_000:
            raise _refuse(path, f"it has {len(infos)} entries, far more than a model's")
        for info in infos:
            name = info.filename
            if not name.endswith(".npy"):
                raise _refuse(path, f"its entry {name!r} is not a NumPy array")
            with archive.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise _refuse(path, f"its entry {name!r} uses .npy version {version}")
                header = f.tell()
            if dtype.hasobject:
                raise _refuse(
                    path,
                    f"its entry {name!r} holds Python objects, which only pickle could "
                    "load; nnscratch never unpickles",
                )
            size = math.prod(shape) * dtype.itemsize
            if size != info.file_size - header:
                raise _refuse(
                    path,
                    f"its entry {name!r} declares shape {shape} of {dtype} ({size} bytes) but "
                    f"holds {info.file_size - header} bytes",
                )


def read_description(path) -> dict:
    """The JSON description of a model file, checked, without building the model."""
    return _read(path)[0]


def _read(path):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}")
    if path.is_dir():
        raise _refuse(path, "it is a folder")
    try:
        if zipfile.is_zipfile(path):
            _check_entries(path)
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise _refuse(path, "it is a single .npy array, not an .npz archive")
        with archive:
            names = set(archive.files)
            if META_KEY not in names:
                raise _refuse(path, f"it has no {META_KEY!r} entry (not written by nnscratch.save)")
            arrays = {name: archive[name] for name in names}
    except ModelFileError:
        raise
    except MemoryError:
        raise _refuse(path, "its arrays are too large to load into memory") from None
    except (
        zipfile.BadZipFile,
        EOFError,
        OSError,
        ValueError,
        KeyError,
        NotImplementedError,  # a compression method zipfile does not know
        RuntimeError,  # an entry flagged as encrypted
        struct.error,
        zlib.error,
        LZMAError,
    ) as exc:
        raise _refuse(path, f"it is truncated, damaged or not an .npz archive ({exc})") from None
    raw = arrays.pop(META_KEY)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _refuse(path, "its description is not a UTF-8 byte string")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _refuse(path, f"its description is not valid JSON ({exc})") from None
    except RecursionError:
        raise _refuse(path, "its description is nested too deeply to be a model's") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _refuse(path, f"its description does not say format {FORMAT!r}")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _refuse(path, f"format_version {version!r} is not a positive integer")
    if version > FORMAT_VERSION:
        raise _refuse(
            path,
            f"it uses format version {version}, newer than this nnscratch "
            f"({__version__}) reads (up to {FORMAT_VERSION}); upgrade nnscratch",
        )
    return _upgrade(meta, version), arrays


def _upgrade(meta: dict, version: int) -> dict:
    """Bring the description of an older format version to the current one.

    Version 1 is the first. Its only required fields are ``format``,
    ``format_version`` and ``layers``; the others default to a float64 model
    without a loss or metadata. A future version 2 adds its step here
    (``if version < 2: ...``), so that every file ever written keeps loading.
    """
    meta = dict(meta)
    meta.setdefault("dtype", "float64")
    meta.setdefault("loss", None)
    meta.setdefault("metadata", {})
    return meta


def _build(path, meta: dict, arrays: dict) -> Sequential:
    specs = meta.get("layers")
    if not isinstance(specs, list) or not specs:
        raise _refuse(path, "its description lists no layers")
    layers = []
    for i, spec in enumerate(specs):
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in LAYERS:
            raise _refuse(path, f"layer {i} has unknown type {kind!r}")
        config = spec.get("config", {})
        if not isinstance(config, dict):
            raise _refuse(path, f"layer {i} has a malformed config")
        if kind == "Dense":
            # Check sizes against the stored arrays before allocating anything.
            W = arrays.get(f"{i}.W")
            shape = (config.get("n_in"), config.get("n_out"))
            if W is None or W.shape != shape:
                found = None if W is None else W.shape
                raise _refuse(path, f"layer {i} is Dense{shape} but its weights have shape {found}")
            config = {**config, "dtype": meta["dtype"]}
        try:
            layers.append(LAYERS[kind].from_config(config))
        except (TypeError, ValueError, KeyError) as exc:
            raise _refuse(path, f"layer {i} ({kind}) has an invalid config: {exc}") from None
    loss = None
    loss_spec = meta.get("loss")
    if loss_spec is not None:
        kind = loss_spec.get("type") if isinstance(loss_spec, dict) else None
        if kind not in LOSSES:
            raise _refuse(path, f"unknown loss type {kind!r}")
        try:
            loss = LOSSES[kind].from_config(loss_spec.get("config", {}))
        except (TypeError, ValueError) as exc:
            raise _refuse(path, f"the loss has an invalid config: {exc}") from None
    try:
        return Sequential(*layers, loss=loss)
    except (TypeError, ValueError) as exc:
        raise _refuse(path, f"its layers do not fit together: {exc}") from None


def load(path) -> Sequential:
    """Read a model written by ``save``; predictions are bit-identical to the saved model's."""
    meta, arrays = _read(path)
    model = _build(path, meta, arrays)
    try:
        model.load_state_dict(arrays)
    except (TypeError, ValueError) as exc:
        raise _refuse(path, str(exc)) from None
    for name, array in arrays.items():
        if not np.isfinite(array).all():
            raise _refuse(path, f"parameter {name} contains NaN or infinite values")
    metadata = meta["metadata"]
    if not isinstance(metadata, dict):
        raise _refuse(path, f"its metadata is a {type(metadata).__name__}, not a JSON object")
    model.metadata = metadata
    return model
