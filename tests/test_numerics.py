"""Numerics: extreme logits and inputs, float32 against float64, divergence, gradcheck refusals.

The promise (docs/promises.md): the softmax, sigmoid and log-loss paths never
overflow or take log(0); finite inputs give finite losses and gradients, or a
ValueError that names the overflow; a run whose loss becomes NaN or infinite
stops, names the epoch, suggests a smaller learning rate and keeps the last
finite weights. pytest turns every RuntimeWarning into an error here, so
"no warning" is checked by every test too.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnscratch as nn
from nnscratch import functional as F

DTYPES = [np.float64, np.float32]


# ---------------------------------------------------------------- the kernels at ±1e4


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_at_logits_of_1e4(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], dtype=dtype)
    loss = nn.SoftmaxCrossEntropy("sum")
    assert loss.forward(z, [0, 2]) == 0.0  # confident and right: exactly 0
    assert loss.forward(z, [1, 0]) == pytest.approx(4e4, rel=1e-6)  # wrong by 2e4 twice
    grad = loss.backward()
    assert grad.dtype == dtype and np.isfinite(grad).all()
    np.testing.assert_allclose(grad, [[1, -1, 0], [-1, 0, 1]], atol=1e-6)
    p = loss.transform(z)
    assert np.isfinite(p).all() and np.allclose(p.sum(axis=1), 1)
    assert np.isfinite(F.log_softmax(z)).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_cross_entropy_at_logits_of_1e4(dtype):
    z = np.array([[1e4], [-1e4], [1e4], [-1e4]], dtype=dtype)
    loss = nn.SigmoidBinaryCrossEntropy("sum")
    assert loss.forward(z, [1, 0, 0, 1]) == pytest.approx(2e4, rel=1e-6)
    np.testing.assert_allclose(loss.backward().ravel(), [0, 0, 1, -1], atol=1e-6)
    assert loss.forward(z, [1, 0, 1, 0]) == 0.0
    assert np.array_equal(loss.transform(z).ravel(), [1, 0, 1, 0])
    assert np.array_equal(F.softplus(z).ravel(), [1e4, 0, 1e4, 0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_is_exact_at_the_extremes_and_at_infinity(dtype):
    z = np.array([-np.inf, -1e300 if dtype == np.float64 else -3e38, -1e4, 0, 1e4, np.inf], dtype)
    a = F.sigmoid(z)
    assert a.dtype == dtype and np.array_equal(a, [0, 0, 0, 0.5, 1, 1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_on_probabilities_never_takes_log_of_zero(dtype):
    p = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)
    loss = nn.CrossEntropy()
    value = loss.forward(p, [0, 0])
    # -log(tiny) / 2: large, finite, and the right answer's row contributes 0
    assert value == pytest.approx(-np.log(np.finfo(dtype).tiny) / 2, rel=1e-6)
    assert np.isfinite(loss.backward()).all()
    tiny = np.finfo(float).tiny
    assert nn.log_loss([1, 1], [[0.0, 1.0], [1.0, 0.0]]) == pytest.approx(-np.log(tiny) / 2)
    assert nn.log_loss([1, 0], [1.0, 0.0]) == 0.0


def test_binary_cross_entropy_of_huge_logits_does_not_cancel():
    """Bug found here: Σ max(z,0) - Σ y z of 1e150-logits cancelled to -5.8e133."""
    rng = np.random.RandomState(0)
    for scale in (1e16, 1e150, 1e300):
        z = rng.randn(100, 3) * scale
        assert nn.SigmoidBinaryCrossEntropy().forward(z, (z > 0).astype(float)) == 0.0
        wrong = nn.SigmoidBinaryCrossEntropy("sum").forward(z, (z < 0).astype(float))
        assert wrong == pytest.approx(np.abs(z).sum(), rel=1e-12)


LOGITS = st.integers(1, 5).flatmap(
    lambda n: hnp.arrays(
        np.float64,
        (n, 3),
        elements=st.one_of(
            st.floats(-1e4, 1e4), st.sampled_from([1e150, -1e150, 1e300, -1e300, 5e-324])
        ),
    )
)


@given(z=LOGITS, seed=st.integers(0, 50))
def test_fused_losses_match_a_log_sum_exp_reference(z, seed):
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 3, len(z))
    top = z.max(axis=1)
    reference = np.log(np.exp(z - top[:, None]).sum(axis=1)) + (top - z[np.arange(len(z)), labels])
    value = nn.SoftmaxCrossEntropy("sum").forward(z, labels)
    assert value == pytest.approx(reference.sum(), rel=1e-9, abs=1e-9)
    y = rng.randint(0, 2, z.shape).astype(float)
    reference = (np.logaddexp(0, z) - y * z).sum()  # softplus(z) - y z, elementwise
    value = nn.SigmoidBinaryCrossEntropy("sum").forward(z, y)
    assert value >= 0 and value == pytest.approx(reference, rel=1e-9, abs=1e-9)


def test_a_loss_that_overflows_the_dtype_is_named_not_returned():
    with pytest.raises(ValueError, match="the loss overflows float64.*1e\\+200"):
        nn.MSE().forward(np.array([[1e200]]), [[-1e200]])
    with pytest.raises(ValueError, match="overflows float32"):
        nn.MSE().forward(np.array([[3e38]], np.float32), [[-3e38]])
    with pytest.raises(ValueError, match="output contains 1 NaN"):
        nn.SoftmaxCrossEntropy().forward(np.array([[np.nan, 0.0]]), [0])
    with pytest.raises(ValueError, match="CrossEntropy takes probabilities"):
        nn.CrossEntropy().forward(np.array([[2.0, -1.0]]), [0])


# ---------------------------------------------------------------- inputs of 1e150


@pytest.mark.parametrize("activation", sorted(nn.layers.ACTIVATIONS))
@pytest.mark.parametrize("loss", [nn.SoftmaxCrossEntropy, nn.SigmoidBinaryCrossEntropy, nn.MSE])
def test_inputs_of_1e150_give_finite_losses_and_gradients(activation, loss):
    rng = np.random.RandomState(0)
    X = rng.randn(20, 3) * 1e150
    model = nn.build_mlp(3, [6, 5], 2, activation=activation, rng=0)
    loss = loss()
    labels = (X[:, 0] > 0).astype(int)
    y = loss.check_target(
        labels if isinstance(loss, nn.SoftmaxCrossEntropy) else np.eye(2)[labels], 2
    )
    value = loss.compute(model.forward(X, training=True), y)
    model.backward(loss.backward())
    assert np.isfinite(value) and value >= 0
    assert all(np.isfinite(g).all() for g in model.gradients())


def test_float32_refuses_inputs_it_cannot_hold_by_name():
    model = nn.build_mlp(2, [3], 2, rng=0, dtype=np.float32, loss=nn.SoftmaxCrossEntropy())
    X = np.array([[1e150, 0.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match=r"X has values too large for float32 \(up to 1e\+150"):
        model.predict(X)
    with pytest.raises(ValueError, match="too large for float32"):
        nn.fit(model, nn.SoftmaxCrossEntropy(), nn.SGD(0.1), X, [0, 1])
    with pytest.raises(ValueError, match="target has values too large for float32"):
        nn.fit(model, nn.MSE(), nn.SGD(0.1), [[0, 1], [1, 0]], [[1e300, 0], [0, 0]])


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_float32_stays_finite_on_inputs_of_1e15(activation):
    rng = np.random.RandomState(1)
    X = rng.randn(40, 3) * 1e15
    y = (X[:, 0] > 0).astype(int)
    for dtype in DTYPES:
        model = nn.build_mlp(3, [6], 2, activation=activation, rng=0, dtype=dtype)
        history = nn.fit(model, nn.SoftmaxCrossEntropy(), nn.Adam(0.01), X, y, epochs=20)
        assert not history.diverged and np.isfinite(history["loss"]).all()
        assert np.isfinite(model.predict_proba(X)).all()


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("lr", [1e-3, 1.0, 100.0])
def test_float32_stays_finite_where_float64_does(optimizer, lr):
    rng = np.random.RandomState(2)
    X = rng.randn(60, 2) * 10
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    make = {"sgd": nn.SGD, "adam": nn.Adam, "rmsprop": nn.RMSProp}[optimizer]
    runs = {}
    for dtype in DTYPES:
        model = nn.build_mlp(2, [8], 2, activation="tanh", rng=0, dtype=dtype)
        history = nn.fit(
            model, nn.SoftmaxCrossEntropy(), make(lr), X, y, epochs=30, batch_size=16, rng=0
        )
        runs[dtype] = history
        assert all(np.isfinite(p).all() and p.dtype == dtype for p in model.parameters())
    assert not runs[np.float64].diverged and not runs[np.float32].diverged
    assert np.isfinite(runs[np.float32]["loss"]).all()


# ---------------------------------------------------------------- outputs that overflow


def overflowing_model(loss=None):
    """Identity activations and weights of 10: nothing saturates, 1e306 inputs overflow."""
    model = nn.build_mlp(3, [8, 8], 2, activation="identity", rng=0)
    model.flat_params[...] = 10.0
    model.loss = loss or nn.SoftmaxCrossEntropy()
    return model


def test_predictions_are_finite_or_the_overflow_is_named():
    model = overflowing_model()
    X = np.ones((4, 3))
    X[2] = 1e306
    for method in (model.predict, model.predict_proba, model.decision_function):
        with pytest.raises(
            ValueError, match=r"overflowed float64.*1 of 4 sample\(s\), the first at row 2.*1e\+306"
        ):
            method(X)
    assert np.isfinite(model.predict_proba(X[:2])).all()
    with pytest.raises(ValueError, match="overflow"):
        nn.evaluate(model, model.loss, X, [0, 1, 0, 1])


def test_a_model_with_nan_weights_does_not_predict_nan():
    model = overflowing_model()
    model.layers[0].params["W"][0, 0] = np.nan
    with pytest.raises(ValueError, match="weights contain NaN"):
        model.predict(np.ones((2, 3)))


def test_estimator_predictions_are_finite_or_the_overflow_is_named():
    rng = np.random.RandomState(0)
    X = rng.randn(30, 3)
    for estimator in (
        nn.MLPClassifier(
            hidden_layer_sizes=(8, 8), activation="identity", max_iter=5, random_state=0
        ),
        nn.MLPRegressor(
            hidden_layer_sizes=(8, 8), activation="identity", max_iter=5, random_state=0
        ),
    ):
        with pytest.warns(UserWarning):  # ConvergenceWarning: 5 iterations
            estimator.fit(X, (X[:, 0] > 0).astype(int))
        estimator.coefs_ = [np.full_like(W, 10.0) for W in estimator.coefs_]
        with pytest.raises(ValueError, match="MLP.*output overflowed"):
            estimator.predict(np.abs(X) * 1e306)
        assert np.isfinite(estimator.predict(X * 1e3)).all()


# ---------------------------------------------------------------- divergence


def blobs(n=60, scale=1.0):
    rng = np.random.RandomState(0)
    X = rng.randn(n, 2) * scale
    return X, X[:, :1] * 100 / scale


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("optimizer", [nn.SGD, lambda lr: nn.SGD(lr, momentum=0.9)])
def test_a_learning_rate_of_1e6_stops_with_a_message_and_finite_weights(dtype, optimizer, tmp_path):
    X, y = blobs()
    model = nn.build_mlp(2, [8], 1, activation="relu", rng=0, dtype=dtype)
    with pytest.warns(nn.DivergenceWarning) as caught:
        history = nn.fit(model, nn.MSE(), optimizer(1e6), X, y, epochs=200)
    assert history.diverged and len(history) < 200
    message = str(caught[0].message)
    assert f"at epoch {len(history)}" in message and "smaller learning rate" in message
    assert "1e+06" in message and message == history.stop_reason == model.diverged
    assert all(np.isfinite(p).all() for p in model.parameters())
    assert np.isfinite(history["loss"]).all()
    # the kept weights are a real state of the run: saving and predicting work
    assert nn.load(nn.save(model, tmp_path / "diverged.npz")).diverged is None


def test_huge_inputs_are_named_in_the_divergence_message():
    X, y = blobs(scale=1e150)
    model = nn.build_mlp(2, [8], 1, activation="relu", rng=0)
    with pytest.warns(
        nn.DivergenceWarning, match="smaller learning rate.*inputs reach 2.*e\\+150.*standardise"
    ):
        nn.fit(model, nn.MSE(), nn.SGD(0.1), X, y, epochs=50)


def test_a_loss_infinite_before_any_update_blames_the_data_not_the_learning_rate():
    model = nn.build_mlp(2, [3], 2, rng=0)
    start = model.state_dict()
    with pytest.raises(
        ValueError, match="infinite at the starting weights, before any update.*targets 1.35e\\+154"
    ):
        nn.fit(model, nn.MSE(), nn.Adam(0.01), [[0.0, 0.0]], [[1.35e154, 0.0]], epochs=2)
    assert all(np.array_equal(model.state_dict()[k], v) for k, v in start.items())


def test_gradcheck_on_a_diverged_model_is_refused_clearly():
    X, y = blobs()
    model = nn.build_mlp(2, [8], 1, activation="relu", rng=0)
    start = model.state_dict()
    with pytest.warns(nn.DivergenceWarning):
        nn.fit(model, nn.MSE(), nn.SGD(1e6), X, y, epochs=200)
    with pytest.raises(
        ValueError,
        match=r"gradcheck refused: this model's training diverged \(the loss became .* at epoch \d+\).*smaller learning rate",
    ):
        nn.gradcheck(model, X[:3], y[:3], loss=nn.MSE())
    # a new, healthy fit clears the flag and gradcheck runs again
    model.load_state_dict(start)
    nn.fit(model, nn.MSE(), nn.SGD(1e-4), X, y, epochs=1)
    assert model.diverged is None
    assert nn.gradcheck(model, X[:3], y[:3], loss=nn.MSE(), tolerance=1e-5)


def test_gradcheck_refuses_where_finite_differences_mean_nothing():
    model = nn.build_mlp(3, [4], 2, activation="tanh", rng=0)
    x = np.random.RandomState(0).randn(3, 3)
    model.layers[0].params["W"][0, 0] = np.nan
    with pytest.raises(ValueError, match="parameter 0.W contains NaN"):
        nn.gradcheck(model, x)
    model.layers[0].params["W"][0, 0] = 1e200
    with pytest.raises(ValueError, match="parameter 0.W reaches 1e\\+200.*resolution"):
        nn.gradcheck(model, x)
    with pytest.raises(ValueError, match="the input reaches 1e\\+160"):
        nn.gradcheck(nn.MSE(), np.full((2, 1), 1e160), np.zeros((2, 1)))
    assert nn.relative_error(np.array([1e200, 1e200]), np.array([1e200, 1e200])) == 0.0
