"""An optional compiled path: one whole training epoch in numba-compiled code.

For tiny networks a NumPy training step is dominated by the overhead of ~35
small NumPy calls, not by arithmetic. This module runs all the mini-batch
steps of an epoch (gather, forward, loss, backward, optimizer update) in one
call to a numba-compiled function. It is an *optional extra*
(``pip install nnscratch[fast]``): ``import nnscratch`` never imports numba,
and the NumPy path in ``training.py`` stays the readable reference. Both agree
to ~1e-12 relative (float64): the arithmetic is the same, only the summation
order inside matrix products and reductions differs.

Supported: ``Sequential`` of ``Dense`` (with l2), ``Tanh``, ``ReLU``,
``Sigmoid``, ``LeakyReLU``, ``Identity``; losses ``SoftmaxCrossEntropy``,
``SigmoidBinaryCrossEntropy``, ``MSE`` (both reductions); optimizers ``SGD``
(plain, momentum, Nesterov) and ``Adam``, with a constant learning rate or a
schedule (evaluated in Python for every step of the epoch); float64 and
float32 (float32 arrays and float32 arithmetic, constants rounded to float32
as NumPy does; only exp, tanh and the sigmoid are evaluated in float64 and
rounded, as a libm may). Anything else: ``make_epoch_runner`` returns None
and ``unsupported_reason`` says why.

Large networks (more than ``LARGE_STEP`` multiply-adds per step) take a
different route, ``LargeStep``: the matrix products are NumPy's own calls
(BLAS on every core, faster there than numba's products), and only the work
between them is compiled, one pass each where NumPy needs two or three (bias
and activation; the activation's derivative; checkpoint and update). With
plain SGD there is no update pass at all: BLAS's ``gemm`` (NumPy's own, see
``_blas``) writes W ← (1 - lr·l2)·W - lr·xᵀg where ``np.matmul`` would write
dW = xᵀg, so the weights are read and written once a step instead of three
times. The epoch loop is NumPy's ``_run_epoch``. With ReLU and momentum SGD
the results are the NumPy path's to the bit; the fused SGD step rounds
differently (float64 runs agree to 1e-12 in the tests).

Speed: the batch is stored feature-major inside the kernel, so every small
loop runs over the rows of the batch; products with at least
``BLAS_THRESHOLD`` multiply-adds call BLAS (SciPy's, which numba binds, kept
to one thread while a kernel runs: see ``_blas.other_blas_pools``); exp and
tanh are vectorised polynomials (libm's scalar calls would cost more than the
rest of a tiny step).

The runner works directly on ``model.flat_params`` / ``model.flat_grads`` and
on the optimizer's flat state (``optimizer.state[0]``, created as
``optimizer.step`` creates it), and advances ``optimizer.t``: after a compiled
epoch the objects hold the state a NumPy epoch leaves, so the engines can be
mixed between epochs. (The layers' cached forward values, the loss's last
gradient and the optimizer's scratch arrays, such as SGD's ``step``, are not
refreshed, nor, on large networks with plain SGD, the weights' gradients in
``model.flat_grads``; nothing reads them between steps.)

Semantics, step by step, are those of ``training.train_step`` /
``training._run_epoch``: forward z = x W + b, the fused loss kernels of
``functional``, a non-finite loss stops the epoch before anything is updated
(the caller restores ``checkpoint``, which holds the weights from before the
previous update), else ``checkpoint`` ← weights, backward (dW = xᵀg + l2·W,
db = Σ_rows g, no dx for the first Dense layer), then the update.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from . import _blas, training
from . import layers as L
from . import losses as losses_module
from . import optimizers as O
from .functional import column_sums
from .network import Sequential

_numpy_run_epoch = training._run_epoch  # the reference, also the fallback

__all__ = ["available", "unsupported_reason", "make_epoch_runner", "run_epoch"]

# Dense products with at least this many multiply-adds (rows x n_in x n_out)
# call BLAS (np.dot inside numba); smaller ones use explicit loops, which beat
# the BLAS call overhead for tiny sizes. Measured: W1 (200x2x3) is faster with
# loops, the 200x2x50 layers of W2 already with BLAS.
BLAS_THRESHOLD = 4096

_ACT_CODES = {L.Tanh: 1, L.ReLU: 2, L.Sigmoid: 3, L.LeakyReLU: 4}
_LOSS_CODES = {
    losses_module.SoftmaxCrossEntropy: 0,
    losses_module.SigmoidBinaryCrossEntropy: 1,
    losses_module.MSE: 2,
}

_numba_state: dict = {}


def available() -> bool:
    """True when numba can be imported (the ``fast`` extra is installed)."""
    if "available" not in _numba_state:
        try:
            import numba  # noqa: F401
        except Exception:  # ImportError, or a numba that fails with this NumPy
            _numba_state["available"] = False
        else:
            _numba_state["available"] = True
    return _numba_state["available"]


def unsupported_reason(model, loss, optimizer) -> str | None:
    """Why the compiled path cannot train this combination, or None if it can."""
    if not available():
        return "numba is not installed (pip install nnscratch[fast])"
    if type(model) is not Sequential:
        return f"the model is a {type(model).__name__}, not a Sequential"
    if model.dtype not in (np.float32, np.float64):
        return f"dtype {model.dtype} is not float32 or float64"
    for i, layer in enumerate(model.layers):
        if type(layer) is L.Dense:
            for k in ("W", "b"):
                p = layer.params[k]
                if not (
                    p.flags.c_contiguous
                    and p.dtype == model.dtype
                    and np.shares_memory(p, model.flat_params)
                    and np.shares_memory(layer.grads[k], model.flat_grads)
                ):
                    return f"layer {i}'s {k} is not a view into model.flat_params"
        elif type(layer) not in _ACT_CODES and type(layer) is not L.Identity:
            return f"layer {i} ({type(layer).__name__}) is not supported"
    if type(loss) not in _LOSS_CODES:
        return f"the loss {type(loss).__name__} is not supported"
    if type(optimizer) not in (O.SGD, O.Adam):
        return f"the optimizer {type(optimizer).__name__} is not supported"
    if optimizer.state is not None:
        reason = _state_problem(model, optimizer)
        if reason:
            return reason
    return None


def _state_problem(model, optimizer) -> str | None:
    if len(optimizer.state) != 1:
        return (
            f"the optimizer holds state for {len(optimizer.state)} parameter arrays, "
            "not for the one flat array model.flat_params"
        )
    for key, value in optimizer.state[0].items():
        if value.shape != model.flat_params.shape or value.dtype != model.dtype:
            return f"the optimizer's state {key!r} does not match model.flat_params"
    return None


def _other_blas_pools() -> list:
    """``_blas.other_blas_pools()`` (SciPy's BLAS, which numba's np.dot calls), found once."""
    if "pools" not in _numba_state:
        import scipy.linalg.cython_blas  # noqa: F401  (numba's np.dot loads it: load it first)

        _numba_state["pools"] = _blas.other_blas_pools()
    return _numba_state["pools"]


# ---------------------------------------------------------------- the compiled kernels

_kernels: dict = {}


def _compile():
    """Define the numba kernels (once; numba is imported only here)."""
    if _kernels:
        return _kernels
    from numba import njit

    # ---- exp and tanh, vectorisable. libm's scalar tanh/exp cost ~10 ns per value and
    # numba cannot vectorise them; NumPy's SIMD loops take ~1.5 ns. These run in two
    # passes (reduction + polynomial, then scaling by 2^k built from its bits) that LLVM
    # vectorises, accurate to a few ulp, computed in float64 (stored in the dtype).
    # Values outside the polynomial's range (NaN, exp below -708) are redone with libm.
    INV_LN2 = 1.4426950408889634
    LN2_HI = 6.93147180369123816490e-01
    LN2_LO = 1.90821492927058770002e-10

    @njit(cache=True, error_model="numpy", fastmath={"contract"}, inline="always")
    def expm1_reduced(u):
        # u = k ln2 + r, |r| <= ln2/2; returns (k as 2^k's bits, expm1(r) by Taylor to r^13)
        kf = math.floor(u * INV_LN2 + 0.5)
        r = (u - kf * LN2_HI) - kf * LN2_LO
        p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        return (np.int64(kf) + 1023) << 52, p * r

    @njit(cache=True, error_model="numpy", fastmath={"contract"})
    def vtanh(z, a, kbits, poly):
        # tanh|x| = -m / (2 + m), m = expm1(-2|x|) (|x| capped at 20: tanh = 1 there).
        # z is copied to poly[n:] (poly holds 2n values) and read from there, so that
        # a may be z itself: the second loop then still vectorises (6x faster)
        n = z.size
        xs = poly[n : 2 * n]
        for j in range(n):
            x = np.float64(z[j])
            xs[j] = x
            ax = abs(x)
            ax = ax if ax < 20.0 else 20.0
            kbits[j], poly[j] = expm1_reduced(-2.0 * ax)
        two_k = kbits[:n].view(np.float64)
        for j in range(n):
            t = two_k[j]
            m = t * poly[j] + (t - 1.0)
            v = (0.0 - m) / (2.0 + m)  # 0 - m: tanh(0) = +0
            x = xs[j]
            a[j] = v if x >= 0 else (-v if x < 0 else x)  # NaN stays NaN

    @njit(cache=True, error_model="numpy", fastmath={"contract"})
    def vtanh32(z, a, kbits, poly):
        # the same in float32 arithmetic (for float32 models): |x| capped at 9, where
        # tanh rounds to 1; Taylor to r^8; 2^k from float32 bits
        n = z.size
        kb = kbits.view(np.int32)
        pb = poly.view(np.float32)
        xs = pb[n : 2 * n]  # z's copy, as in vtanh
        one = np.float32(1.0)
        for j in range(n):
            x = np.float32(z[j])
            xs[j] = x
            ax = abs(x)
            ax = ax if ax < np.float32(9.0) else np.float32(9.0)
            u = np.float32(-2.0) * ax
            kf = np.floor(u * np.float32(1.4426950408889634) + np.float32(0.5))
            r = (u - kf * np.float32(0.693145751953125)) - kf * np.float32(1.4286068203e-06)
            p = np.float32(1.0 / 40320.0)
            p = p * r + np.float32(1.0 / 5040.0)
            p = p * r + np.float32(1.0 / 720.0)
            p = p * r + np.float32(1.0 / 120.0)
            p = p * r + np.float32(1.0 / 24.0)
            p = p * r + np.float32(1.0 / 6.0)
            p = p * r + np.float32(0.5)
            p = p * r + one
            kb[j] = (np.int32(kf) + np.int32(127)) << np.int32(23)
            pb[j] = p * r
        two_k = kb[:n].view(np.float32)
        for j in range(n):
            t = two_k[j]
            m = t * pb[j] + (t - one)
            v = (np.float32(0.0) - m) / (np.float32(2.0) + m)
            x = xs[j]
            a[j] = v if x >= 0 else (-v if x < 0 else x)  # NaN stays NaN

    @njit(cache=True, error_model="numpy", fastmath={"contract"})
    def vsigmoid(z, a, kbits, poly):
        # e = exp(-|z|);  a = 1/(1+e) for z >= 0, e/(1+e) below (functional.sigmoid)
        n = z.size
        xs = poly[n : 2 * n]  # z's copy, as in vtanh
        special = 0
        for j in range(n):
            x = np.float64(z[j])
            xs[j] = x
            u = -abs(x)
            ok = u >= -708.0
            special += not ok
            kb, p = expm1_reduced(u if ok else 0.0)
            kbits[j] = kb if ok else 0
            poly[j] = p if ok else x
        two_k = kbits[:n].view(np.float64)
        for j in range(n):
            e = two_k[j] * (1.0 + poly[j])
            a[j] = (1.0 if xs[j] >= 0 else e) / (1.0 + e)
        if special:  # |z| > 708 or NaN: libm, as NumPy
            for j in range(n):
                if kbits[j] == 0:
                    x = poly[j]
                    e = np.exp(-abs(x))
                    a[j] = (1.0 if x >= 0 else e) / (1.0 + e)

    @njit(cache=True, error_model="numpy", fastmath={"contract"})
    def vexp_nonpositive(s, kbits, poly):
        # s <- exp(s) in place, for s <= 0 (shifted logits)
        n = s.size
        special = 0
        for j in range(n):
            u = np.float64(s[j])
            ok = u >= -708.0
            special += not ok
            kb, p = expm1_reduced(u if ok else 0.0)
            kbits[j] = kb if ok else 0
            poly[j] = p if ok else u
        two_k = kbits[:n].view(np.float64)
        for j in range(n):
            s[j] = two_k[j] * (1.0 + poly[j])
        if special:  # below -708 (subnormal results) or NaN: libm
            for j in range(n):
                if kbits[j] == 0:
                    s[j] = np.exp(poly[j])

    # Batches are stored feature-major: x (n_in, B), z (n_out, B), g (n_out, B), so the
    # innermost loops run over the B rows of the batch, contiguous and vectorisable,
    # however small the layer is.

    @njit(cache=True, error_model="numpy")
    def dot_rows(u, v):
        # Σ_r u_r v_r with four partial sums (a different summation order than BLAS)
        n = u.size
        s0 = u[0] * 0
        s1 = s0
        s2 = s0
        s3 = s0
        r = 0
        while r + 4 <= n:
            s0 += u[r] * v[r]
            s1 += u[r + 1] * v[r + 1]
            s2 += u[r + 2] * v[r + 2]
            s3 += u[r + 3] * v[r + 3]
            r += 4
        while r < n:
            s0 += u[r] * v[r]
            r += 1
        return (s0 + s1) + (s2 + s3)

    @njit(cache=True, error_model="numpy")
    def sum_row(u):
        n = u.size
        s0 = u[0] * 0
        s1 = s0
        s2 = s0
        s3 = s0
        r = 0
        while r + 4 <= n:
            s0 += u[r]
            s1 += u[r + 1]
            s2 += u[r + 2]
            s3 += u[r + 3]
            r += 4
        while r < n:
            s0 += u[r]
            r += 1
        return (s0 + s1) + (s2 + s3)

    @njit(cache=True, error_model="numpy")
    def dense_forward(x, W, b, z, use_blas):
        # z = x W + b, stored transposed: zᵀ = Wᵀ xᵀ (the product first, then the bias)
        ni, B = x.shape
        no = W.shape[1]
        if use_blas:
            np.dot(W.T, x, z)
        else:
            for o in range(no):
                for r in range(B):
                    z[o, r] = 0
                for k in range(ni):
                    w = W[k, o]
                    for r in range(B):
                        z[o, r] += w * x[k, r]
        for o in range(no):
            bo = b[o]
            for r in range(B):
                z[o, r] += bo

    @njit(cache=True, error_model="numpy")
    def dense_backward(x, g, W, dW, db, l2, dx, need_dx, use_blas):
        # dW = xᵀ g + l2·W,  db = Σ_rows g,  dx = g Wᵀ (only if need_dx), all transposed
        ni, B = x.shape
        no = W.shape[1]
        if use_blas:
            # BLAS is ~3x slower when both operands of a product run along the batch
            # contiguously (x gᵀ): copy them to batch-major first, as the NumPy path has them
            np.dot(np.ascontiguousarray(x.T).T, np.ascontiguousarray(g.T), dW)
        else:
            for k in range(ni):
                for o in range(no):
                    dW[k, o] = dot_rows(x[k], g[o])
        if l2 != 0:
            for k in range(ni):
                for o in range(no):
                    dW[k, o] += W[k, o] * l2
        for o in range(no):
            db[o] = sum_row(g[o])
        if need_dx:
            if use_blas:
                np.dot(W, g, dx)
            else:
                for k in range(ni):
                    for r in range(B):
                        dx[k, r] = 0
                    for o in range(no):
                        w = W[k, o]
                        for r in range(B):
                            dx[k, r] += w * g[o, r]

    @njit(cache=True, error_model="numpy")
    def activation_forward(code, z, a, slope, one, kbits, poly):
        # elementwise over flat 1-D blocks (one loop per activation, so each vectorises);
        # NaN propagates as in NumPy
        zero = one - one
        if code == 1:
            if z.itemsize == 4:
                vtanh32(z, a, kbits, poly)
            else:
                vtanh(z, a, kbits, poly)
        elif code == 3:  # 1/(1+e) or e/(1+e), e = exp(-|z|)
            vsigmoid(z, a, kbits, poly)
        elif code == 2:  # max(z, 0)
            for j in range(z.size):
                v = z[j]
                a[j] = zero if v < zero else v
        else:  # max(z, slope·z)
            for j in range(z.size):
                v = z[j]
                s = v * slope
                a[j] = v if v > s else s

    @njit(cache=True, error_model="numpy")
    def activation_backward(code, a, g, slope, one):
        # g ← g ∘ f'(z), with f' written from the output a (in place on g)
        zero = one - one
        if code == 1:  # 1 - a²
            for j in range(a.size):
                v = a[j]
                g[j] = g[j] * (one - v * v)
        elif code == 2:  # sign(a): 1, 0, or NaN
            for j in range(a.size):
                v = a[j]
                g[j] = g[j] * (one if v > zero else (zero if v == zero else v))
        elif code == 3:  # a (1 - a)
            for j in range(a.size):
                v = a[j]
                g[j] = g[j] * (v * (one - v))
        else:
            for j in range(a.size):
                g[j] = g[j] * (one if a[j] > zero else slope)

    @njit(cache=True, error_model="numpy")
    def loss_kernel(code, z, y, g, nd, half, one, kbits, poly):
        # value (in the dtype) and g = dL/dz of one batch, all (K, B);
        # value and g divided by nd (mean) if nd != 0
        K, B = z.shape
        zero = one - one
        value = zero
        if code == 0:  # softmax cross-entropy, one-hot / probability rows
            logs = zero
            dot = zero
            for r in range(B):
                m = z[0, r]
                for j in range(1, K):
                    if z[j, r] > m:
                        m = z[j, r]
                for j in range(K):
                    s = z[j, r] - m
                    g[j, r] = s
                    dot += y[j, r] * s
            vexp_nonpositive(g.reshape(B * K), kbits, poly)  # g = exp(s)
            for r in range(B):
                total = zero
                for j in range(K):
                    total += g[j, r]
                logs += np.log(total)
                for j in range(K):
                    g[j, r] = g[j, r] / total - y[j, r]
            value = logs - dot
        elif code == 1:  # sigmoid binary cross-entropy via softplus, e = exp(-|z|)
            linear = zero
            soft = zero
            for j in range(K):
                for r in range(B):
                    v = z[j, r]
                    e = np.exp(-abs(v))
                    linear += (zero if v < zero else v) - y[j, r] * v
                    soft += np.log1p(e)
                    g[j, r] = (one if v >= zero else e) / (one + e) - y[j, r]
            value = linear + soft
        else:  # half squared error
            sq = zero
            for j in range(K):
                for r in range(B):
                    diff = z[j, r] - y[j, r]
                    sq += diff * diff
                    g[j, r] = diff
            value = half * sq
        if nd != zero:
            value = value / nd
            for j in range(K):
                for r in range(B):
                    g[j, r] = g[j, r] / nd
        return value

    @njit(cache=True, error_model="numpy")
    def count_correct(code, z, y):
        K, B = z.shape
        correct = 0
        for r in range(B):
            if code == 0:  # argmax(output) == argmax(target), first maximum
                best = 0
                label = 0
                for j in range(1, K):
                    if z[j, r] > z[best, r]:
                        best = j
                    if y[j, r] > y[label, r]:
                        label = j
                correct += best == label
            else:  # every label right: (z > 0) == (y > 0.5)
                ok = True
                for j in range(K):
                    if (z[j, r] > 0) != (y[j, r] > 0.5):
                        ok = False
                correct += ok
        return correct

    @njit(cache=True, error_model="numpy")
    def update_params(
        opt_code,
        lr,
        t,
        flat,
        grads,
        checkpoint,
        hp,
        hp64,
        tmp,
        s_v,
        s_m,
    ):
        # checkpoint ← flat, then the update of optimizers.py, in one pass over the flat
        # vector and in the same operation order (so the same roundings). opt_code: 0 SGD,
        # 1 momentum, 3 Nesterov, 2 Adam (step t counted from 1); lr is the step's rate.
        # Only the optimizer's real state (v, m) is written, not its scratch buffers
        P = flat.size
        if opt_code == 2:  # Adam
            beta1, beta2 = hp[0], hp[1]
            # in float64, as optimizers.Adam
            tmp[0] = lr * math.sqrt(1 - hp64[1] ** np.float64(t)) / (1 - hp64[0] ** np.float64(t))
            lr_d = tmp[0]
            for j in range(P):
                checkpoint[j] = flat[j]
                gj = grads[j]
                s_m[j] = s_m[j] * beta1
                s_m[j] = s_m[j] + gj * hp[2]
                s_v[j] = s_v[j] * beta2
                sq = gj * gj
                sq = sq * hp[3]
                s_v[j] = s_v[j] + sq
                den = np.sqrt(s_v[j]) + hp[4]
                sc = s_m[j] * lr_d
                sc = sc / den
                flat[j] = flat[j] - sc
        else:
            tmp[0] = lr
            lr_d = tmp[0]
            mu = hp[0]
            for j in range(P):
                checkpoint[j] = flat[j]
                st = grads[j] * lr_d
                if opt_code == 0:
                    flat[j] = flat[j] - st
                else:
                    v = s_v[j] * mu
                    v = v - st
                    s_v[j] = v
                    if opt_code == 3:  # Nesterov
                        la = v * mu
                        la = la - st
                        flat[j] = flat[j] + la
                    else:
                        flat[j] = flat[j] + v

    @njit(cache=True, error_model="numpy")
    def epoch(
        X,
        Y,
        order,
        shuffled,
        batch_size,
        flat,
        grads,
        checkpoint,
        spec,
        l2d,
        l2f,
        slopes,
        work,
        consts,
        opt_code,
        lrs,
        hp,
        hp64,
        t0,
        s_v,
        s_m,
        loss_code,
        mean,
        classify,
        kbits,
        poly,
    ):
        """One epoch; returns (data loss, penalty, correct, updates done, status 0/1 NaN/2 inf)."""
        n, n_in = X.shape
        K = Y.shape[1]
        n_ops = spec.shape[0]
        zero, one, half = consts[0], consts[1], consts[2]
        tmp = consts[3:4].copy()  # casts a float64 into the dtype
        total_loss = 0.0
        penalty = 0.0
        correct = 0
        steps = 0
        status = 0
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            B = stop - start
            # gather the batch into the input buffer and the target buffer
            xb = work[0 : B * n_in].reshape((n_in, B))
            yoff = spec[0, 10]
            yb = work[yoff : yoff + B * K].reshape((K, B))
            for r in range(B):
                i = order[start + r] if shuffled else start + r
                for k in range(n_in):
                    xb[k, r] = X[i, k]
                for j in range(K):
                    yb[j, r] = Y[i, j]
            if stop == n:  # the L2 term of the weights the last step starts from
                for i in range(n_ops):
                    if spec[i, 0] == 0 and l2f[i] != 0:
                        W = flat[spec[i, 3] : spec[i, 3] + spec[i, 1] * spec[i, 2]]
                        s = zero
                        for j in range(W.size):
                            s += W[j] * W[j]
                        penalty += 0.5 * l2f[i] * np.float64(s)
            # forward
            out_off = 0
            width = n_in
            for i in range(n_ops):
                ni, no, in_off, out_off = spec[i, 1], spec[i, 2], spec[i, 6], spec[i, 7]
                if spec[i, 0] == 0:
                    x = work[in_off : in_off + B * ni].reshape((ni, B))
                    W = flat[spec[i, 3] : spec[i, 3] + ni * no].reshape((ni, no))
                    b = flat[spec[i, 4] : spec[i, 4] + no]
                    z = work[out_off : out_off + B * no].reshape((no, B))
                    dense_forward(x, W, b, z, spec[i, 9] != 0 and B * ni * no >= spec[i, 9])
                else:
                    activation_forward(
                        spec[i, 5],
                        work[in_off : in_off + B * ni],
                        work[out_off : out_off + B * no],
                        slopes[i],
                        one,
                        kbits,
                        poly,
                    )
                width = no
            output = work[out_off : out_off + B * width].reshape((width, B))
            goff = spec[0, 11]
            gsize = spec[0, 12]
            g = work[goff : goff + B * K].reshape((K, B))
            if mean:
                tmp[0] = B
                nd = tmp[0]
            else:
                nd = zero
            value = np.float64(loss_kernel(loss_code, output, yb, g, nd, half, one, kbits, poly))
            if not np.isfinite(value):
                status = 1 if np.isnan(value) else 2
                break
            # backward: g lives in one of two ping-pong buffers
            side = 0
            for i in range(n_ops - 1, -1, -1):
                ni, no = spec[i, 1], spec[i, 2]
                gcur = work[goff + side * gsize : goff + side * gsize + B * no]
                if spec[i, 0] == 0:
                    x = work[spec[i, 6] : spec[i, 6] + B * ni].reshape((ni, B))
                    W = flat[spec[i, 3] : spec[i, 3] + ni * no].reshape((ni, no))
                    dW = grads[spec[i, 3] : spec[i, 3] + ni * no].reshape((ni, no))
                    db = grads[spec[i, 4] : spec[i, 4] + no]
                    other = goff + (1 - side) * gsize
                    dx = work[other : other + B * ni].reshape((ni, B))
                    need_dx = spec[i, 8] != 0
                    dense_backward(
                        x,
                        gcur.reshape((no, B)),
                        W,
                        dW,
                        db,
                        l2d[i],
                        dx,
                        need_dx,
                        spec[i, 9] != 0 and B * ni * no >= spec[i, 9],
                    )
                    if not need_dx:
                        break
                    side = 1 - side
                else:
                    if spec[i, 8] == 0:  # no parameters below this layer
                        break
                    activation_backward(
                        spec[i, 5], work[spec[i, 7] : spec[i, 7] + B * no], gcur, slopes[i], one
                    )
            # the update, on the flat parameter vector (as optimizers.py)
            update_params(
                opt_code,
                lrs[steps],
                t0 + steps + 1,
                flat,
                grads,
                checkpoint,
                hp,
                hp64,
                tmp,
                s_v,
                s_m,
            )
            steps += 1
            if mean:
                total_loss += value * (B / n)
            else:
                total_loss += value
            if classify >= 0:
                correct += count_correct(classify, output, yb)
        return total_loss, penalty, correct, steps, status

    # ---- kernels of the large-network runner (row-major batches, BLAS products from NumPy)
    @njit(cache=True, error_model="numpy")
    def bias_activation(code, z, b, slope, one, kbits, poly):
        # z ← f(z + b) in place, z (B, n_out) row-major; code 0 is the identity. ReLU and
        # leaky ReLU are fused into the bias pass; tanh and sigmoid run as a second pass
        B, no = z.shape
        zero = one - one
        for r in range(B):
            for o in range(no):
                v = z[r, o] + b[o]
                if code == 2:
                    v = zero if v < zero else v
                elif code == 4:
                    s = v * slope
                    v = v if v > s else s
                z[r, o] = v
        if code == 1 or code == 3:
            flat_z = z.reshape(B * no)
            activation_forward(code, flat_z, flat_z, slope, one, kbits, poly)

    @njit(cache=True, error_model="numpy")
    def add_l2(dW, W, l2):
        # dW ← dW + W·l2 (the L2 term of Dense.param_backward, the same roundings)
        flat_dW = dW.reshape(dW.size)
        flat_W = W.reshape(W.size)
        for j in range(flat_dW.size):
            flat_dW[j] = flat_dW[j] + flat_W[j] * l2

    _kernels["bias_activation"] = bias_activation
    _kernels["activation_forward"] = activation_forward
    _kernels["activation_backward"] = activation_backward
    _kernels["add_l2"] = add_l2
    _kernels["update_params"] = update_params
    _kernels["epoch"] = epoch
    return _kernels


# ---------------------------------------------------------------- the runner


def make_epoch_runner(model, loss, optimizer, *, batch_size: int, n_samples: int):
    """A function running one epoch of ``fit`` in compiled code, or None if unsupported.

    The returned ``runner(X, y, order, checkpoint) -> (logs, diverged)`` takes
    the prepared data (``check_X``, ``loss.check_target``), the epoch's
    permutation (``rng.permutation(n)`` drawn by the caller exactly as
    ``_run_epoch`` does, or None) and the checkpoint array. ``logs`` is the dict
    ``_run_epoch`` returns; ``diverged`` is None, or "NaN" / "infinite" when a
    step's loss was not finite (then nothing of that step was updated and the
    caller restores ``checkpoint``, as for the NumPy path);
    ``runner.last_step`` is the index of that step within the epoch.
    """
    if unsupported_reason(model, loss, optimizer) is not None:
        return None
    kernels = _compile()
    epoch = kernels["epoch"]
    dtype = model.dtype.type
    n = int(n_samples)
    batch_size = min(int(batch_size), n)
    n_steps = -(-n // batch_size)
    flat, grads = model.flat_params, model.flat_grads
    base = flat.__array_interface__["data"][0]
    item = flat.itemsize

    def offset(p):
        return (p.__array_interface__["data"][0] - base) // item

    ops = [layer for layer in model.layers if type(layer) is not L.Identity]
    n_in = model.n_in
    K = model.n_out
    widths = []
    width = n_in
    for layer in ops:
        width = layer.output_size(width)
        widths.append(width)
    max_width = max([n_in, *widths])
    # work buffer: input (B x n_in), targets (B x K), two gradient buffers, layer outputs
    cursor = batch_size * n_in
    y_off = cursor
    cursor += batch_size * K
    g_off, g_size = cursor, batch_size * max_width
    cursor += 2 * g_size
    spec = np.zeros((len(ops), 13), dtype=np.int64)
    l2d = np.zeros(len(ops), dtype=dtype)
    l2f = np.zeros(len(ops), dtype=np.float64)
    slopes = np.zeros(len(ops), dtype=dtype)
    prev_off, prev_is_act, seen_dense = 0, False, False
    width = n_in
    for i, layer in enumerate(ops):
        no = widths[i]
        row = spec[i]
        row[1], row[2], row[6] = width, no, prev_off
        if type(layer) is L.Dense:
            row[0] = 0
            row[3], row[4] = offset(layer.params["W"]), offset(layer.params["b"])
            row[7] = cursor
            cursor += batch_size * no
            row[8] = seen_dense
            row[9] = BLAS_THRESHOLD
            l2d[i], l2f[i] = layer.l2, layer.l2
            seen_dense, prev_is_act = True, False
        else:
            row[0] = 1
            row[5] = _ACT_CODES[type(layer)]
            if prev_is_act:  # the previous activation's output is needed by its backward
                row[7] = cursor
                cursor += batch_size * no
            else:  # in place over the Dense output (or the input copy)
                row[7] = prev_off
            row[8] = seen_dense
            slopes[i] = getattr(layer, "slope", 0.0)
            prev_is_act = True
        prev_off = row[7]
        width = no
    spec[0, 10], spec[0, 11], spec[0, 12] = y_off, g_off, g_size
    work = np.zeros(cursor, dtype=dtype)
    kbits = np.zeros(batch_size * max_width, dtype=np.int64)  # scratch of the vector exp
    poly = np.zeros(2 * batch_size * max_width, dtype=np.float64)
    consts = np.array([0.0, 1.0, 0.5, 0.0], dtype=dtype)
    empty_order = np.zeros(0, dtype=np.intp)
    loss_code = _LOSS_CODES[type(loss)]
    mean = loss.reduction == "mean"
    classify = loss_code if loss_code in (0, 1) else -1
    cache: dict = {}
    memo: dict = {}
    calls_blas = any(row[0] == 0 and batch_size * row[1] * row[2] >= row[9] > 0 for row in spec)
    pools = _other_blas_pools() if calls_blas else []

    def contiguous(a, name):
        if a.dtype == model.dtype and a.flags.c_contiguous:
            return a
        key = (name, id(a))  # convert once per array, not once per epoch
        if key not in cache:
            if len(cache) > 4:
                cache.clear()
            cache[key] = (a, np.ascontiguousarray(a, dtype=model.dtype))
        return cache[key][1]

    def runner(X, y, order, checkpoint):
        if model.flat_params is not flat:
            raise RuntimeError("the model was re-packed; make a new epoch runner")
        if len(X) != n:
            raise ValueError(f"this runner was made for {n} samples, got {len(X)}")
        X = contiguous(X, "X")
        y = contiguous(y, "y")
        if y.ndim != 2:
            raise ValueError(f"y must be the 2-D target from loss.check_target, got {y.shape}")
        opt_code, hp, hp64, states = _optimizer_arguments(model, optimizer, memo)
        s_v, s_m = states
        t0 = optimizer.t
        lr = optimizer.lr
        if isinstance(lr, O.Schedule):
            lrs = np.array([lr(t0 + i) for i in range(n_steps)], dtype=np.float64)
        else:
            if memo.get("lr") != lr:
                memo["lr"], memo["lrs"] = lr, np.full(n_steps, lr, dtype=np.float64)
            lrs = memo["lrs"]
        shuffled = order is not None
        if shuffled:
            order = np.ascontiguousarray(order, dtype=np.intp)
        threads = [pool.num_threads for pool in pools]
        for pool in pools:  # numba's np.dot on one thread: no fight with NumPy's BLAS threads
            pool.set_num_threads(1)
        try:
            results = epoch(
                X,
                y,
                order if shuffled else empty_order,
                shuffled,
                batch_size,
                flat,
                grads,
                checkpoint,
                spec,
                l2d,
                l2f,
                slopes,
                work,
                consts,
                opt_code,
                lrs,
                hp,
                hp64,
                t0,
                s_v,
                s_m,
                loss_code,
                mean,
                classify,
                kbits,
                poly,
            )
        finally:
            for pool, count in zip(pools, threads):
                pool.set_num_threads(count)
        total_loss, penalty, correct, steps, status = results
        optimizer.t = t0 + steps
        runner.last_step = steps
        logs = {"loss": total_loss + penalty, "data_loss": total_loss, "penalty": penalty}
        if classify >= 0:
            logs["accuracy"] = correct / n
        diverged = None if status == 0 else ("NaN" if status == 1 else "infinite")
        return logs, diverged

    runner.last_step = 0
    return runner


def _optimizer_arguments(model, optimizer, memo: dict):
    """(opt_code, hp, hp64, (v, m)) as ``update_params`` takes them.

    Creates the optimizer's flat state as ``optimizer.step`` would, and checks
    it when it changed (``memo`` remembers what was checked and the constants).
    opt_code: 0 SGD, 1 momentum, 3 Nesterov, 2 Adam; hp the constants in the dtype.
    """
    flat, dtype = model.flat_params, model.dtype
    if optimizer.state is None:
        optimizer.state = [optimizer.init_state(flat)]
    state_list = optimizer.state
    if memo.get("state") is not state_list or memo.get("state0") is not state_list[0]:
        problem = _state_problem(model, optimizer)
        if problem:
            raise ValueError(problem)
        memo["state"], memo["state0"] = state_list, state_list[0]
    state = state_list[0]
    empty = np.zeros(0, dtype=dtype)
    if type(optimizer) is O.Adam:
        opt_code = 2
        key = (optimizer.beta1, optimizer.beta2, optimizer.eps)
        if memo.get("hp key") != key:
            b1, b2, eps = key
            memo["hp key"] = key
            memo["hp"] = np.array([b1, b2, 1 - b1, 1 - b2, eps], dtype=dtype)
            memo["hp64"] = np.array([b1, b2], dtype=np.float64)
        states = (state["v"], state["m"])
    else:
        opt_code = 0 if not optimizer.momentum else (3 if optimizer.nesterov else 1)
        key = (optimizer.momentum,)
        if memo.get("hp key") != key:
            memo["hp key"] = key
            memo["hp"] = np.array(key, dtype=dtype)
            memo["hp64"] = np.zeros(2, dtype=np.float64)
        states = (state.get("v", empty), empty)
    return opt_code, memo["hp"], memo["hp64"], states


def _large_plan(model) -> list | None:
    """[(dense, activation code, slope), ...] for Dense layers each followed by at most
    one activation (code 0: none or Identity), or None for any other stack."""
    plan = []
    for layer in model.layers:
        if type(layer) is L.Dense:
            plan.append([layer, 0, 0.0])
        elif not plan or plan[-1][1] != 0:
            return None  # an activation first, or two in a row
        elif type(layer) is not L.Identity:
            plan[-1][1:] = [_ACT_CODES[type(layer)], getattr(layer, "slope", 0.0)]
    return plan


class LargeStep:
    """``training.train_step`` for large networks: NumPy's BLAS products, compiled the rest.

    The matrix products are the NumPy path's own calls (``np.matmul`` with
    ``out=``, so BLAS runs them on every core); everything between them is one
    compiled pass each: the bias with the activation (z ← f(xW + b) in place),
    the activation's derivative applied in place to dx, the L2 term, and the
    checkpoint copy fused with the optimizer update. Plain SGD skips the last
    two: its update is the weight gradient's product (``backward(sgd_lr=)``).
    The loss and the accuracy are the NumPy path's (``loss.compute``), on the
    small output.
    Called as ``step(model, loss, optimizer, xb, yb, checkpoint=...)``.
    """

    def __init__(self, model, plan) -> None:
        self.kernels = _compile()
        self.dtype, self.flat_grads = model.dtype, model.flat_grads
        self.flat = model.flat_params
        self.plan = plan
        dtype = model.dtype.type
        self.one = dtype(1)
        self.slopes = [dtype(slope) for _, _, slope in plan]
        self.tmp = np.zeros(1, dtype=dtype)
        self.memo: dict = {}
        self.buffers: dict = {}
        self.gemm = _blas.numpy_gemm(model.dtype)  # None: no fused SGD, np.matmul only
        self.bias_steps = [np.empty(dense.n_out, dtype) for dense, _, _ in plan]  # lr·db
        self.scratch = None  # update's copy of the weights, for a step that keeps none
        self.products: list = [None] * len(plan)  # each layer's gemm (_blas.Product)

    def _buffers(self, rows: int):
        """Per batch size: the layer outputs z_i (B, n_out) and inputs' gradients (B, n_in)."""
        if rows not in self.buffers:
            dtype, widest = self.dtype, max(dense.n_out for dense, _, _ in self.plan)
            self.buffers.clear()  # one batch size at a time (the last batch may be smaller)
            self.buffers[rows] = (
                [np.empty((rows, dense.n_out), dtype) for dense, _, _ in self.plan],
                [np.empty((rows, dense.n_in), dtype) for dense, _, _ in self.plan],
                np.zeros(rows * widest, dtype=np.int64),  # scratch of the vector exp
                np.zeros(2 * rows * widest, dtype=np.float64),
            )
        return self.buffers[rows]

    def forward(self, x):
        """z_i ← f(a W_i + b_i), layer by layer, into the buffers; returns the output (logits)."""
        k = self.kernels
        outputs, _, kbits, poly = self._buffers(len(x))
        a = x
        for i, (dense, code, _) in enumerate(self.plan):
            z = np.matmul(a, dense.params["W"], out=outputs[i])
            k["bias_activation"](code, z, dense.params["b"], self.slopes[i], self.one, kbits, poly)
            a = z
        return a

    def backward(self, x, g, sgd_lr=None) -> None:
        """dW = xᵀg (+ l2·W), db = Σ_rows g, then g ← (g Wᵀ) ∘ f'(a) for the layer below.

        With ``sgd_lr`` (plain SGD, NumPy's BLAS found) the update happens here, layer
        by layer, once g Wᵀ has used the old weights: one BLAS call
        W ← (1 - lr·l2)·W - lr·xᵀg (gemm's β·C + α·A·B) replaces the dW product,
        the L2 pass and the update pass; then b ← b - lr·db as ``SGD.update``.
        """
        k = self.kernels
        outputs, input_grads, _, _ = self._buffers(len(x))
        for i in range(len(self.plan) - 1, -1, -1):
            dense = self.plan[i][0]
            W, dW = dense.params["W"], dense.grads["W"]
            below = x if i == 0 else outputs[i - 1]
            db = column_sums(g, out=dense.grads["b"])
            g_below = None if i == 0 else np.matmul(g, W.T, out=input_grads[i])
            if sgd_lr is None:
                np.matmul(below.T, g, out=dW)
                if dense.l2:
                    k["add_l2"](dW, W, self.dtype.type(dense.l2))
            else:
                product = self.products[i]  # W ← βW + α·belowᵀg, checked once for these arrays
                if product is None or product.a is not below or product.b is not g:
                    product = self.products[i] = self.gemm.product(below, g, W, trans_a=True)
                product(-sgd_lr, 1.0 - sgd_lr * dense.l2)
                b = dense.params["b"]
                b -= np.multiply(db, sgd_lr, out=self.bias_steps[i])
            if i == 0:
                break
            g = g_below
            code = self.plan[i - 1][1]
            if code:
                k["activation_backward"](
                    code, below.reshape(-1), g.reshape(-1), self.slopes[i - 1], self.one
                )

    def update(self, optimizer, checkpoint, arguments, lr) -> None:
        """checkpoint ← weights, then the optimizer's update at rate ``lr``: one compiled pass.

        ``arguments``: ``_optimizer_arguments(model, optimizer, self.memo)``.
        """
        opt_code, hp, hp64, states = arguments
        self.kernels["update_params"](
            opt_code,
            lr,
            optimizer.t + 1,
            self.flat,
            self.flat_grads,
            checkpoint,
            hp,
            hp64,
            self.tmp,
            *states,
        )
        optimizer.t += 1

    def fuses_sgd(self, arguments, x) -> bool:
        """Whether ``backward`` applies the update itself: plain SGD (``arguments``: from
        ``_optimizer_arguments``), NumPy's gemm found, and a row-major batch."""
        return arguments[0] == 0 and self.gemm is not None and _blas.row_stride(x) is not None

    def __call__(self, model, loss, optimizer, x, y, *, checkpoint):
        if model.flat_params is not self.flat:
            raise RuntimeError("the model was re-packed during training")
        output = self.forward(x)
        value = loss.compute(output, y)
        if not math.isfinite(value):
            return value, output
        try:
            g = loss.backward()
            arguments = _optimizer_arguments(model, optimizer, self.memo)
            lr = optimizer.current_lr()
            fused = self.fuses_sgd(arguments, x)
            if not fused:
                self.backward(x, g)
        except KeyboardInterrupt:  # as train_step: the weights of this loss are kept
            if checkpoint is not None:
                np.copyto(checkpoint, self.flat)
            raise
        if fused:  # plain SGD: checkpoint first, then backward updates layer by layer
            if checkpoint is not None:  # (interrupted, fit restores it: never half done)
                np.copyto(checkpoint, self.flat)
            self.backward(x, g, sgd_lr=lr)
            optimizer.t += 1
        else:  # the copy is fused with the update (never half done)
            self.update(optimizer, self.copy_target(checkpoint), arguments, lr)
        return value, output

    def copy_target(self, checkpoint):
        """``checkpoint``, or for a step that keeps none (fit replaying plain SGD's steps
        without NumPy's gemm) a scratch array: ``update``'s fused copy needs one."""
        if checkpoint is not None:
            return checkpoint
        if self.scratch is None:
            self.scratch = np.empty_like(self.flat)
        return self.scratch


