"""Pure kernels: no state, no validation, shapes in the docstrings.

Activations come with their derivative written in terms of the activation's
*output* ``a`` (tanh: ``1 - a**2``), as seed 001 points out: the forward pass
already computed it. Loss kernels return ``(value, grad)`` where ``grad`` is
d value / d output, already divided by N for ``reduction="mean"``.
"""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------- affine


def affine(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """z = x W + b.   x: (N, n_in), W: (n_in, n_out), b: (n_out,) -> z: (N, n_out)."""
    z = x @ W
    z += b
    return z


# ---------------------------------------------------------------- activations


def tanh(z: np.ndarray) -> np.ndarray:
    """a = tanh(z)."""
    return np.tanh(z)


def tanh_grad(a: np.ndarray) -> np.ndarray:
    """da/dz = 1 - a², from the output a = tanh(z)."""
    return 1 - a * a


def sigmoid(z: np.ndarray) -> np.ndarray:
    """a = 1 / (1 + e^-z), computed without overflow.

    For z >= 0 this is exactly ``1 / (1 + exp(-z))``; for z < 0 it is
    ``e^z / (1 + e^z)``, so exp never sees a large positive argument.
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(a: np.ndarray) -> np.ndarray:
    """da/dz = a (1 - a), from the output a = sigmoid(z)."""
    return a * (1 - a)


def relu(z: np.ndarray) -> np.ndarray:
    """a = max(z, 0)."""
    return np.maximum(z, 0)


def relu_grad(a: np.ndarray) -> np.ndarray:
    """da/dz = 1 where a > 0 else 0 (0 at the kink, as the seeds use)."""
    return (a > 0).astype(a.dtype)


def leaky_relu(z: np.ndarray, slope: float) -> np.ndarray:
    """a = z if z > 0 else slope·z   (0 <= slope < 1)."""
    return np.where(z > 0, z, z * slope)


def leaky_relu_grad(a: np.ndarray, slope: float) -> np.ndarray:
    """da/dz = 1 if a > 0 else slope; a > 0 exactly when z > 0 because slope >= 0."""
    return np.where(a > 0, 1, slope).astype(a.dtype)


def softmax(z: np.ndarray) -> np.ndarray:
    """p_ik = e^(z_ik - m_i) / Σ_j e^(z_ij - m_i), m_i = max_j z_ij (stable)."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


def softmax_backward(a: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """dz = a ∘ (grad - Σ_j grad_j a_j): the softmax Jacobian applied row by row."""
    return a * (grad - (grad * a).sum(axis=1, keepdims=True))


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log p = z - m - log Σ e^(z - m) (stable)."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z) = max(z, 0) + log1p(e^-|z|) (stable)."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


# ---------------------------------------------------------------- losses


def softmax_cross_entropy(z: np.ndarray, target: np.ndarray, reduction: str):
    """Cross-entropy of softmax(z) against integer labels (N,) or one-hot rows (N, K).

    L = -Σ_i Σ_k y_ik log softmax(z)_ik  (divided by N for "mean")
    dL/dz = softmax(z) - y                (divided by N for "mean")
    """
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    p = np.exp(shifted)
    total = p.sum(axis=1, keepdims=True)
    p /= total
    log_total = np.log(total)
    if target.ndim == 1:
        rows = np.arange(n)
        value = -(shifted[rows, target] - log_total[:, 0]).sum()
        grad = p
        grad[rows, target] -= 1
    else:
        value = -(target * (shifted - log_total)).sum()
        grad = p - target
    if reduction == "mean":
        value = value / n
        grad /= n
    return float(value), grad


def sigmoid_binary_cross_entropy(z: np.ndarray, y: np.ndarray, reduction: str):
    """Binary cross-entropy of sigmoid(z) against targets y in [0, 1], summed over outputs.

    L = Σ_ik softplus(z_ik) - y_ik z_ik   (= -y log σ(z) - (1-y) log(1-σ(z)), stable)
    dL/dz = σ(z) - y                       (both divided by N for "mean")
    """
    value = (softplus(z) - y * z).sum()
    grad = sigmoid(z) - y
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
