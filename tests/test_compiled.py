"""The optional compiled path (nnscratch.compiled) agrees with the NumPy fit."""

import copy
import subprocess
import sys

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.optimizers import Schedule

pytest.importorskip("numba")
from nnscratch import compiled  # noqa: E402


def fit_with(engine, model, loss, optimizer, X, y, **kwargs):
    """nn.fit with the NumPy epoch or the compiled one."""
    return nn.fit(model, loss, optimizer, X, y, engine=engine, **kwargs)


def both(model, loss, optimizer, X, y, **kwargs):
    runs = {}
    for engine in ("numpy", "numba"):
        m, lo, opt = copy.deepcopy((model, loss, optimizer))
        history = fit_with(engine, m, lo, opt, X, y, **kwargs)
        runs[engine] = (m, opt, history)
    return runs["numpy"], runs["numba"]


def close(actual, expected, rtol):
    """Norm-wise relative agreement: max |a - e| <= rtol * max |e|."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    assert actual.shape == expected.shape
    scale = max(np.abs(expected).max(), 1e-300)
    assert np.abs(actual - expected).max() <= rtol * scale, np.abs(actual - expected).max() / scale


def assert_agree(reference, candidate, rtol):
    (m0, opt0, h0), (m1, opt1, h1) = reference, candidate
    close(m1.flat_params, m0.flat_params, rtol)
    assert h1.epoch == h0.epoch and set(h1.keys()) == set(h0.keys())
    for key in h0.keys():
        close(h1[key], h0[key], rtol)
    assert opt1.t == opt0.t
    for key, value in opt0.state[0].items():
        if key in ("v", "m"):
            close(opt1.state[0][key], value, rtol * 10)
    assert h1.diverged == h0.diverged and h1.stop_reason == h0.stop_reason


@pytest.fixture(params=["epoch kernel", "large step"])
def path(request, monkeypatch):
    """Run a test on both compiled paths: whole epochs in numba, or (as for networks
    over LARGE_STEP) NumPy's matrix products with compiled elementwise passes."""
    if request.param == "large step":
        monkeypatch.setattr(compiled, "LARGE_STEP", 0)
    return request.param


@pytest.fixture(scope="module")
def moons():
    from nnscratch.datasets import make_moons

    np.random.seed(0)
    return make_moons(200, noise=0.2)


def test_seed001_full_run_matches_numpy_and_the_oracle(moons):
    X, y = moons
    model = nn.build_mlp(2, [8], 2, activation="tanh", l2=0.01, rng=0)
    reference, candidate = both(
        model, nn.SoftmaxCrossEntropy("sum"), nn.SGD(0.01), X, y, epochs=20000
    )
    assert_agree(reference, candidate, 1e-12)
    final = nn.evaluate(candidate[0], nn.SoftmaxCrossEntropy("sum"), X, y)
    assert abs(final["loss"] / len(X) - 0.030485996193583775) <= 1e-10 * 0.030485996193583775
    assert final["accuracy"] == 0.99


ACTIVATIONS = ["tanh", "relu", "sigmoid", "leaky_relu", "identity"]
# learning rates in a stable regime: a chaotic run amplifies rounding differences
OPTIMIZERS = {
    "sgd": lambda scale: nn.SGD(0.05 * scale),
    "momentum": lambda scale: nn.SGD(0.05 * scale, momentum=0.9),
    "nesterov": lambda scale: nn.SGD(0.05 * scale, momentum=0.9, nesterov=True),
    "adam": lambda scale: nn.Adam(0.01),
}