_large_steps: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _large_step_for(model, plan) -> LargeStep:
    """The model's ``LargeStep``, kept from one ``fit`` call to the next with its buffers.

    Made afresh for every call, the step (with 23 MB of buffers on W5) made a
    one-epoch W5 ``fit`` call 2-3 % slower (measured 2026-12-03). A re-packed
    model or another plan gets a new one; the step holds no reference to the
    model (a weak key), so it goes when the model goes.
    """
    step = _large_steps.get(model)
    if step is None or step.flat is not model.flat_params or step.plan != plan:
        step = _large_steps[model] = LargeStep(model, plan)
    return step


# Above this many multiply-adds per training step the matrix products dominate and
# NumPy's BLAS calls (on every core), with ``LargeStep`` between them, beat the epoch
# kernel's per-step savings. Measured 2026-12-03, fit's time per step, epoch kernel over
# LargeStep (ReLU, float64, plain SGD; Adam alike): 0.61M multiply-adds (W3,
# 64->128->10, batch 64) 0.62; 0.87M (32->64x64->10, 128) 0.71; 1.1M (100->100->10, 100)
# 0.75-0.79; 1.7M (16->256->10, 256) 1.13-1.24; 2.4M (64->512->10, 64) 1.16-1.2; 3.3M
# (784->32->10, 128) 1.7, as its 784-wide input is gathered into the kernel's
# feature-major batch; 4.5M (8->256x256->10, 64) 1.17-1.25; 4.9M (32->128x128x128->10,
# 128) 1.17-1.19. The threshold was 10M until then, from shapes that favoured the kernel.
LARGE_STEP = 1_500_000


