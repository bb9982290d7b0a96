"""Pure kernels: no state, no validation, shapes in the docstrings.

Activations come with their derivative written in terms of the activation's
*output* ``a`` (tanh: ``1 - a**2``), as seed 001 points out: the forward pass
already computed it. Loss kernels return ``(value, grad)`` where ``grad`` is
d value / d output, already divided by N for ``reduction="mean"``.

The training loop calls the kernels with reused arrays: ``out=`` for a
result, and for the losses ``work``, a function ``work(name, shape, dtype,
order="C")`` giving the array each temporary is written into. The default,
``new_array``, allocates, so a plain call returns fresh arrays.
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


@lru_cache(maxsize=64)
def _constant(value, dtype: np.dtype) -> np.ndarray:
    """``value`` as a read-only 0-d array of ``dtype``.

    A Python number in a ufunc call is converted to an array on every call;
    this one is converted once.
    """
    constant = np.full((), value, dtype=dtype)
    constant.flags.writeable = False
    return constant


def new_array(name: str, shape: tuple, dtype, order: str = "C") -> np.ndarray:
    """The default ``work`` of the loss kernels: a new array for each temporary."""
    return np.empty(shape, dtype=dtype, order=order)


def row_sums(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """s_i = Σ_j a_ij, shape (N,), as the product a · 1."""
    return np.matmul(a, _ones(a.shape[1], a.dtype), out=out)


def total(a: np.ndarray) -> float:
    """Σ_ij a_ij as the product with a vector of ones (``a.sum()`` allocates ~0.9 KiB
    of reduction state at every call; a product, nothing)."""
    return np.vdot(a, _ones(a.size, a.dtype))


def column_sums(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """s_j = Σ_i a_ij, shape (K,), as the product 1ᵀ · a (e.g. db = Σ_rows g)."""
    return np.matmul(_ones(a.shape[0], a.dtype), a, out=out)


def row_max(z: np.ndarray, out: np.ndarray | None = None, work=new_array) -> np.ndarray:
    """m_i = max_j z_ij, shape (N,) (exact; for few columns, scanned column-wise)."""
    if z.shape[1] <= 2:  # the larger of the first and the last column
        return np.maximum(z[:, 0], z[:, -1], out=out)
    if z.shape[1] <= 16:  # from a copy in column-major order
        columns = work("columns", z.shape, z.dtype, order="F")
        np.copyto(columns, z)
        z = columns
    return z.max(axis=1, out=out)


def _by_rows(ufunc, a: np.ndarray, v: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out_ij = ufunc(a_ij, v_i), i.e. ``ufunc(a, v[:, None])``:  a, out (N, K), v (N,).

    v is first copied into every column of ``out``: NumPy allocates a buffer
    for each broadcasting operation, none for operands of one shape.
    """
    out[...] = v[:, None]
    return ufunc(a, out, out=out)


# ---------------------------------------------------------------- affine


# Adding b to every row (broadcasting), NumPy allocates an iterator buffer of up
# to 8192 values at every call; adding an array of z's shape, nothing. Up to this
# many output values, copying b into every row of a buffer first costs no time
# (measured); beyond, the copy is an extra pass over z (1.4-2x the add on 256 x 512
# and larger) while the buffer is small next to z, so the add broadcasts.
TILE_BIAS_UP_TO = 16384


def affine(x: np.ndarray, W: np.ndarray, b: np.ndarray, out=None, bias=None) -> np.ndarray:
    """z = x W + b.   x: (N, n_in), W: (n_in, n_out), b: (n_out,) -> z: (N, n_out).

    ``bias``, an (N, n_out) array, receives b in every row first: adding an
    array of z's shape, NumPy allocates nothing (see ``TILE_BIAS_UP_TO``).
    """
    z = np.matmul(x, W, out=out)
    if bias is not None:
        bias[...] = b  # b in every row
        b = bias
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
    return np.subtract(_constant(1, d.dtype), d, out=d)


def sigmoid(z: np.ndarray, out=None, scratch=None) -> np.ndarray:
    """a = 1 / (1 + e^-z), computed without overflow (``scratch``: an array for e^-|z|).

    For z >= 0 this is exactly ``1 / (1 + exp(-z))``; for z < 0 it is
    ``e^z / (1 + e^z)``, so exp never sees a large positive argument.
    """
    return _sigmoid_from(z, _exp_minus_abs(z, out=scratch), out=out)


def _exp_minus_abs(z: np.ndarray, out=None) -> np.ndarray:
    """e = exp(-|z|), in (0, 1]."""
    e = np.abs(z, out=out)
    np.negative(e, out=e)
    return np.exp(e, out=e)


def _sigmoid_from(z: np.ndarray, e: np.ndarray, out=None) -> np.ndarray:
    """σ(z) = n / (1 + e) from e = exp(-|z|), with n = 1 for z >= 0 and n = e for z < 0.

    As 0 <= e <= 1, n = max(sign z, e): sign z is 1 above 0 and -1 below,
    and at z = 0, e = 1. Overwrites e with 1 + e.
    """
    n = np.sign(z, out=out)
    np.maximum(n, e, out=n)
    return np.divide(n, np.add(e, _constant(1, e.dtype), out=e), out=n)


def sigmoid_grad(a: np.ndarray, out=None) -> np.ndarray:
    """da/dz = a (1 - a), from the output a = sigmoid(z)."""
    d = np.subtract(_constant(1, a.dtype), a, out=out)
    return np.multiply(a, d, out=d)


def relu(z: np.ndarray, out=None) -> np.ndarray:
    """a = max(z, 0)."""
    return np.maximum(z, _constant(0, z.dtype), out=out)


