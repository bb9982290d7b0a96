"""Metrics: accuracy, confusion matrix, log loss, R². NumPy only, inputs checked."""

from __future__ import annotations

import numpy as np

from ._validation import as_numeric_array, check_finite, check_number, check_positive_int


def _pair(y_true, y_pred, names=("y_true", "y_pred")) -> tuple[np.ndarray, np.ndarray]:
    a = as_numeric_array(y_true, names[0])
    b = as_numeric_array(y_pred, names[1])
    for name, v in zip(names, (a, b)):
        if v.ndim == 0:
            raise ValueError(f"{name} must be an array of one entry per sample, got a scalar")
    if len(a) != len(b):
        raise ValueError(f"{names[0]} has {len(a)} entries but {names[1]} has {len(b)}")
    if a.size == 0 or b.size == 0:
        raise ValueError(
            f"{names[0]} and {names[1]} must not be empty, got shapes {a.shape} and {b.shape}"
        )
    check_finite(a, names[0])
    check_finite(b, names[1])
    return a, b


def accuracy(y_true, y_pred) -> float:
    """Fraction of rows predicted exactly right (for multi-label rows: every label)."""
    a, b = _pair(y_true, y_pred)
    if a.shape != b.shape:
        raise ValueError(f"y_true has shape {a.shape} but y_pred has shape {b.shape}")
    matches = a == b
    if matches.ndim > 1:
        matches = matches.reshape(len(matches), -1).all(axis=1)
    return float(matches.mean())


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of samples of true class i predicted as class j (labels 0..K-1)."""
    a, b = _pair(y_true, y_pred)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError("confusion_matrix takes 1-D label arrays")
    for name, v in (("y_true", a), ("y_pred", b)):
        if np.any(v < 0) or np.any(v != np.round(v)):
            raise ValueError(f"{name} must hold integer labels >= 0")
    top = max(a.max(), b.max())
    if n_classes is not None:
        k = check_positive_int(n_classes, "n_classes")
        if top >= k:
            raise ValueError(f"labels go up to {top} but n_classes is {k}")
    elif top >= 4096:  # the matrix holds top² counts: refuse before allocating it
        raise ValueError(
            f"labels go up to {top}; confusion_matrix takes labels 0..K-1 (pass n_classes "
            "to ask for a matrix this large)"
        )
    else:
        k = int(top) + 1
    a, b = a.astype(np.intp), b.astype(np.intp)
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (a, b), 1)
    return matrix


def log_loss(y_true, proba, eps: float | None = None) -> float:
    """Mean negative log-likelihood: -1/N Σ_i log p_i[y_i] (labels) or -1/N Σ y log p (one-hot).

    A binary probability vector (N,) is read as P(class 1). Probabilities are
    clipped to [eps, 1] (eps defaults to the dtype's smallest normal number).
    """
    y, p = _pair(y_true, proba, ("y_true", "proba"))
    if eps is not None:
        eps = check_number(eps, "eps", low=0.0, high=1.0, low_open=True, high_open=True)
    p = p.astype(np.float64)
    if p.ndim == 1:
        p = np.column_stack([1 - p, p])
    if p.ndim != 2 or p.shape[1] == 0:
        raise ValueError(f"proba must have shape (N,) or (N, K) with K >= 1, got {p.shape}")
    if p.min() < 0 or p.max() > 1:
        raise ValueError("proba must lie in [0, 1]")
    p = np.clip(p, np.finfo(p.dtype).tiny if eps is None else eps, 1)
    if y.ndim == 1:
        if np.any(y != np.round(y)) or y.min() < 0 or y.max() >= p.shape[1]:
            raise ValueError(f"y_true must hold labels 0..{p.shape[1] - 1}")
        labels = y.astype(np.intp)
        return float(-np.log(p[np.arange(len(p)), labels]).mean())
    if y.shape != p.shape:
        raise ValueError(f"one-hot y_true has shape {y.shape} but proba has {p.shape}")
    if y.min() < 0 or y.max() > 1:
        raise ValueError("one-hot y_true must lie in [0, 1]")
    return float(-(y * np.log(p)).sum(axis=1).mean())


def r2_score(y_true, y_pred) -> float:
    """R² = 1 - Σ(y - ŷ)² / Σ(y - ȳ)², averaged uniformly over outputs.

    A constant target gives 1.0 if predicted exactly and 0.0 otherwise (as scikit-learn).
    Any scale works (1e-200 to 1e300); predictions off by more than the float range
    relative to the target's spread give -inf, never NaN.
    """
    a, b = _pair(y_true, y_pred)
    if a.shape != b.shape:
        raise ValueError(f"y_true has shape {a.shape} but y_pred has shape {b.shape}")
    a = a.reshape(len(a), -1).astype(np.float64)
    b = b.reshape(len(b), -1).astype(np.float64)
    # R² is scale-free, output by output: divide each column by a power of two near its
    # largest true value (exactly, so a constant target stays constant), so neither
    # 1e200 squared overflows nor 1e-200 squared underflows
    top = np.abs(a).max(axis=0)
    top = np.where(top > 0, top, np.abs(b).max(axis=0))
    scale = np.ldexp(1.0, np.frexp(np.where(top > 0, top, 1.0))[1] - 1)
    with np.errstate(over="ignore"):  # predictions 1e308 times off the targets: R² = -inf
        a, b = a / scale, b / scale
        residual = ((a - b) ** 2).sum(axis=0)
    total = ((a - a.mean(axis=0)) ** 2).sum(axis=0)
    # constant is decided exactly: the mean of six 0.1s is not 0.1, and the tiny total
    # it leaves would give R² = -5e31 (scikit-learn's answer) instead of 0
    varies = a.max(axis=0) > a.min(axis=0)
    scores = np.where(
        varies, 1 - residual / np.where(varies, total, 1), np.where(residual == 0, 1.0, 0.0)
    )
    return float(scores.mean())
