"""NumPy's own BLAS gemm (nnscratch._blas): C ← α·op(A)·op(B) + β·C, checked against matmul."""

import os

import numpy as np
import pytest

from nnscratch import _blas

gemm64 = _blas.numpy_gemm(np.float64)
needs_gemm = pytest.mark.skipif(gemm64 is None, reason="this NumPy build ships another BLAS")


@needs_gemm
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_gemm_is_alpha_a_b_plus_beta_c(dtype, trans_a, trans_b):
    rng = np.random.default_rng(0)
    m, k, n = 7, 5, 6
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    # b a row-strided view (every other row of a wider array): its row stride is passed on
    wide = rng.standard_normal((2 * (n if trans_b else k), 9)).astype(dtype)
    b = wide[::2, : (k if trans_b else n)]
    c = rng.standard_normal((m, n)).astype(dtype)
    out = c.copy()
    result = _blas.numpy_gemm(dtype)(-0.25, a, b, 3.0, out, trans_a=trans_a, trans_b=trans_b)
    assert result is out and out.dtype == dtype
    A, B = (a.T if trans_a else a), (b.T if trans_b else b)
    expected = -0.25 * (A.astype(float) @ B.astype(float)) + 3.0 * c
    tolerance = (1e-5 if dtype == np.float32 else 1e-13) * np.abs(expected).max()
    np.testing.assert_allclose(out, expected, rtol=0, atol=tolerance)  # norm-wise


@needs_gemm
def test_plain_products_match_matmul_bit_for_bit():
    # α = 1, β = 0 is the call np.matmul makes: the same library, the same bits
    rng = np.random.default_rng(1)
    x, W = rng.standard_normal((64, 300)), rng.standard_normal((300, 40))
    np.testing.assert_array_equal(gemm64(1.0, x, W, 0.0, np.empty((64, 40))), x @ W)


@needs_gemm
def test_a_product_checked_once_runs_on_the_arrays_as_they_are_now():
    """gemm.product keeps the arrays: each call multiplies their present values (the step
    rewrites them in place) with that call's α and β, as gemm would."""
    rng = np.random.default_rng(2)
    x, g, W = (
        rng.standard_normal((16, 5)),
        rng.standard_normal((16, 3)),
        rng.standard_normal((5, 3)),
    )
    product = gemm64.product(x, g, W, trans_a=True)
    expected = W.copy()
    for alpha, beta in [(-0.1, 0.99), (-0.2, 1.0)]:
        x[...], g[...] = rng.standard_normal(x.shape), rng.standard_normal(g.shape)
        assert product(alpha, beta) is W
        expected = gemm64(alpha, x, g, beta, expected, trans_a=True)
        np.testing.assert_array_equal(W, expected)
    with pytest.raises(ValueError, match="do not chain"):
        gemm64.product(x, g, W)  # checked when made, as gemm checks every call


@needs_gemm
def test_gemm_refuses_what_blas_would_misread():
    a, b = np.ones((3, 4)), np.ones((4, 2))
    with pytest.raises(ValueError, match="do not chain"):
        gemm64(1.0, a, b, 0.0, np.empty((3, 3)))
    with pytest.raises(TypeError, match="one dtype"):
        gemm64(1.0, a, b.astype(np.float32), 0.0, np.empty((3, 2)))
    with pytest.raises(TypeError, match="C-contiguous"):
        gemm64(1.0, a, b, 0.0, np.empty((2, 3)).T)
    with pytest.raises(ValueError, match="row-major"):
        gemm64(1.0, np.ones((4, 3)).T, b, 0.0, np.empty((3, 2)))  # a column-major input


def test_row_stride():
    a = np.zeros((6, 8))
    assert _blas.row_stride(a) == 8
    assert _blas.row_stride(a[::2, :3]) == 16
    assert _blas.row_stride(a.T) is None and _blas.row_stride(a[:, ::2]) is None
    assert _blas.row_stride(np.zeros(5)) is None


def test_without_numpys_blas_there_is_no_gemm(monkeypatch):
    monkeypatch.setattr(_blas, "_found", {})
    monkeypatch.setattr(_blas, "_library", lambda: None)
    assert _blas.numpy_gemm(np.float64) is None
    assert _blas.numpy_gemm(np.int64) is None  # BLAS multiplies floats only


def test_the_other_blas_pools_are_not_numpys(monkeypatch):
    import scipy.linalg.cython_blas  # noqa: F401  (SciPy's BLAS, loaded)

    library = _blas._library()
    pools = _blas.other_blas_pools()
    if library is not None:
        mine = os.path.realpath(library._name)
        assert all(os.path.realpath(pool.filepath) != mine for pool in pools)
        assert all(pool.user_api == "blas" for pool in pools)
    monkeypatch.setattr(_blas, "_library", lambda: None)
    assert _blas.other_blas_pools() == []  # NumPy's BLAS unknown: nothing to tell apart
