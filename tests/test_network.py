"""Sequential, build_mlp, initializers, summary and repr."""

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import initializers


def test_build_mlp_layers_sizes_and_draw_order():
    model = nn.build_mlp(3, [5, 4], 2, activation=["tanh", "relu"], l2=0.1, rng=7)
    assert [type(l).__name__ for l in model.layers] == ["Dense", "Tanh", "Dense", "ReLU", "Dense"]
    assert (model.n_in, model.n_out) == (3, 2)
    assert model.n_params == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2
    rs = np.random.RandomState(7)  # W then b per layer, b zeros draw nothing
    W1 = rs.standard_normal((3, 5)) / np.sqrt(3)
    W2 = rs.standard_normal((5, 4)) / np.sqrt(5)
    assert np.array_equal(model.layers[0].W, W1) and np.array_equal(model.layers[2].W, W2)
    assert all(layer.l2 == 0.1 for layer in model.layers if isinstance(layer, nn.Dense))


def test_rng_none_uses_numpys_global_state():
    np.random.seed(3)
    a = nn.Dense(2, 3).W
    np.random.seed(3)
    assert np.array_equal(a, np.random.randn(2, 3) / np.sqrt(2))


def test_generator_and_randomstate_are_accepted():
    a = nn.Dense(2, 3, rng=np.random.default_rng(0)).W
    b = nn.Dense(2, 3, rng=np.random.default_rng(0)).W
    assert np.array_equal(a, b)
    assert np.array_equal(nn.Dense(2, 3, rng=np.random.RandomState(1)).W, nn.Dense(2, 3, rng=1).W)


@pytest.mark.parametrize(
    "name, kwargs, check",
    [
        ("zeros", {}, lambda W, fi, fo: np.all(W == 0)),
        ("constant", {"value": 0.3}, lambda W, fi, fo: np.all(W == 0.3)),
        ("normal", {"std": 0.1}, lambda W, fi, fo: abs(W.std() - 0.1) < 0.01),
        ("scaled_normal", {}, lambda W, fi, fo: abs(W.std() - 1 / np.sqrt(fi)) < 0.1 / np.sqrt(fi)),
        (
            "glorot_uniform",
            {},
            lambda W, fi, fo: (
                np.abs(W).max() <= np.sqrt(6 / (fi + fo))
                and abs(W.std() - np.sqrt(2 / (fi + fo))) < 0.01
            ),
        ),
        ("glorot_normal", {}, lambda W, fi, fo: abs(W.std() - np.sqrt(2 / (fi + fo))) < 0.01),
        (
            "he_uniform",
            {},
            lambda W, fi, fo: (
                np.abs(W).max() <= np.sqrt(6 / fi) and abs(W.std() - np.sqrt(2 / fi)) < 0.01
            ),
        ),
        ("he_normal", {}, lambda W, fi, fo: abs(W.std() - np.sqrt(2 / fi)) < 0.01),
    ],
)
def test_initializers_have_their_variance(name, kwargs, check):
    W = initializers.get(name, **kwargs)((200, 300), np.random.RandomState(0))
    assert W.shape == (200, 300)
    assert check(W, 200, 300)


def test_seed_initializers_draw_exactly_like_the_seeds():
    rs = np.random.RandomState(42)
    layer = nn.Dense(
        2, 3, weight_init=initializers.Normal(0.1), bias_init=initializers.Normal(0.1), rng=42
    )
    assert np.array_equal(layer.W, rs.normal(0, 0.1, (2, 3)))
    assert np.array_equal(layer.b, rs.normal(0, 0.1, (1, 3))[0])


def test_custom_initializer_callable_and_separate_bias_init():
    layer = nn.Dense(2, 3, weight_init=lambda shape, rng: np.full(shape, 2.0), bias_init="ones")
    assert np.all(layer.W == 2.0) and np.all(layer.b == 1.0)
    assert layer.config()["weight_init"] == "custom"
    with pytest.raises(ValueError, match="returned shape"):
        nn.Dense(2, 3, weight_init=lambda shape, rng: np.ones(3))


def test_summary_and_repr_are_readable():
    model = nn.build_mlp(
        2, [3], 2, activation="tanh", l2=0.01, rng=0, loss=nn.SoftmaxCrossEntropy()
    )
    text = model.summary()
    assert "Dense(2, 3, l2=0.01)" in text and "(N, 3)" in text and "total parameters: 17" in text
    assert repr(model).splitlines()[1].strip() == "Dense(2, 3, l2=0.01),"
    assert "SoftmaxCrossEntropy(reduction='mean')" in repr(model)


def test_penalty_is_half_l2_times_squared_weights():
    model = nn.build_mlp(2, [3], 2, l2=0.2, rng=0)
    expected = 0.1 * sum(np.sum(l.W**2) for l in model.layers if isinstance(l, nn.Dense))
    assert model.penalty() == pytest.approx(expected, rel=1e-14)


def test_state_dict_round_trip_and_mismatch():
    a, b = nn.build_mlp(2, [3], 2, rng=0), nn.build_mlp(2, [3], 2, rng=1)
    b.load_state_dict(a.state_dict())
    assert all(np.array_equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    with pytest.raises(ValueError, match="missing"):
        b.load_state_dict({})


def test_parameters_and_gradients_are_aligned_and_live():
    model = nn.build_mlp(2, [3], 2, rng=0)
    params, grads = model.parameters(), model.gradients()
    assert [p.shape for p in params] == [g.shape for g in grads]
    x = np.ones((4, 2))
    model.backward(np.ones((4, 2)) - 0 * model.forward(x))
    assert np.array_equal(grads[2], model.layers[2].grads["W"])  # backward wrote in place


def test_predict_uses_the_losses_decision_rule():
    X = np.random.RandomState(0).randn(5, 2)
    model = nn.build_mlp(2, [3], 1, rng=0, loss=nn.SigmoidBinaryCrossEntropy())
    p = model.predict_proba(X)
    assert np.array_equal(model.predict(X), (p[:, 0] > 0.5).astype(int))
    model.loss = nn.MSE()
    assert np.array_equal(model.predict(X), model.decision_function(X)[:, 0])
    model = nn.build_mlp(2, [3], 3, rng=0, loss=nn.SoftmaxCrossEntropy())
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0, rtol=1e-15)


def test_pickle_and_deepcopy_keep_training_the_layers_weights():
    import copy
    import pickle

    X = np.random.RandomState(0).randn(20, 2)
    y = (X[:, 0] > 0).astype(int)
    for clone in (lambda m: pickle.loads(pickle.dumps(m)), copy.deepcopy):
        model = clone(nn.build_mlp(2, [3], 2, rng=0))
        before = model.layers[0].W.copy()
        nn.fit(model, nn.SoftmaxCrossEntropy(), nn.SGD(0.5), X, y, epochs=3)
        assert not np.array_equal(model.layers[0].W, before)
        assert np.shares_memory(model.layers[0].W, model.flat_params)
