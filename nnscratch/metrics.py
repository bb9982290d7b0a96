"""Metrics: accuracy, confusion matrix, log loss, R². NumPy only, inputs checked."""

from __future__ import annotations

import numpy as np

from ._validation import as_numeric_array, check_finite


def _pair(y_true, y_pred, names=("y_true", "y_pred")) -> tuple[np.ndarray, np.ndarray]:
    a = as_numeric_array(y_true, names[0])
    b = as_numeric_array(y_pred, names[1])
    if len(a) != len(b):
        raise ValueError(f"{names[0]} has {len(a)} entries but {names[1]} has {len(b)}")
    if len(a) == 0:
        raise ValueError(f"{names[0]} and {names[1]} are empty")
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
    a, b = a.astype(np.intp), b.astype(np.intp)
    k = int(max(a.max(), b.max())) + 1 if n_classes is None else int(n_classes)
    if max(a.max(), b.max()) >= k:
        raise ValueError(f"labels go up to {max(a.max(), b.max())} but n_classes is {k}")
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (a, b), 1)
    return matrix


def log_loss(y_true, proba, eps: float | None = None) -> float:
    """Mean negative log-likelihood: -1/N Σ_i log p_i[y_i] (labels) or -1/N Σ y log p (one-hot).

    A binary probability vector (N,) is read as P(class 1). Probabilities are
    clipped to [eps, 1] (eps defaults to the dtype's smallest normal number).
    """
    y, p = _pair(y_true, proba, ("y_true", "proba"))
    p = p.astype(np.float64)
    if p.ndim == 1:
        p = np.column_stack([1 - p, p])
    if p.min() < 0 or p.max() > 1:
        raise ValueError("proba must lie in [0, 1]")
    p = np.clip(p, np.finfo(p.dtype).tiny if eps is None else eps, 1)
    if y.ndim == 1:
        labels = y.astype(np.intp)
        if np.any(labels != y) or labels.min() < 0 or labels.max() >= p.shape[1]:
            raise ValueError(f"y_true must hold labels 0..{p.shape[1] - 1}")
        return float(-np.log(p[np.arange(len(p)), labels]).mean())
    if y.shape != p.shape:
        raise ValueError(f"one-hot y_true has shape {y.shape} but proba has {p.shape}")
    return float(-(y * np.log(p)).sum(axis=1).mean())


def r2_score(y_true, y_pred) -> float:
    """R² = 1 - Σ(y - ŷ)² / Σ(y - ȳ)², averaged uniformly over outputs.

    A constant target gives 1.0 if predicted exactly and 0.0 otherwise (as scikit-learn).
    """
    a, b = _pair(y_true, y_pred)
    if a.shape != b.shape:
        raise ValueError(f"y_true has shape {a.shape} but y_pred has shape {b.shape}")
    a = a.reshape(len(a), -1).astype(np.float64)
    b = b.reshape(len(b), -1).astype(np.float64)
    residual = ((a - b) ** 2).sum(axis=0)
    total = ((a - a.mean(axis=0)) ** 2).sum(axis=0)
    scores = np.where(
        total > 0, 1 - residual / np.where(total > 0, total, 1), np.where(residual == 0, 1.0, 0.0)
    )
    return float(scores.mean())