def problem(kind, dtype, seed=0, n=37, n_in=3, n_out=3):
    """Data and a loss for a classifier (softmax/BCE) or a regression (MSE)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in))
    if kind == "softmax":
        return X, rng.integers(0, n_out, n), nn.SoftmaxCrossEntropy("mean")
    if kind == "bce":
        return X, (rng.random((n, n_out)) > 0.5).astype(float), nn.SigmoidBinaryCrossEntropy("sum")
    return X, rng.standard_normal((n, n_out)), nn.MSE("mean")


def scale(loss):
    """A summed loss over a batch of 8 takes a step 8 times longer: shorten it."""
    return 1 / 8 if loss.reduction == "sum" else 1.0


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("kind", ["softmax", "bce", "mse"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_minibatch_runs_agree_float64(activation, kind, optimizer, path):
    X, y, loss = problem(kind, np.float64)
    model = nn.build_mlp(3, [6, 5], 3, activation=activation, l2=0.003, rng=1)
    reference, candidate = both(
        model, loss, OPTIMIZERS[optimizer](scale(loss)), X, y, epochs=50, batch_size=8, rng=3
    )
    assert_agree(reference, candidate, 1e-12)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["softmax", "bce", "mse"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_minibatch_runs_agree_float32(activation, kind, optimizer, path):
    X, y, loss = problem(kind, np.float32)
    model = nn.build_mlp(3, [6, 5], 3, activation=activation, l2=0.003, rng=1, dtype=np.float32)
    reference, candidate = both(
        model, loss, OPTIMIZERS[optimizer](scale(loss)), X, y, epochs=20, batch_size=8, rng=3
    )
    assert candidate[0].flat_params.dtype == np.float32
    assert all(a.dtype == np.float32 for a in candidate[1].state[0].values())
    assert_agree(reference, candidate, 1e-5)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_full_batch_sum_and_mean_and_a_schedule(moons, reduction):
    X, y = moons
    model = nn.build_mlp(2, [4], 2, activation="tanh", l2=0.01, rng=0)
    optimizer = nn.SGD(nn.ExponentialDecay(0.05, 0.99), momentum=0.5)
    reference, candidate = both(
        model,
        nn.SoftmaxCrossEntropy(reduction),
        optimizer,
        X,
        y,
        epochs=100,
        validation_split=0.25,
    )
    assert_agree(reference, candidate, 1e-12)
    assert "val_loss" in candidate[2].keys()


def test_unusual_layer_orders(moons, path):
    """An activation first, two in a row, Identity, an activation after the last Dense."""
    X, y = moons
    model = nn.Sequential(
        nn.Tanh(),
        nn.Dense(2, 5, l2=0.01, rng=0),
        nn.LeakyReLU(0.1),
        nn.Sigmoid(),
        nn.Identity(),
        nn.Dense(5, 2, rng=1),
        nn.Tanh(),
    )
    reference, candidate = both(
        model,
        nn.MSE("sum"),
        nn.SGD(0.005, momentum=0.5),
        X,
        np.eye(2)[y],
        epochs=50,
        batch_size=50,
        rng=0,
    )
    assert_agree(reference, candidate, 1e-12)


def test_mixing_engines_between_epochs(moons, path):
    X, y = moons
    model = nn.build_mlp(2, [5, 4], 2, activation="relu", rng=2)
    loss, optimizer = nn.SoftmaxCrossEntropy(), nn.Adam(0.01)
    ref = copy.deepcopy((model, loss, optimizer))
    fit_with("numpy", *ref, X, y, epochs=30, batch_size=32, rng=np.random.RandomState(5))
    rng = np.random.RandomState(5)
    for engine in ("numpy", "numba", "numpy"):
        fit_with(engine, model, loss, optimizer, X, y, epochs=10, batch_size=32, rng=rng)
    close(model.flat_params, ref[0].flat_params, 1e-12)
    assert optimizer.t == ref[2].t
    for key in ("m", "v"):
        close(optimizer.state[0][key], ref[2].state[0][key], 1e-11)


class Growing(Schedule):
    """lr(t) = 0.01 · 1.5^t: training must blow up after a while."""

    def __call__(self, t):
        return 0.01 * 1.5**t


@pytest.mark.parametrize("batch_size", [None, 16])
def test_divergence_stops_at_the_same_step_with_the_same_weights(moons, batch_size, path):
    X, y = moons
    X = X * 30.0
    model = nn.build_mlp(2, [6], 2, activation="relu", rng=0)
    optimizer = nn.SGD(Growing())  # the step grows until the loss overflows
    with pytest.warns(nn.DivergenceWarning):
        reference, candidate = both(
            model,
            nn.MSE("sum"),
            optimizer,
            X,
            np.eye(2)[y],
            epochs=200,
            batch_size=batch_size,
            rng=0,
        )
    (m0, opt0, h0), (m1, opt1, h1) = reference, candidate
    assert h0.diverged and h1.diverged
    assert h1.stop_reason == h0.stop_reason and len(h1) == len(h0)
    assert opt1.t == opt0.t
    assert np.isfinite(m1.flat_params).all()
    close(m1.flat_params, m0.flat_params, 1e-12)


def test_unsupported_combinations_fall_back_to_numpy(moons):
    X, y = moons
    plain = nn.build_mlp(2, [4], 2, rng=0)
    dropout = nn.build_mlp(2, [4], 2, dropout=0.2, rng=0)
    assert compiled.unsupported_reason(plain, nn.SoftmaxCrossEntropy(), nn.SGD(0.1)) is None
    assert "Dropout" in compiled.unsupported_reason(dropout, nn.SoftmaxCrossEntropy(), nn.SGD())
    assert "CrossEntropy" in compiled.unsupported_reason(plain, nn.CrossEntropy(), nn.SGD())
    assert "RMSProp" in compiled.unsupported_reason(plain, nn.MSE(), nn.RMSProp())
    runner = compiled.make_epoch_runner(
        plain, nn.SoftmaxCrossEntropy(), nn.RMSProp(), batch_size=200, n_samples=200
    )
    assert runner is None
    # asked for explicitly, the compiled engine refuses what it cannot run, naming why
    with pytest.raises(ValueError, match="RMSProp"):
        nn.fit(plain, nn.MSE(), nn.RMSProp(0.01), X, np.eye(2)[y], epochs=5, engine="numba")
    with pytest.raises(ValueError, match="engine"):
        nn.fit(plain, nn.MSE(), nn.SGD(0.01), X, np.eye(2)[y], epochs=5, engine="cuda")


def test_runner_api(moons):
    X, y = moons
    model = nn.build_mlp(2, [3], 2, activation="tanh", l2=0.01, rng=0)
    loss, optimizer = nn.SoftmaxCrossEntropy("sum"), nn.SGD(0.01)
    runner = compiled.make_epoch_runner(model, loss, optimizer, batch_size=200, n_samples=200)
    checkpoint = model.flat_params.copy()
    logs, diverged = runner(X, loss.check_target(y, 2), None, checkpoint)
    assert diverged is None and optimizer.t == 1 and runner.last_step == 1
    assert set(logs) == {"loss", "data_loss", "penalty", "accuracy"}


def test_import_nnscratch_does_not_import_numba():
    code = "import sys, nnscratch; assert 'numba' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_large_networks_take_the_large_step(monkeypatch):
    """Over LARGE_STEP multiply-adds the products stay NumPy's. Nesterov (and without
    NumPy's gemm, plain SGD too) gives the very same bits as engine="numpy"; plain SGD's
    update fused into the weight-gradient product rounds differently, within 1e-12."""
    rng = np.random.RandomState(0)
    X, y = rng.standard_normal((512, 300)), rng.randint(0, 10, 512)
    model = nn.build_mlp(300, [256, 64], 10, activation="relu", l2=1e-3, rng=0)
    assert compiled.multiply_adds_per_step(model, 120) > compiled.LARGE_STEP
    calls = []
    step = compiled.LargeStep.__call__
    monkeypatch.setattr(
        compiled.LargeStep, "__call__", lambda self, *a, **k: calls.append(1) or step(self, *a, **k)
    )
    settings = dict(epochs=2, batch_size=120, rng=0)
    nesterov = nn.SGD(0.01, momentum=0.9, nesterov=True)
    assert_agree(*both(model, nn.SoftmaxCrossEntropy(), nesterov, X, y, **settings), 0.0)
    fused = both(model, nn.SoftmaxCrossEntropy(), nn.SGD(0.01), X, y, **settings)
    assert_agree(*fused, 1e-12)
    assert not np.array_equal(fused[0][0].flat_params, fused[1][0].flat_params)  # it was fused
    monkeypatch.setattr(compiled._blas, "numpy_gemm", lambda dtype: None)
    assert_agree(*both(model, nn.SoftmaxCrossEntropy(), nn.SGD(0.01), X, y, **settings), 0.0)
    assert len(calls) == 3 * 2 * 5  # three fits of 2 epochs of 5 steps (the last one of 32 rows)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_sgd_step_is_sgd(monkeypatch, dtype):
    """One large step with plain SGD and L2: W ← (1 - lr·l2)·W - lr·xᵀg, b ← b - lr·Σg,
    the checkpoint holds the weights the step started from, and dW is never written."""
    monkeypatch.setattr(compiled, "LARGE_STEP", 0)
    rng = np.random.RandomState(1)
    X, y = rng.standard_normal((40, 6)).astype(dtype), rng.randint(0, 3, 40)
    model = nn.build_mlp(6, [5], 3, activation="relu", l2=0.1, rng=0, dtype=dtype)
    reference = copy.deepcopy(model)
    step = compiled.LargeStep(model, compiled._large_plan(model))
    assert step.gemm is not None
    loss, targets = nn.SoftmaxCrossEntropy(), nn.SoftmaxCrossEntropy().check_target(y, 3)
    checkpoint = np.zeros_like(model.flat_params)
    model.flat_grads[:] = 7  # a dW written by the step would show
    optimizer = nn.SGD(0.5)
    value, _ = step(model, loss, optimizer, X, targets, checkpoint=checkpoint)
    np.testing.assert_array_equal(checkpoint, reference.flat_params)
    expected_loss = nn.SoftmaxCrossEntropy().compute(reference.forward(X), targets)
    assert value == pytest.approx(expected_loss, rel=1e-6)
    nn.train_step(reference, loss, nn.SGD(0.5), X, targets)
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(model.flat_params, reference.flat_params, rtol=tolerance, atol=0)
    for dense in (model.layers[0], model.layers[2]):
        assert np.all(dense.grads["W"] == 7)
    assert optimizer.t == 1 and model.flat_params.dtype == dtype


def test_large_step_plan():
    """Dense layers each followed by at most one activation; anything else: NumPy's epoch."""
    dense = nn.Dense(2, 3, rng=0)
    plan = compiled._large_plan(nn.Sequential(dense, nn.LeakyReLU(0.2), nn.Dense(3, 2, rng=0)))
    assert [(code, slope) for _, code, slope in plan] == [(4, 0.2), (0, 0.0)]
    assert plan[0][0] is dense
    assert compiled._large_plan(nn.Sequential(nn.Tanh(), nn.Dense(2, 2, rng=0))) is None
    two = nn.Sequential(nn.Dense(2, 2, rng=0), nn.Tanh(), nn.Sigmoid(), nn.Dense(2, 2, rng=0))
    assert compiled._large_plan(two) is None
    identity = nn.Sequential(nn.Dense(2, 2, rng=0), nn.Identity(), nn.Dense(2, 2, rng=0))
    assert [code for _, code, _ in compiled._large_plan(identity)] == [0, 0]


