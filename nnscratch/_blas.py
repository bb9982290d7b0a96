"""NumPy's own BLAS ``gemm``, with its α and β: C ← α·op(A)·op(B) + β·C.

``np.matmul`` computes only C ← A·B. The compiled engine's large step wants
the rest of BLAS's ``gemm``: with α = −lr and β = 1 − lr·l2 the weight
gradient's product *is* plain SGD's update, W ← (1 − lr·l2)·W − lr·xᵀg, with
no dW array written and no separate pass over the weights.

The function is looked up in the very library NumPy loaded (its wheels ship
``scipy-openblas64``), so the products share NumPy's BLAS threads. Another
BLAS (SciPy's, which numba's products call) keeps its own threads: they spin
for ~0.1 s after each call, and alternating between the two made every
product ~30 times slower for that long (a one-off measurement here,
2026-12-03). Only the 64-bit
integer interface (symbols ending in ``64_``) is used, and the first call is
checked against ``np.matmul``: with any other NumPy build ``numpy_gemm()``
returns None and callers keep ``np.matmul``.
"""

from __future__ import annotations

import ctypes
import glob
import os

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_found: dict = {}


def _library():
    """NumPy's bundled OpenBLAS, already loaded (never a second copy), or None."""
    here = os.path.dirname(np.__file__)
    patterns = [
        os.path.join(here, os.pardir, "numpy.libs", "*openblas64*"),
        os.path.join(here, ".dylibs", "*openblas64*"),
    ]
    mode = ctypes.DEFAULT_MODE | getattr(os, "RTLD_NOLOAD", 0)
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            try:
                return ctypes.CDLL(path, mode=mode)
            except OSError:
                continue
    return None


def _bind(library, dtype):
    """cblas_?gemm of the 64-bit interface for float32 or float64, typed, or None."""
    letter, real = ("s", ctypes.c_float) if dtype == np.float32 else ("d", ctypes.c_double)
    for name in (f"scipy_cblas_{letter}gemm64_", f"cblas_{letter}gemm64_"):
        function = getattr(library, name, None)
        if function is not None:
            i64, ptr = ctypes.c_int64, ctypes.c_void_p
            function.restype = None
            function.argtypes = [ctypes.c_int] * 3 + [i64] * 3 + [real, ptr, i64, ptr, i64]
            function.argtypes += [real, ptr, i64]
            return function
    return None


def row_stride(a: np.ndarray) -> int | None:
    """Row stride in elements of a row-major 2-D array with unit column stride, else None
    (such an array is what gemm takes as an input)."""
    if a.ndim != 2:
        return None
    rows, itemsize = a.strides[0], a.itemsize
    if (a.strides[1] != itemsize and a.shape[1] > 1) or rows % itemsize:
        return None
    leading = rows // itemsize if a.shape[0] > 1 else a.shape[1]
    return leading if leading >= max(a.shape[1], 1) else None


class Product:
    """One ``gemm`` on fixed arrays, checked once: ``product(alpha, beta)`` runs
    c ← alpha·op(a)·op(b) + beta·c on their present values. It keeps the arrays
    (so their memory stays put) and skips gemm's checks and ctypes conversions:
    4.7 of the 6.6 µs a tiny product's call took (a one-off measurement,
    2026-12-03)."""

    __slots__ = ("a", "b", "c", "function", "arguments")

    def __init__(self, function, a, b, c, trans_a, trans_b) -> None:
        m, n = c.shape
        k = a.shape[0] if trans_a else a.shape[1]
        op_a = (a.shape[1], a.shape[0]) if trans_a else a.shape
        op_b = (b.shape[1], b.shape[0]) if trans_b else b.shape
        if op_a != (m, k) or op_b != (k, n):
            raise ValueError(f"gemm shapes do not chain: {op_a} x {op_b} -> {c.shape}")
        if not (a.dtype == b.dtype == c.dtype) or not c.flags.c_contiguous:
            raise TypeError("gemm needs arrays of one dtype and a C-contiguous output")
        lda, ldb = row_stride(a), row_stride(b)
        if lda is None or ldb is None or not c.flags.writeable:
            raise ValueError("gemm needs row-major inputs and a writeable output")
        self.a, self.b, self.c, self.function = a, b, c, function
        flags = (_ROW_MAJOR, _TRANS if trans_a else _NO_TRANS, _TRANS if trans_b else _NO_TRANS)
        self.arguments = (*flags, m, n, k, a.ctypes.data, lda, b.ctypes.data, ldb)
        self.arguments += (c.ctypes.data, max(n, 1))

    def __call__(self, alpha, beta) -> np.ndarray:
        order, ta, tb, m, n, k, a, lda, b, ldb, c, ldc = self.arguments
        self.function(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return self.c


def _make(function):
    def gemm(alpha, a, b, beta, c, trans_a=False, trans_b=False):
        """c ← alpha·op(a)·op(b) + beta·c in place; op transposes when asked.

        a, b and c: row-major 2-D arrays of c's dtype (unit column stride), c
        contiguous; anything else is a TypeError/ValueError before BLAS sees it.
        ``gemm.product(a, b, c, trans_a, trans_b)`` checks once for repeated calls.
        """
        return Product(function, a, b, c, trans_a, trans_b)(alpha, beta)

    def product(a, b, c, trans_a=False, trans_b=False) -> Product:
        return Product(function, a, b, c, trans_a, trans_b)

    gemm.product = product
    return gemm


def numpy_gemm(dtype):
    """NumPy's BLAS ``gemm`` for float32 or float64 (see the module docstring), or None."""
    dtype = np.dtype(dtype)
    if dtype not in _found:
        library = _library() if dtype in (np.float32, np.float64) else None
        function = None if library is None else _bind(library, dtype)
        gemm = None if function is None else _make(function)
        _found[dtype] = gemm if gemm is not None and _checked(gemm, dtype) else None
    return _found[dtype]


def _checked(gemm, dtype) -> bool:
    """Products with both transposes, α and β, against np.matmul in float64."""
    rng = np.random.default_rng(0)
    a, b, c = (rng.random(shape).astype(dtype) for shape in ((3, 5), (4, 3), (5, 4)))
    out = gemm(-0.5, a, b, 2.0, c.copy(), trans_a=True, trans_b=True)
    wide = [x.astype(np.float64) for x in (a, b, c)]
    expected = -0.5 * (wide[0].T @ wide[1].T) + 2.0 * wide[2]
    plain = gemm(1.0, c, b, 0.0, np.empty((5, 3), dtype))
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    return bool(
        np.allclose(out, expected, rtol=tolerance, atol=0)
        and np.allclose(plain, wide[2] @ wide[1], rtol=tolerance, atol=0)
    )


def other_blas_pools() -> list:
    """threadpoolctl's controllers of the BLAS libraries loaded besides NumPy's own.

    SciPy's is one of them, and numba's ``np.dot`` calls it. When NumPy's BLAS
    has just run a product its threads spin for ~0.1 s; a product on another
    pool in that time fights them for the cores (the compiled epoch of a
    784→32→10 network at batch 128 took 2.3 times as long in a one-off
    measurement here, 2026-12-03).
    Empty when NumPy's library is not found (a build that shares one BLAS with
    SciPy has one pool, nothing to fight) or threadpoolctl is missing.
    """
    library = _library()
    if library is None:
        return []
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # scikit-learn requires it; without it, nothing to do
        return []
    numpys = os.path.realpath(library._name)
    return [
        pool
        for pool in ThreadpoolController().lib_controllers
        if pool.user_api == "blas" and os.path.realpath(pool.filepath) != numpys
    ]
