"""Pure kernels: no state, no validation, shapes in the docstrings.

Activations come with their derivative written in terms of the activation's
*output* ``a`` (tanh: ``1 - a**2``), as seed 001 points out: the forward pass
already computed it. Loss kernels return ``(value, grad)`` where ``grad`` is
d value / d output, already divided by N for ``reduction="mean"``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# ---------------------------------------------------------------- sums and maxima
# NumPy reduces a short axis one row at a time, so ``a.sum(axis=1)`` on a
# (200, 2) array costs ~10x a matrix-vector product with a vector of ones.
# These helpers are the fast spellings of the reductions the math needs.


@lru_cache(maxsize=64)
def _ones(n: int, dtype: np.dtype) -> np.ndarray:
    ones = np.ones(n, dtype=dtype)
    ones.flags.writeable = False
    return ones


def row_sums(a: np.ndarray) -> np.ndarray:
    """s_i = Σ_j a_ij, shape (N,), as the product a · 1."""
    return a @ _ones(a.shape[1], a.dtype)


def column_sums(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """s_j = Σ_i a_ij, shape (K,), as the product 1ᵀ · a (e.g. db = Σ_rows g)."""
    return np.matmul(_ones(a.shape[0], a.dtype), a, out=out)


def row_max(z: np.ndarray) -> np.ndarray:
    """m_i = max_j z_ij as an (N, 1) column (exact; for few columns, scanned column-wise)."""
    if z.shape[1] <= 16:
        return np.asfortranarray(z).max(axis=1, keepdims=True)
    return z.max(axis=1, keepdims=True)


# ---------------------------------------------------------------- affine


def affine(x: np.ndarray, W: np.ndarray, b: np.ndarray, out=None) -> np.ndarray:
    """z = x W + b.   x: (N, n_in), W: (n_in, n_out), b: (n_out,) -> z: (N, n_out)."""
    z = np.matmul(x, W, out=out)
    z += b
    return z


# ---------------------------------------------------------------- activations


# Each function takes an optional ``out`` array to write into (the training
# loop reuses buffers); without it, it returns a new array.


def tanh(z: np.ndarray, out=None) -> np.ndarray:
    """a = tanh(z)."""
    return np.tanh(z, out=out)


def tanh_grad(a: np.ndarray, out=None) -> np.ndarray:
    """da/dz = 1 - a², from the output a = tanh(z)."""
    d = np.multiply(a, a, out=out)
    return np.subtract(1, d, out=d)


def sigmoid(z: np.ndarray, out=None) -> np.ndarray:
    """a = 1 / (1 + e^-z), computed without overflow.

    For z >= 0 this is exactly ``1 / (1 + exp(-z))``; for z < 0 it is
    ``e^z / (1 + e^z)``, so exp never sees a large positive argument.
    """
    e = np.exp(-np.abs(z))
    return np.divide(np.where(z >= 0, 1, e), 1 + e, out=out)


def sigmoid_grad(a: np.ndarray, out=None) -> np.ndarray:
    """da/dz = a (1 - a), from the output a = sigmoid(z)."""
    d = np.subtract(1, a, out=out)
    return np.multiply(a, d, out=d)


def relu(z: np.ndarray, out=None) -> np.ndarray:
    """a = max(z, 0)."""
    return np.maximum(z, 0, out=out)


def relu_grad(a: np.ndarray, out=None) -> np.ndarray:
    """da/dz = 1 where a > 0 else 0 (0 at the kink, as the seeds use).

    Since a = max(z, 0) >= 0, sign(a) is exactly that indicator.
    """
    return np.sign(a, out=out)


def leaky_relu(z: np.ndarray, slope: float, out=None) -> np.ndarray:
    """a = z if z > 0 else slope·z  =  max(z, slope·z)   (0 <= slope < 1)."""
    a = np.multiply(z, slope, out=out)
    return np.maximum(z, a, out=a)


def leaky_relu_grad(a: np.ndarray, slope: float, out=None) -> np.ndarray:
    """da/dz = 1 if a > 0 else slope; a > 0 exactly when z > 0 because slope >= 0."""
    d = np.where(a > 0, 1, slope).astype(a.dtype, copy=False)
    if out is None:
        return d
    np.copyto(out, d)
    return out


def softmax(z: np.ndarray) -> np.ndarray:
    """p_ik = e^(z_ik - m_i) / Σ_j e^(z_ij - m_i), m_i = max_j z_ij (stable)."""
    e = np.exp(z - row_max(z))
    e /= row_sums(e)[:, None]
    return e


def softmax_backward(a: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """dz = a ∘ (grad - Σ_j grad_j a_j): the softmax Jacobian applied row by row."""
    return a * (grad - row_sums(grad * a)[:, None])


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log p = z - m - log Σ e^(z - m) (stable)."""
    shifted = z - row_max(z)
    return shifted - np.log(row_sums(np.exp(shifted)))[:, None]


def softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z) = max(z, 0) + log1p(e^-|z|) (stable)."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


# ---------------------------------------------------------------- losses


def softmax_cross_entropy(z: np.ndarray, target: np.ndarray, reduction: str):
    """Cross-entropy of softmax(z) against one-hot rows (N, K) or integer labels (N,).

    L = -Σ_i Σ_k y_ik log softmax(z)_ik  (divided by N for "mean")
    dL/dz = softmax(z) - y                (divided by N for "mean")

    With s = z - max_k z and T = Σ_k e^s: log softmax(z) = s - log T, so for
    rows of y summing to 1, L = Σ_i log T_i - Σ_ik y_ik s_ik.
    """
    n = z.shape[0]
    shifted = z - row_max(z)
    p = np.exp(shifted)
    total = row_sums(p)
    p /= total[:, None]
    if target.ndim == 1:
        rows = np.arange(n)
        value = np.log(total).sum() - shifted[rows, target].sum()
        grad = p
        grad[rows, target] -= 1
    else:
        value = np.log(total).sum() - np.vdot(target, shifted)
        grad = p
        grad -= target
    if reduction == "mean":
        value = value / n
        grad /= n
    return float(value), grad


def sigmoid_binary_cross_entropy(z: np.ndarray, y: np.ndarray, reduction: str):
    """Binary cross-entropy of sigmoid(z) against targets y in [0, 1], summed over outputs.

    L = Σ_ik softplus(z_ik) - y_ik z_ik   (= -y log σ(z) - (1-y) log(1-σ(z)), stable)
    dL/dz = σ(z) - y                       (both divided by N for "mean")

    Both use e = exp(-|z|): softplus(z) = max(z, 0) + log1p(e), and σ(z) is
    1/(1+e) for z >= 0 and e/(1+e) below. ``max(z, 0) - y z`` is formed per
    entry (each term >= 0, exactly 0 for a confident right answer): as two
    separate sums of huge logits it would cancel to a wrong, even negative, loss.
    """
    e = np.exp(-np.abs(z))
    value = (np.maximum(z, 0) - y * z).sum() + np.log1p(e).sum()
    grad = np.where(z >= 0, 1, e) / (1 + e)
    grad -= y
    if reduction == "mean":
        value = value / z.shape[0]
        grad /= z.shape[0]
    return float(value), grad


def squared_error(output: np.ndarray, y: np.ndarray, reduction: str):
    """Half squared error, summed over outputs.

    L = ½ Σ_ik (ŷ_ik - y_ik)²      dL/dŷ = ŷ - y      (both divided by N for "mean")

    The ½ makes the gradient exactly ``ŷ - y``: seed 002's update
    ``W -= lr * (ŷ - y) ...`` is plain SGD on this loss with reduction="sum".
    """
    diff = output - y
    value = 0.5 * np.vdot(diff, diff)
    if reduction == "mean":
        value = value / output.shape[0]
        diff /= output.shape[0]
    return float(value), diff


def cross_entropy(p: np.ndarray, target: np.ndarray, reduction: str):
    """Cross-entropy of probabilities p (N, K), e.g. the output of a Softmax layer.

    L = -Σ_ik y_ik log p_ik        dL/dp = -y / p
    p is clipped to [tiny, 1] first so that log(0) is never taken.
    """
    n = p.shape[0]
    p = np.clip(p, np.finfo(p.dtype).tiny, 1)
    if target.ndim == 1:
        rows = np.arange(n)
        value = -np.log(p[rows, target]).sum()
        grad = np.zeros_like(p)
        grad[rows, target] = -1 / p[rows, target]
    else:
        value = -(target * np.log(p)).sum()
        grad = -target / p
    if reduction == "mean":
        value = value / n
        grad /= n
    return float(value), grad