@pytest.mark.parametrize("momentum", [0.0, 0.5])  # the fused update, the compiled pass
def test_ctrl_c_in_the_large_step_keeps_the_start_of_the_step(monkeypatch, momentum):
    """As with train_step: interrupted after its loss, a step leaves the weights it started
    from (fit restores the checkpoint), never a half-applied update."""
    monkeypatch.setattr(compiled, "LARGE_STEP", 0)
    rng = np.random.RandomState(0)
    X, y = rng.standard_normal((64, 5)), rng.randint(0, 3, 64)
    calls = []
    column_sums = compiled.column_sums

    def interrupting(g, out):
        calls.append(1)
        if len(calls) == 2 * 4 + 2:  # two layers a step: the lower layer of step 5
            raise KeyboardInterrupt  # (plain SGD has updated the upper layer already)
        return column_sums(g, out=out)

    monkeypatch.setattr(compiled, "column_sums", interrupting)
    model = nn.build_mlp(5, [7], 3, activation="relu", rng=0)
    reference = copy.deepcopy(model)
    loss = nn.SoftmaxCrossEntropy()
    history = fit_with("numba", model, loss, nn.SGD(0.1, momentum), X, y, epochs=20)
    assert history.interrupted and len(history) == 4
    monkeypatch.setattr(compiled, "column_sums", column_sums)
    fit_with("numba", reference, loss, nn.SGD(0.1, momentum), X, y, epochs=4)
    np.testing.assert_array_equal(model.flat_params, reference.flat_params)


