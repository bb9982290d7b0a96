"""Checks for data at the edges of the API.

Constructors check their own arguments; ``fit``, ``predict`` and the losses'
public ``forward`` check data here, once. Inner kernels check nothing. Every
error names the bad value and says what was expected.
"""

from __future__ import annotations

import numbers

import numpy as np

from .functional import row_sums

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(dtype) -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is float32 or float64, else raise TypeError."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be np.float32 or np.float64, got {dtype!r}") from exc
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be np.float32 or np.float64, got {dt}")
    return dt


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """An integer >= ``minimum`` (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_number(value, name: str, *, low=None, high=None, low_open=False, high_open=False):
    """A finite real number in [low, high] (ends open when asked); returns a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    bad_low = low is not None and (value <= low if low_open else value < low)
    bad_high = high is not None and (value >= high if high_open else value > high)
    if bad_low or bad_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value!r}")
    return value


def as_numeric_array(data, name: str) -> np.ndarray:
    """``np.asarray`` that refuses strings, objects and complex numbers with a TypeError."""
    if isinstance(data, (str, bytes)):
        raise TypeError(f"{name} must be numeric array-like, got a string {data!r:.40}")
    if data is None:
        raise TypeError(f"{name} is None; expected an array-like of numbers")
    try:
        array = np.asarray(data)
    except (ValueError, TypeError) as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as a rectangular array: {exc}") from exc
    if array.dtype.kind == "O":
        return _objects_as_numbers(array, name)
    if array.dtype.kind not in "biuf":
        what = {"U": "strings", "S": "bytes", "O": "objects", "c": "complex numbers"}
        kind = what.get(array.dtype.kind, f"dtype {array.dtype}")
        raise TypeError(f"{name} must hold real numbers, got {kind} (dtype {array.dtype})")
    return array


def _objects_as_numbers(array: np.ndarray, name: str) -> np.ndarray:
    """An object array as float64 when every entry is a real number, else a named refusal.

    A pandas DataFrame with an int and a bool column, or a nullable ``Int64``
    column, arrives as objects: those are numbers and are accepted. Missing
    values (None, ``pd.NA``) and anything else are named with their index.
    """
    for index, value in np.ndenumerate(array):
        if isinstance(value, numbers.Real):
            continue
        if value is None or type(value).__name__ in ("NAType", "NaTType"):
            raise ValueError(
                f"{name} has missing values (None or NA), the first at index {index}; "
                "fill or drop them first"
            )
        raise TypeError(
            f"{name} must hold real numbers, got objects such as {value!r:.40} "
            f"({type(value).__name__}) at index {index}"
        )
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            return array.astype(np.float64)
    except OverflowError:  # a Python int beyond float range, such as 10**400
        raise ValueError(f"{name} holds an integer too large for float64") from None


def all_finite(array: np.ndarray) -> bool:
    """True if no entry of a float array is NaN or infinite.

    First the row sums, one BLAS product (as scikit-learn sums first): NaN and
    inf propagate into them, so finite sums prove every entry finite, 2.5x
    faster than testing each entry (8192 x 784: 0.9 ms against 2.3 ms). Only
    when a sum is not finite (a bad entry, or a sum that overflowed) is each
    entry tested.
    """
    if array.ndim == 2 and array.size:
        with np.errstate(over="ignore", invalid="ignore"):
            sums = row_sums(array)
        if np.isfinite(sums).all():
            return True
    return bool(np.isfinite(array).all())


def check_finite(array: np.ndarray, name: str) -> None:
    """Raise ValueError naming how many entries are NaN or infinite, and the first one."""
    if array.dtype.kind == "f" and not all_finite(array):
        bad = ~np.isfinite(array)
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} contains {int(bad.sum())} NaN or infinite value(s); "
            f"the first is {array[first]!r} at index {first}"
        )


def check_X(X, *, n_features: int | None = None, dtype=np.float64, name: str = "X") -> np.ndarray:
    """Validate a 2-D finite numeric sample matrix and convert it to ``dtype``.

    The conversion to the model's dtype is the one documented cast: the model
    never changes its own dtype to suit the data.
    """
    array = as_numeric_array(X, name)
    if array.ndim != 2:
        hint = " (for one feature use X.reshape(-1, 1))" if array.ndim == 1 else ""
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got shape {array.shape}{hint}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples, at least 1 is needed")
    if array.shape[1] == 0:
        raise ValueError(f"{name} has 0 features, at least 1 is needed")
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(
            f"{name} has {array.shape[1]} features per sample, but the model expects {n_features}"
        )
    check_finite(array, name)
    return cast_finite(array, dtype, name)


def cast_finite(array: np.ndarray, dtype, name: str) -> np.ndarray:
    """``array`` (finite) as a contiguous ``dtype`` array; values too large for it are refused.

    A finite 1e150 becomes inf in float32: that is named as a range problem,
    not reported as the user's NaN, and the cast's overflow warning is not shown.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        converted = np.ascontiguousarray(array, dtype=dtype)
    # only a narrower float can overflow (every integer type fits in float32's range)
    narrower = array.dtype.kind == "f" and converted.dtype.itemsize < array.dtype.itemsize
    if narrower and not all_finite(converted):
        big = np.format_float_scientific(
            np.max(np.abs(array[~np.isfinite(converted)])), precision=2, trim="-"
        )
        raise ValueError(
            f"{name} has values too large for {converted.dtype} (up to {big} in magnitude; "
            f"{converted.dtype} holds up to {np.finfo(converted.dtype).max:.3g}): scale the "
            "data, or use a float64 model"
        )
    return converted


def check_output_finite(output: np.ndarray, X: np.ndarray, what: str = "the network") -> None:
    """Refuse a non-finite output computed from finite X: name the rows and the input scale.

    Finite inputs and weights can still overflow (1e300 · W); that is an error
    with a reason, never NaN handed back as a prediction.
    """
    finite_rows = np.isfinite(output).reshape(len(output), -1).all(axis=1)
    if finite_rows.all():
        return
    rows = np.flatnonzero(~finite_rows)
    raise ValueError(
        f"{what}'s output overflowed {output.dtype} (NaN or infinite) for {len(rows)} of "
        f"{len(output)} sample(s), the first at row {rows[0]}; the input reaches "
        f"{float(np.abs(X).max()):.3g} in magnitude: scale it like the training data"
    )


def check_lengths(X: np.ndarray, y: np.ndarray, names=("X", "y")) -> None:
    """X and y must have the same number of samples."""
    if len(X) != len(y):
        raise ValueError(
            f"{names[0]} has {len(X)} samples but {names[1]} has {len(y)}; they must match"
        )


def check_rng(rng, name: str = "rng"):
    """Turn None, an int, a RandomState or a Generator into something that draws.

    None means numpy's global state (``np.random.seed(0)`` then ``rng=None``
    gives the seeds' numbers); an int seeds a fresh ``RandomState``, so
    ``rng=0`` draws what ``np.random.seed(0)`` would.
    """
    if rng is None:
        return np.random.mtrand._rand
    if isinstance(rng, (np.random.RandomState, np.random.Generator)):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{name} seed must be >= 0, got {rng}")
        return np.random.RandomState(int(rng))
    raise TypeError(
        f"{name} must be None, an int seed, np.random.RandomState or np.random.Generator, "
        f"got {type(rng).__name__}"
    )