# The epoch kernel copies every batch into its feature-major layout (and the first
# layer's input back to batch-major for its weight gradient): with wide inputs that
# costs more than LargeStep's Python. Measured 2026-12-03 (fit per step, epoch kernel
# over LargeStep): 784->16->10 at batch 16 (12.5k input values) 0.8; 256->32->10 at
# 64 (16k) 0.98; 784->8->10 at 32 (25k) 1.26; 10->8->10 at 5000 (50k) 1.1;
# 784->16->10 at 64 (50k) 1.86, where the NumPy engine took 135 µs and the kernel 250.
LARGE_BATCH_INPUT = 20_000


def takes_large_step(model, batch_size: int) -> bool:
    """Whether ``engine="numba"`` trains with ``LargeStep`` rather than whole compiled
    epochs: over ``LARGE_STEP`` multiply-adds or ``LARGE_BATCH_INPUT`` input values a step."""
    return (
        multiply_adds_per_step(model, batch_size) > LARGE_STEP
        or batch_size * model.n_in > LARGE_BATCH_INPUT
    )


def multiply_adds_per_step(model, batch_size: int) -> int:
    """batch size × Σ n_in·n_out over the Dense layers: the forward products' work."""
    return batch_size * sum(
        layer.n_in * layer.n_out for layer in model.layers if isinstance(layer, L.Dense)
    )


