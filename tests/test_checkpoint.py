"""LastGoodWeights: fit's copy of the last good weights, and plain SGD's replay of the steps
since the last copy, which must put back the very bits a copy at every step would keep."""

import copy
import warnings

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import checkpoint, training
from nnscratch.checkpoint import LastGoodWeights


def regression(n=200):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((n, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) * 10


def large_step_engine(engine, monkeypatch):
    """The engine: "numpy", or "numba" forced onto LargeStep (fused SGD) at any size;
    "numba unfused": the same without NumPy's gemm (the compiled update pass)."""
    if engine.startswith("numba"):
        compiled = pytest.importorskip("nnscratch.compiled")
        if not compiled.available():
            pytest.skip("numba is not installed")
        monkeypatch.setattr(compiled, "LARGE_STEP", 0)
        if engine == "numba unfused":
            monkeypatch.setattr(compiled._blas, "numpy_gemm", lambda dtype: None)
    return engine.split()[0]


def count_replays(monkeypatch) -> list:
    """Every batch trained again by a replay, as (start, stop)."""
    replayed = []
    train_again = training._train_again

    def spy(*arguments):
        replayed.append(arguments[-2:])
        return train_again(*arguments)

    monkeypatch.setattr(training, "_train_again", spy)
    return replayed


def fit_quietly(model, optimizer, X, y, engine, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.DivergenceWarning)
        return nn.fit(model, nn.MSE(), optimizer, X, y, engine=engine, rng=0, **kwargs)


@pytest.mark.parametrize("engine", ["numpy", "numba", "numba unfused"])
def test_a_divergence_keeps_the_bits_a_copy_at_every_step_keeps(monkeypatch, engine):
    """Diverging at many places in an epoch (learning rates 0.3-0.6): the replayed weights
    equal, bit for bit, those of copying every step (EVERY = 1)."""
    engine = large_step_engine(engine, monkeypatch)
    X, y = regression()
    replayed = count_replays(monkeypatch)
    places, every_few = set(), checkpoint.EVERY
    for lr in np.linspace(0.3, 0.6, 13):
        runs = {}
        for every in (1, every_few):
            monkeypatch.setattr(checkpoint, "EVERY", every)
            replayed.clear()
            model = nn.build_mlp(3, [16], 1, activation="tanh", rng=0)
            history = fit_quietly(model, nn.SGD(lr), X, y, engine, epochs=40, batch_size=8)
            runs[every] = (model.flat_params.copy(), history, list(replayed))
        (copied, h1, none), (replayed_to, h8, steps) = runs[1], runs[every_few]
        assert h1.stop_reason == h8.stop_reason and h8.epoch == h1.epoch
        assert not none  # copying every step replays nothing
        np.testing.assert_array_equal(replayed_to, copied)
        places.add(len(steps) if h8.diverged else None)
    assert len(places - {None, 0}) >= 4  # replays of 1 to 7 steps


def test_a_diverging_first_step_of_an_epoch_replays_nothing_from_the_last(monkeypatch):
    """Callbacks run between epochs and may change the weights or the learning rate (here
    both, which makes the next step's loss NaN): the last step of an epoch is a copy,
    so the first step of the next needs no replay to put back the weights it started from."""

    class Breaking(nn.callbacks.Callback):
        def __init__(self, optimizer):
            self.optimizer = optimizer

        def on_epoch_end(self, epoch, logs):
            if epoch == 2:
                self.optimizer.lr *= 3.0
                self.model.flat_params[0] = np.nan

    X, y = regression(64)
    replayed = count_replays(monkeypatch)
    started = []
    train_step = training.train_step

    def spy(model, *arguments, **kwargs):
        started.append(model.flat_params.copy())
        return train_step(model, *arguments, **kwargs)

    monkeypatch.setattr(training, "train_step", spy)
    optimizer = nn.SGD(0.02)
    model = nn.build_mlp(3, [16], 1, activation="tanh", rng=0)
    history = fit_quietly(
        model, optimizer, X, y, "numpy", epochs=20, batch_size=5, callbacks=[Breaking(optimizer)]
    )
    assert history.diverged and "epoch 3" in history.stop_reason and len(started) == 3 * 13 + 1
    assert not replayed
    np.testing.assert_array_equal(model.flat_params, started[3 * 13 - 1])


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_ctrl_c_keeps_the_weights_the_interrupted_step_started_from(monkeypatch, engine):
    """Interrupted half-way through an update at a step that made no copy, fit trains again
    from the last copy and keeps exactly the weights that step started from."""
    engine = large_step_engine(engine, monkeypatch)
    monkeypatch.setattr(checkpoint, "EVERY", 8)
    monkeypatch.setattr(checkpoint, "SECONDS", float("inf"))  # no copy for a slow machine
    X, y = regression()
    at = 25 + 11  # step 11 of epoch 1 (25 steps an epoch, copies at steps 0, 8, 16 and 24)
    started, updates = [], []
    model = nn.build_mlp(3, [16], 1, activation="tanh", rng=0)

    def spying(step):
        def spy(*arguments, **kwargs):
            if len(updates) <= at:  # not after the Ctrl-C: the replay
                started.append(model.flat_params.copy())
            return step(*arguments, **kwargs)

        return spy

    if engine == "numpy":
        update = nn.SGD.update

        def interrupting(self, p, g, state, lr):
            updates.append(1)
            if len(updates) == at + 1:
                p[: p.size // 2] -= lr * g[: p.size // 2]  # half an update
                raise KeyboardInterrupt
            update(self, p, g, state, lr)

        monkeypatch.setattr(nn.SGD, "update", interrupting)
        monkeypatch.setattr(training, "train_step", spying(training.train_step))
    else:
        from nnscratch import compiled

        backward = compiled.LargeStep.backward

        def interrupting(self, x, g, sgd_lr=None):
            updates.append(1)
            if len(updates) == at + 1:
                self.flat[: self.flat.size // 2] *= 0.5  # half an update
                raise KeyboardInterrupt
            backward(self, x, g, sgd_lr)

        monkeypatch.setattr(compiled.LargeStep, "backward", interrupting)
        monkeypatch.setattr(compiled.LargeStep, "__call__", spying(compiled.LargeStep.__call__))
    replayed = count_replays(monkeypatch)
    history = fit_quietly(model, nn.SGD(0.01), X, y, engine, epochs=5, batch_size=8)
    assert history.interrupted and "steps older" not in history.stop_reason
    assert len(replayed) == 11 - 8  # from the copy at step 8: steps 8, 9 and 10
    assert len(started) == at + 1
    np.testing.assert_array_equal(model.flat_params, started[at])


def test_a_replay_that_does_not_give_its_losses_again_keeps_the_copy(monkeypatch):
    """A step that trains to other bits the second time (faked here): the anchor is kept,
    weights with a finite loss a few steps older, and the stop reason says so."""
    X, y = regression()
    monkeypatch.setattr(training, "_train_again", lambda *arguments: np.nan)
    model = nn.build_mlp(3, [16], 1, activation="tanh", rng=0)
    history = fit_quietly(model, nn.SGD(0.3), X, y, "numpy", epochs=40, batch_size=8)
    assert history.diverged and "steps older than the last good ones" in history.stop_reason
    assert np.isfinite(nn.evaluate(model, nn.MSE(), X, y)["loss"])


def test_anchors_fall_on_epoch_ends_and_every_few_steps():
    """A 20-step epoch copies at its first and last steps and every EVERY steps; the
    noted batches never outnumber EVERY - 1."""
    params = np.arange(4.0)
    optimizer = nn.SGD(0.1)
    kept = LastGoodWeights(params, optimizer, replay=True)
    kept.since = float("inf")  # (perf_counter() - inf: never over SECONDS)
    copies = []
    for epoch in range(2):
        kept.new_epoch()
        for step in range(20):
            keep = kept.target(step in (0, 19))
            if keep is not None:
                np.copyto(keep, params)
                copies.append(step)
            kept.done(keep, (None, epoch, step), 1.0)
            kept.since = float("inf")
            params += 1
            assert len(kept.anchor[2]) <= checkpoint.EVERY - 1
    every = checkpoint.EVERY
    assert copies == 2 * ([0] + list(range(every, 19, every)) + [19])
    assert kept.anchor[0][0] == 39  # the last step's copy is the anchor
    assert kept.anchor[2] == []


def test_a_slow_step_is_a_copy_whatever_the_count(monkeypatch):
    """SECONDS bounds how long a replay may train: after it, the next step copies."""
    optimizer = nn.SGD(0.1)
    kept = LastGoodWeights(np.zeros(3), optimizer, replay=True)
    kept.new_epoch()
    kept.done(kept.target(True), (None,), 1.0)
    assert kept.target(False) is None
    kept.since -= 2 * checkpoint.SECONDS
    assert kept.target(False) is not None


def test_ctrl_c_during_a_replay_keeps_the_copy():
    params = np.zeros(2)
    optimizer = nn.SGD(0.1)
    kept = LastGoodWeights(params, optimizer, replay=True)
    kept.new_epoch()

    def train_again(*batch):
        params[:] += 1
        if batch == (4,):  # the step interrupted the first time: a second Ctrl-C
            raise KeyboardInterrupt
        return 1.0

    for step in range(5):
        keep = kept.target(step == 0)
        if keep is not None:
            np.copyto(keep, params)
        kept.done(keep, (train_again, step), 1.0)
        params[:] += 1
    optimizer.t = 5
    assert kept.restore(interrupted=True) == 5
    np.testing.assert_array_equal(params, [0.0, 0.0])  # the copy at step 0
    assert optimizer.t == 5
    params[:] = 7
    assert kept.restore() == 0  # a divergence: steps 0-3 trained again, no Ctrl-C
    np.testing.assert_array_equal(params, [4.0, 4.0])


@pytest.mark.parametrize(
    "optimizer, batch_size, dropout",
    [
        (nn.SGD(0.1), 8, False),
        (nn.SGD(0.1, momentum=0.9), 8, False),  # a velocity: state a replay lacks
        (nn.Adam(0.01), 8, False),
        (nn.SGD(0.1), None, False),  # full batch: one step an epoch, a copy each
        (nn.SGD(0.1), 8, True),  # Dropout draws new masks
    ],
)
def test_only_plain_sgd_with_mini_batches_replays(monkeypatch, optimizer, batch_size, dropout):
    made = []

    class Recording(LastGoodWeights):
        def __init__(self, *arguments, **kwargs):
            super().__init__(*arguments, **kwargs)
            made.append(self.replays)

    monkeypatch.setattr(training, "LastGoodWeights", Recording)
    X, y = regression(32)
    model = nn.Sequential(
        [nn.Dense(3, 8, rng=0), nn.Tanh()]
        + ([nn.Dropout(0.2, rng=0)] if dropout else [])
        + [nn.Dense(8, 1, rng=0)]
    )
    nn.fit(model, nn.MSE(), copy.deepcopy(optimizer), X, y, batch_size=batch_size, rng=0)
    expected = type(optimizer) is nn.SGD and not optimizer.momentum and batch_size and not dropout
    assert made == [bool(expected)]