def test_scipys_blas_runs_on_one_thread_during_a_compiled_epoch(monkeypatch, moons):
    """numba's np.dot calls SciPy's BLAS: one thread while a kernel runs (no fight with
    NumPy's spinning BLAS threads), the user's thread count back afterwards, even after
    Ctrl-C; a kernel that calls no BLAS leaves the pools alone."""
    pools = compiled._other_blas_pools()
    if not pools:
        pytest.skip("NumPy and SciPy share one BLAS here")
    before = [pool.num_threads for pool in pools]
    seen = []
    kernel = compiled._compile()["epoch"]

    def watching(*args):
        seen.append([pool.num_threads for pool in pools])
        if len(seen) == 3:
            raise KeyboardInterrupt
        return kernel(*args)

    monkeypatch.setitem(compiled._kernels, "epoch", watching)
    X, y = moons
    loss = nn.SoftmaxCrossEntropy()
    wide = nn.build_mlp(2, [50, 50], 2, activation="tanh", rng=0)  # 200x50x50: BLAS
    history = fit_with("numba", wide, loss, nn.SGD(0.01), X, y, epochs=5)
    assert history.interrupted and seen == [[1] * len(pools)] * 3
    assert [pool.num_threads for pool in pools] == before
    seen.clear()
    narrow = nn.build_mlp(2, [3], 2, activation="tanh", rng=0)  # W1: explicit loops
    fit_with("numba", narrow, loss, nn.SGD(0.01), X, y, epochs=2)
    assert seen == [before, before]