def relu_grad(a: np.ndarray, out=None) -> np.ndarray:
    """da/dz = 1 where a > 0 else 0 (0 at the kink, as the seeds use).

    Since a = max(z, 0) >= 0, sign(a) is exactly that indicator.
    """
    return np.sign(a, out=out)


def leaky_relu(z: np.ndarray, slope: float, out=None) -> np.ndarray:
    """a = z if z > 0 else slope·z  =  max(z, slope·z)   (0 <= slope < 1)."""
    a = np.multiply(z, _constant(slope, z.dtype), out=out)
    return np.maximum(z, a, out=a)


def leaky_relu_grad(a: np.ndarray, slope: float, out=None) -> np.ndarray:
    """da/dz = 1 if a > 0 else slope; a > 0 exactly when z > 0 because slope >= 0.

    That is max(sign a, slope): sign a is 1 above 0, and 0 or -1 (both below
    slope) otherwise. Two passes in place, no temporary.
    """
    d = np.sign(a, out=out)
    return np.maximum(d, _constant(slope, a.dtype), out=d)


def softmax(z: np.ndarray) -> np.ndarray:
    """p_ik = e^(z_ik - m_i) / Σ_j e^(z_ij - m_i), m_i = max_j z_ij (stable)."""
    e = np.exp(z - row_max(z)[:, None])
    e /= row_sums(e)[:, None]
    return e


def softmax_backward(a: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """dz = a ∘ (grad - Σ_j grad_j a_j): the softmax Jacobian applied row by row."""
    return a * (grad - row_sums(grad * a)[:, None])


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log p = z - m - log Σ e^(z - m) (stable)."""
    shifted = z - row_max(z)[:, None]
    return shifted - np.log(row_sums(np.exp(shifted)))[:, None]


def softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z) = max(z, 0) + log1p(e^-|z|) (stable)."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


# ---------------------------------------------------------------- losses


def softmax_cross_entropy(z: np.ndarray, target: np.ndarray, reduction: str, work=new_array):
    """Cross-entropy of softmax(z) against one-hot rows (N, K) or integer labels (N,).

    L = -Σ_i Σ_k y_ik log softmax(z)_ik  (divided by N for "mean")
    dL/dz = softmax(z) - y                (divided by N for "mean")

    With s = z - max_k z and T = Σ_k e^s: log softmax(z) = s - log T, so for
    rows of y summing to 1, L = Σ_i log T_i - Σ_ik y_ik s_ik.
    """
    n = z.shape[0]
    m = row_max(z, out=work("max", (n,), z.dtype), work=work)
    shifted = _by_rows(np.subtract, z, m, out=work("shifted", z.shape, z.dtype))  # z - m
    p = np.exp(shifted, out=work("exp", z.shape, z.dtype))
    T = row_sums(p, out=m)  # written over m
    p = _by_rows(np.divide, p, T, out=work("grad", z.shape, z.dtype))  # p / T
    if target.ndim == 1:
        rows = np.arange(n)
        value = total(np.log(T, out=T)) - shifted[rows, target].sum()
        grad = p
        grad[rows, target] -= 1
    else:
        value = total(np.log(T, out=T)) - np.vdot(target, shifted)
        grad = p
        grad -= target
    if reduction == "mean":
        value = value / n
        grad /= n
    return float(value), grad


def sigmoid_binary_cross_entropy(z: np.ndarray, y: np.ndarray, reduction: str, work=new_array):
    """Binary cross-entropy of sigmoid(z) against targets y in [0, 1], summed over outputs.

    L = Σ_ik softplus(z_ik) - y_ik z_ik   (= -y log σ(z) - (1-y) log(1-σ(z)), stable)
    dL/dz = σ(z) - y                       (both divided by N for "mean")

    Both use e = exp(-|z|): softplus(z) = max(z, 0) + log1p(e), and σ(z) is
    1/(1+e) for z >= 0 and e/(1+e) below. ``max(z, 0) - y z`` is formed per
    entry (each term >= 0, exactly 0 for a confident right answer): as two
    separate sums of huge logits it would cancel to a wrong, even negative, loss.
    """
    e = _exp_minus_abs(z, out=work("e", z.shape, z.dtype))
    grad = work("grad", z.shape, z.dtype)
    term = np.maximum(z, _constant(0, z.dtype), out=work("term", z.shape, z.dtype))
    term -= np.multiply(y, z, out=grad)  # max(z, 0) - y z, with grad as scratch
    value = total(term) + total(np.log1p(e, out=term))
    grad = _sigmoid_from(z, e, out=grad)
    grad -= y
    if reduction == "mean":
        value = value / z.shape[0]
        grad /= z.shape[0]
    return float(value), grad


def squared_error(output: np.ndarray, y: np.ndarray, reduction: str, work=new_array):
    """Half squared error, summed over outputs.

    L = ½ Σ_ik (ŷ_ik - y_ik)²      dL/dŷ = ŷ - y      (both divided by N for "mean")

    The ½ makes the gradient exactly ``ŷ - y``: seed 002's update
    ``W -= lr * (ŷ - y) ...`` is plain SGD on this loss with reduction="sum".
    """
    diff = np.subtract(output, y, out=work("grad", output.shape, output.dtype))
    value = 0.5 * np.vdot(diff, diff)
    if reduction == "mean":
        value = value / output.shape[0]
        diff /= output.shape[0]
    return float(value), diff


def cross_entropy(p: np.ndarray, target: np.ndarray, reduction: str, work=new_array):
    """Cross-entropy of probabilities p (N, K), e.g. the output of a Softmax layer.

    L = -Σ_ik y_ik log p_ik        dL/dp = -y / p
    p is clipped to [tiny, 1] first so that log(0) is never taken. (``work``
    is not used: this unfused path allocates, as the Softmax layer before it.)
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
