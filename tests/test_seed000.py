"""Acceptance: seed 000 (moons, 2-3-2 tanh, softmax cross-entropy) on the public API.

Oracle figures from the seed's own code (see docs): the run is on the edge of
stability (summed gradient x lr 0.01 = step 2.0 on the mean loss), so it is
matched exactly up to iteration 1000 and by its robust figures afterwards.
"""

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.datasets import make_moons

# "Loss after iteration i" printed by the seed (repr), i.e. after update i, divided by N
ORACLE_EARLY = {0: 0.43238663152549245, 1000: 0.06894653811984068}
FINAL_BRANCHES = (0.070758, 0.071316)  # the two branches of the period-2 cycle (%f)


@pytest.fixture(scope="module")
def seed000_run():
    np.random.seed(0)
    X, y = make_moons(200, noise=0.20)
    model = nn.build_mlp(2, [3], 2, activation="tanh", l2=0.01, rng=0)
    initial = model.state_dict()
    loss = nn.SoftmaxCrossEntropy(reduction="sum")
    history = nn.fit(model, loss, nn.SGD(lr=0.01), X, y, epochs=20000)
    return X, y, model, loss, history, initial


def test_the_data_are_the_seeds(seed000_run):
    X, y, *_ = seed000_run
    assert float(X.sum()) == pytest.approx(148.95806682913354, rel=1e-14)
    assert X[0].tolist() == pytest.approx([0.7434611761955393, 0.46465632837724596], rel=1e-15)
    assert y[:10].tolist() == [0, 1, 1, 0, 1, 1, 0, 1, 0, 1]


def test_initial_weights_are_the_seeds(seed000_run):
    *_, initial = seed000_run
    rs = np.random.RandomState(0)
    W1 = rs.randn(2, 3) / np.sqrt(2)
    W2 = rs.randn(3, 2) / np.sqrt(3)
    assert np.array_equal(initial["0.W"], W1) and np.array_equal(initial["2.W"], W2)
    assert not initial["0.b"].any() and not initial["2.b"].any()


def test_exact_up_to_iteration_1000(seed000_run):
    X, _, _, _, history, _ = seed000_run
    n = len(X)
    for i, expected in ORACLE_EARLY.items():
        # the loss after update i is the (pre-update) loss logged for epoch i + 1
        assert history["loss"][i + 1] / n == pytest.approx(expected, rel=1e-10)


def test_robust_figures_after_the_instability(seed000_run):
    X, y, model, loss, history, _ = seed000_run
    final = nn.evaluate(model, loss, X, y)
    assert final["accuracy"] == 0.975
    assert nn.accuracy(y, model.predict(X)) == 0.975
    assert round(final["loss"] / len(X), 6) in FINAL_BRANCHES
    # period-2 cycle: the last two losses sit on the two different branches
    last_two = sorted(round(v / len(X), 6) for v in history["loss"][-2:])
    assert last_two == list(FINAL_BRANCHES)


def test_logs_split_data_loss_and_penalty(seed000_run):
    X, _, _, _, history, initial = seed000_run
    penalty0 = 0.005 * (np.sum(initial["0.W"] ** 2) + np.sum(initial["2.W"] ** 2))
    assert history["penalty"][0] == pytest.approx(penalty0, rel=1e-14)
    np.testing.assert_allclose(
        np.add(history["data_loss"], history["penalty"]), history["loss"], rtol=1e-15
    )