def test_the_large_step_is_kept_from_one_fit_call_to_the_next(monkeypatch):
    """Its buffers are not made afresh every call; a changed l2 still counts, another plan
    gets its own step, and the kept step does not keep the model alive."""
    import gc
    import weakref

    monkeypatch.setattr(compiled, "LARGE_STEP", 0)
    rng = np.random.RandomState(0)
    X, y = rng.standard_normal((64, 5)), rng.randint(0, 3, 64)
    model = nn.build_mlp(5, [7], 3, activation="relu", rng=0)
    reference = copy.deepcopy(model)
    loss = nn.SoftmaxCrossEntropy()
    for momentum in (0.0, 0.5):  # the fused update, the compiled pass (and add_l2)
        for engine, m in (("numba", model), ("numpy", reference)):
            optimizer = nn.SGD(0.1, momentum)
            m.layers[0].l2 = 0.0
            fit_with(engine, m, loss, optimizer, X, y, epochs=2, batch_size=16, rng=0)
            m.layers[0].l2 = 0.5  # between two calls: the second one must see it
            fit_with(engine, m, loss, optimizer, X, y, epochs=2, batch_size=16, rng=1)
        close(model.flat_params, reference.flat_params, 1e-12)
    step = compiled._large_steps[model]
    buffer = step._buffers(16)[0][0]
    fit_with("numba", model, loss, nn.SGD(0.1), X, y, epochs=1, batch_size=16)
    assert compiled._large_steps[model] is step and step._buffers(16)[0][0] is buffer
    model.layers[1] = nn.Tanh()  # another plan: another step
    fit_with("numba", model, loss, nn.SGD(0.1), X, y, epochs=1, batch_size=16)
    assert compiled._large_steps[model] is not step
    alive = weakref.ref(model)
    del model, step
    gc.collect()
    assert alive() is None


def test_wide_batches_take_the_large_step():
    """Under LARGE_STEP multiply-adds, a batch of over LARGE_BATCH_INPUT input values still
    takes LargeStep (the epoch kernel's feature-major copies cost more), with the same
    results as the NumPy engine; a narrower batch stays in the epoch kernel."""
    rng = np.random.RandomState(0)
    X, y = rng.standard_normal((128, 784)), rng.randint(0, 10, 128)
    wide = nn.build_mlp(784, [16], 10, activation="relu", rng=0)
    assert compiled.multiply_adds_per_step(wide, 64) <= compiled.LARGE_STEP
    assert compiled.takes_large_step(wide, 64) and not compiled.takes_large_step(wide, 16)
    assert not compiled.takes_large_step(nn.build_mlp(64, [128], 10, rng=0), 64)  # W3
    loss = nn.SoftmaxCrossEntropy()
    for batch_size, large in ((64, True), (16, False)):
        settings = dict(epochs=2, batch_size=batch_size, rng=0)
        reference, candidate = both(wide, loss, nn.SGD(0.01), X, y, **settings)
        assert_agree(reference, candidate, 1e-12)
        assert (candidate[0] in compiled._large_steps) == large
