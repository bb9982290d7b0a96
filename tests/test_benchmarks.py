"""The benchmark harness (benchmarks/): its contestants train the same net, and smoke mode runs.

The speed numbers mean something only if every contestant does the same work:
on W1 (the seed) the hand-written loop, PyTorch, scikit-learn and
``fit(engine="numba")`` must reach nnscratch's first losses and updated
weights to ~1e-12. The smoke test runs
the harness's functions in-process on every workload, with W4/W5's hidden
layers shrunk so the test stays fast (``benchmarks/run.py --smoke`` runs
them at full size).
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # benchmarks/ is not installed: import it from the checkout
    sys.path.insert(0, str(ROOT))

from benchmarks import measure  # noqa: E402
from benchmarks import run as bench  # noqa: E402
from benchmarks.contestants import (  # noqa: E402
    BareMatmul,
    NnscratchFit,
    NnscratchNumba,
    ReferenceLoop,
    SklearnMLP,
    TorchEager,
    torch_available,
)
from benchmarks.workloads import WORKLOADS, initial_params, load_data  # noqa: E402
from nnscratch.optimizers import SGD  # noqa: E402

TOL = {"rtol": 1e-12, "atol": 1e-12}
needs_torch = pytest.mark.skipif(not torch_available(), reason="PyTorch is not installed")


def _numba_available() -> bool:
    from nnscratch import compiled

    return compiled.available()


needs_numba = pytest.mark.skipif(not _numba_available(), reason="numba is not installed")


def _setup(workload, n_samples=None):
    X, y = load_data(workload, np.float64, n_samples=n_samples)
    return X, y, initial_params(workload, np.float64)


def _assert_same(weights_a, weights_b):
    assert len(weights_a) == len(weights_b)
    for (Wa, ba), (Wb, bb) in zip(weights_a, weights_b):
        np.testing.assert_allclose(Wa, Wb, **TOL)
        np.testing.assert_allclose(ba, bb, **TOL)


@pytest.mark.parametrize("rows", ["range", "arange"])
def test_the_hand_written_loop_is_nnscratchs_net_on_w1(rows):
    w = WORKLOADS["W1"]
    X, y, params = _setup(w)
    model = NnscratchFit(w, X, y, params)
    loop = ReferenceLoop(w, X, y, params, rows=rows)
    losses = []
    for _ in range(3):
        losses.append(loop.objective(X, y))
        loop.run(1)
    model.run(3)
    np.testing.assert_allclose(losses, model.history["loss"], **TOL)
    _assert_same(loop.weights(), model.weights())


@needs_torch
def test_torch_is_nnscratchs_net_on_w1():
    w = WORKLOADS["W1"]
    X, y, params = _setup(w)
    model = NnscratchFit(w, X, y, params)
    torch_net = TorchEager(w, X, y, params, threads=1)
    torch_net.record = True
    torch_net.run(3)
    model.run(3)
    np.testing.assert_allclose(torch_net.first_losses, model.history["data_loss"], **TOL)
    _assert_same(torch_net.weights(), model.weights())


@needs_numba
def test_the_numba_engine_is_nnscratchs_net_on_w1():
    # ~8 s: numba compiles the epoch kernel for float64 (warm=False skips the extra warm-up)
    w = WORKLOADS["W1"]
    X, y, params = _setup(w)
    model = NnscratchFit(w, X, y, params)
    compiled_model = NnscratchNumba(w, X, y, params, warm=False)
    assert compiled_model.engine == "numba"
    model.run(3)
    compiled_model.run(3)
    np.testing.assert_allclose(compiled_model.history["loss"], model.history["loss"], **TOL)
    _assert_same(compiled_model.weights(), model.weights())


def test_without_numba_its_rows_are_dashes(monkeypatch):
    from nnscratch import compiled

    monkeypatch.setattr(compiled, "available", lambda: False)
    names = ["nnscratch", "nnscratch_numba", "loop"]
    row = bench.bench_workload("W1", np.float64, smoke=True, names=names, threads=None)
    assert set(row["per_step_s"]) == {"nnscratch", "loop"}
    assert row["ratio_numba"] == {} and "numba" in row["numba_unavailable"]
    results = {"mode": "smoke", "workloads": [row]}
    text = bench.render(results)
    assert "– (numba is not installed)" in text
    assert [t["engine"] for t in bench.targets(results)] == ["numpy"]


def test_sklearn_is_nnscratchs_net_on_w1():
    # On two classes scikit-learn has one logistic output unit z. With nnscratch's output
    # weights [0, w] (logits [0, z]) both nets compute the same loss and the same hidden
    # gradient, and scikit-learn's w after one step equals nnscratch's second column.
    w = WORKLOADS["W1"]
    X, y, params = _setup(w)
    params[-1][0][:, 0] = 0.0
    params[-1][1][0] = 0.0
    model = NnscratchFit(w, X, y, params)
    sk = SklearnMLP(w, X, y, params)
    assert sk.binary
    model.run(1)
    sk.run(1)
    assert sk.clf.loss_ * len(X) == pytest.approx(model.history["loss"][0], rel=1e-12)
    (W1, b1), (W2, b2) = model.weights()
    (S1, c1), (S2, c2) = sk.weights()
    _assert_same([(S1, c1), (S2[:, 0], c2)], [(W1, b1), (W2[:, 1], b2[1:])])


def test_every_contestant_is_the_same_net_on_mini_batches():
    # W3's net (ReLU, mean loss, batches of 64) without shuffling, on 4 batches.
    w = dataclasses.replace(WORKLOADS["W3"], shuffle=False)
    X, y, params = _setup(w, n_samples=256)
    model = NnscratchFit(w, X, y, params)
    others = [ReferenceLoop(w, X, y, params), SklearnMLP(w, X, y, params)]
    if torch_available():
        others.append(TorchEager(w, X, y, params, threads=1))
    model.run(1)
    for other in others:
        other.run(1)
        _assert_same(other.weights(), model.weights())
    assert others[1].clf.loss_ == pytest.approx(model.history["loss"][0], rel=1e-12)


def test_the_bound_does_only_the_products():
    w = WORKLOADS["W3"]
    X, y, params = _setup(w)
    bound = BareMatmul(w, X, y, params)
    assert sorted(bound.buffers) == [1797 - 28 * 64, 64]
    before = [W.copy() for W in bound.Ws]
    bound.run(1)
    for W, W0 in zip(bound.Ws, before):
        np.testing.assert_array_equal(W, W0)  # nothing is trained
    acts, _ = bound.buffers[64]
    np.testing.assert_allclose(acts[1], X[:64] @ params[0][0], rtol=1e-12)


def _small(key):
    # W4/W5 with narrow hidden layers: the same code paths, a fraction of the work
    return dataclasses.replace(WORKLOADS[key], sizes=(784, 16, 16, 10))


def test_smoke_mode_runs_every_workload_and_renders(capsys):
    keys = [WORKLOADS["W1"], WORKLOADS["W2"], WORKLOADS["W3"], _small("W4"), _small("W5")]
    results = bench.run(smoke=True, keys=keys, extras=False, log=lambda msg: None)
    rows = results["workloads"]
    assert all("nnscratch_numba" not in r["per_step_s"] for r in rows)  # smoke: no JIT
    assert [(r["workload"], r["dtype"]) for r in rows] == [
        (k, d) for k in ("W1", "W2", "W3", "W4", "W5") for d in ("float64", "float32")
    ]
    expected = {"nnscratch", "loop", "matmul", "sklearn"} | (
        {"torch"} if torch_available() else set()
    )
    for r in rows:
        assert expected <= set(r["per_step_s"])
        assert ("loop_arange" in r["per_step_s"]) == (r["workload"] in ("W1", "W2", "W3"))
        for stats in r["per_step_s"].values():
            assert math.isfinite(stats["median"]) and stats["median"] > 0
        assert not r["diverged"]
    results["memory"] = bench.bench_memory(["W1"], [np.float64], smoke=True)
    results["import"] = measure.import_time(1)
    assert results["import"]["heavy_modules_loaded"] == ""
    json.dumps(bench._jsonable(results))  # results.json can be written
    text = bench.render(results)
    markdown = bench.render(results, markdown=True)
    for key in ("W1", "W2", "W3", "W4", "W5", "Targets", "import nnscratch"):
        assert key in text and key in markdown
    checks = bench.targets(results)
    assert {c["what"].split(":")[0] for c in checks} >= {"W1 float64", "W5 float32"}


def test_the_docs_page_has_the_results_markers():
    text = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert text.count(bench.BEGIN) == 1 and text.count(bench.END) == 1


# ---------------------------------------------------------------- the breakdown


@pytest.mark.parametrize("engine", ["numpy", pytest.param("numba", marks=needs_numba)])
def test_the_timed_parts_of_a_step_train_as_fit_does(engine):
    # The breakdown times fit's own calls: taken apart, they must train the same weights.
    from benchmarks.breakdown import FUSED_SGD_PARTS, LARGE_STEP_PARTS, NUMPY_PARTS, StepParts

    w = WORKLOADS["W3"]  # ReLU, mean loss, shuffled batches of 64 (the last one smaller)
    X, y, params = _setup(w, n_samples=200)
    reference = NnscratchFit(w, X, y, params)
    reference.run(2)
    parts = StepParts(NnscratchFit(w, X, y, params), engine)
    seconds = parts.epochs(2)
    weights = [(d.W.copy(), d.b.copy()) for d in parts.model.layers if hasattr(d, "W")]
    if engine == "numpy":  # the same calls in the same order: the same roundings
        for (Wa, ba), (Wb, bb) in zip(weights, reference.weights()):
            np.testing.assert_array_equal(Wa, Wb)
            np.testing.assert_array_equal(ba, bb)
    else:
        _assert_same(weights, reference.weights())
    # W3 trains with plain SGD: on the large step, its update is part of the backward pass
    assert list(seconds) == list(NUMPY_PARTS if engine == "numpy" else FUSED_SGD_PARTS)
    assert all(math.isfinite(s) and s > 0 for s in seconds.values())
    if engine == "numba":  # any other optimizer: the backward pass, then the update
        parts = StepParts(NnscratchFit(w, X, y, params), engine)
        parts.optimizer = SGD(w.lr, momentum=0.5)
        assert list(parts.epochs(1)) == list(LARGE_STEP_PARTS)


def test_a_full_batch_step_has_no_gather_and_the_breakdown_renders():
    from benchmarks import breakdown

    # every part of fit's step, in fit's order, then the rest; W1's one full batch has no gather
    full = breakdown.breakdown("W1", np.float64, smoke=True)
    assert list(full["parts_s"]) == [*breakdown.NUMPY_PARTS[1:], breakdown.REST]
    mini = breakdown.breakdown(_small("W4"), np.float32, smoke=True)
    assert list(mini["parts_s"]) == [*breakdown.NUMPY_PARTS, breakdown.REST]
    assert mini["dtype"] == "float32"
    for key, dtype, first in (("W1", np.float64, full), (_small("W4"), np.float32, mini)):
        rows = [first] + [breakdown.breakdown(key, dtype, smoke=True) for _ in range(4)]
        ratios = []
        for row in rows:
            parts = [v for k, v in row["parts_s"].items() if k != breakdown.REST]
            assert all(math.isfinite(s) and s > 0 for s in [*parts, row["fit_s"]])
            ratios.append(sum(parts) / row["fit_s"])
        # Not speed: a sanity check that the parts are timed per step of the steps fit
        # takes. In smoke mode they sum to ~0.5-1x fit's step (fit adds its call's setup to
        # its one or two steps), so only gross slips fail: wrong units, parts summed over
        # several times fit's steps (twice only just). The median of five rows shrugs off
        # a clock hiccup on a loaded machine.
        assert np.median(ratios) < 1.5, f"the parts add up to {ratios} times fit's step"
    assert not breakdown.large_step_runs(WORKLOADS["W3"]) and breakdown.large_step_runs(
        WORKLOADS["W4"]
    )
    mini64 = breakdown.breakdown(_small("W4"), np.float64, smoke=True)
    text = breakdown.render([full, mini64], markdown=True)
    assert "| Dense forward (product, bias) | " in text and "| **fit, per step** | " in text
    assert "| gather the batch | – | " in text  # W1 has nothing to gather
    assert "–" not in breakdown.render([mini])


def test_the_breakdown_runs_from_the_command_line(capsys):
    from benchmarks import breakdown

    assert breakdown.main(["--only", "W1", "--dtypes", "float32", "--smoke", "--no-numba"]) == 0
    out = capsys.readouterr().out
    assert "Per step, engine=numpy, float32" in out and "count correct answers" in out
    with pytest.raises(SystemExit):
        breakdown.main(["--only", "W9"])