def run_epoch(model, loss, optimizer, X, y, truth, batch_size, shuffle, rng, checkpoint, buffers):
    """Drop-in for ``training._run_epoch`` (same arguments, same logs) using the compiled path.

    The runner is made once per ``fit`` call and kept in ``buffers``. A large
    network or batch (``takes_large_step``) runs NumPy's ``_run_epoch`` with
    ``LargeStep`` as its step; an unsupported combination, NumPy's
    ``_run_epoch`` as it is.
    """
    key = "compiled epoch runner"
    if key not in buffers:
        plan = None
        if takes_large_step(model, batch_size) and not unsupported_reason(model, loss, optimizer):
            plan = _large_plan(model)
        if plan is not None:
            buffers[key] = _large_step_for(model, plan)
        elif multiply_adds_per_step(model, batch_size) > LARGE_STEP:
            buffers[key] = None  # too large for the epoch kernel: NumPy's epoch
        else:
            buffers[key] = make_epoch_runner(
                model, loss, optimizer, batch_size=batch_size, n_samples=len(X)
            )
    runner = buffers[key]
    if runner is None or isinstance(runner, LargeStep):
        arguments = (X, y, truth, batch_size, shuffle, rng, checkpoint, buffers)
        return _numpy_run_epoch(model, loss, optimizer, *arguments, step=runner)
    n = len(X)
    order = rng.permutation(n) if shuffle and batch_size < n else None
    logs, diverged = runner(X, y, order, checkpoint.every_step())
    if diverged is not None:
        raise training._Diverged(diverged)
    return logs
