"""Bad input anywhere in the public API gets a ValueError/TypeError that names the problem."""

import numpy as np
import pytest

import nnscratch as nn

X = np.random.RandomState(0).randn(10, 2)
Y = np.array([0, 1] * 5)


def model():
    return nn.build_mlp(2, [4], 2, rng=0)


def fit(X=X, y=Y, **kwargs):
    return nn.fit(model(), nn.SoftmaxCrossEntropy(), nn.SGD(0.1), X, y, epochs=1, **kwargs)


NAN_X = X.copy()
NAN_X[3, 1] = np.nan


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: fit(X=NAN_X),
            ValueError,
            r"X contains 1 NaN or infinite value\(s\).*index \(3, 1\)",
        ),
        (lambda: fit(X=np.full((10, 2), np.inf)), ValueError, "NaN or infinite"),
        (
            lambda: fit(X=np.ones((10, 3))),
            ValueError,
            "3 features per sample, but the model expects 2",
        ),
        (lambda: fit(X=X[:, 0]), ValueError, r"2-D.*reshape"),
        (lambda: fit(X=X[None]), ValueError, "2-D"),
        (lambda: fit(X=np.float64(3.0)), ValueError, "2-D"),
        (lambda: fit(X=np.empty((0, 2)), y=[]), ValueError, "empty"),
        (lambda: fit(X=[["a", "b"]] * 10), TypeError, "strings"),
        (lambda: fit(X="data.csv"), TypeError, "string"),
        (lambda: fit(X=[[1, 2], [3]]), ValueError, "rectangular"),
        (lambda: fit(X=X.astype(complex)), TypeError, "complex"),
        (lambda: fit(y=Y[:-1]), ValueError, "X has 10 samples but y has 9"),
        (lambda: fit(y=Y + 1), ValueError, "label 2 is out of range.*0..1"),
        (lambda: fit(y=-Y), ValueError, "label -1 is out of range"),
        (lambda: fit(y=Y + 0.5), ValueError, "whole numbers"),
        (lambda: fit(y=np.array(["a", "b"] * 5)), TypeError, "strings"),
        (lambda: fit(y=np.eye(3)[[0, 1] * 5]), ValueError, "3 columns but the network has 2"),
        (lambda: fit(y=np.full((10, 2), 0.7)), ValueError, "sum to 1"),
        (lambda: fit(y=np.where(Y > 0, np.nan, 0.0)), ValueError, "NaN"),
        (lambda: model().predict_proba(X), ValueError, "no loss yet"),
        (lambda: nn.Dense(0, 3), ValueError, "n_in"),
        (lambda: nn.Dense(2.5, 3), TypeError, "n_in"),
        (lambda: nn.Dense(2, 3, l2=-1), ValueError, "l2"),
        (
            lambda: nn.Dense(2, 3, weight_init="gaussian"),
            ValueError,
            "unknown initializer 'gaussian'",
        ),
        (lambda: nn.Dense(2, 3, dtype=np.int32), TypeError, "float32 or np.float64"),
        (lambda: nn.Dense(2, 3, rng=-1), ValueError, "seed"),
        (lambda: nn.Dense(2, 3, rng=1.5), TypeError, "rng"),
        (
            lambda: nn.Dense(2, 3).forward(np.ones((4, 3))),
            ValueError,
            r"expects input of shape \(N, 2\)",
        ),
        (
            lambda: nn.Dense(2, 3).forward(np.ones((4, 2), np.float32)),
            TypeError,
            "float64 weights but got float32",
        ),
        (lambda: nn.Dense(2, 3).backward(np.ones((4, 3))), RuntimeError, "before forward"),
        (lambda: nn.Tanh().backward(np.ones((4, 3))), RuntimeError, "before forward"),
        (lambda: nn.SoftmaxCrossEntropy().backward(), RuntimeError, "before forward"),
        (lambda: nn.Dropout(1.0), ValueError, "dropout rate"),
        (lambda: nn.LeakyReLU(-0.1), ValueError, "slope"),
        (lambda: nn.SoftmaxCrossEntropy(reduction="avg"), ValueError, "reduction"),
        (lambda: nn.Sequential(), ValueError, "at least one layer"),
        (lambda: nn.Sequential(nn.Dense(2, 3), nn.Dense(4, 2)), ValueError, "outputs 3 features"),
        (lambda: nn.Sequential(nn.Dense(2, 3), "tanh"), TypeError, "not an nnscratch Layer"),
        (
            lambda: nn.Sequential(nn.Dense(2, 3), nn.Dense(3, 2, dtype=np.float32)),
            TypeError,
            "dtype",
        ),
        (
            lambda: nn.build_mlp(2, [3, 4], 2, activation=["tanh"]),
            ValueError,
            "1 activations for 2",
        ),
        (lambda: nn.build_mlp(2, [3], 2, activation="swish"), ValueError, "unknown activation"),
        (lambda: nn.MSE().forward(np.ones((3, 2)), np.ones((3, 1))), ValueError, r"shape \(N, 2\)"),
        (
            lambda: nn.SigmoidBinaryCrossEntropy().forward(np.ones((3, 1)), [0, 2, 1]),
            ValueError,
            r"\[0.0, 1.0\]",
        ),
        (lambda: nn.accuracy([1, 2], [1]), ValueError, "2 entries"),
        (lambda: nn.fit(model(), nn.MSE, nn.SGD(0.1), X, Y), TypeError, "Loss"),
        (lambda: nn.fit(model(), nn.MSE(), "sgd", X, Y), TypeError, "Optimizer"),
    ],
)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_lists_bools_and_integers_are_accepted():
    m = model()
    nn.fit(m, nn.SoftmaxCrossEntropy(), nn.SGD(0.1), X.tolist(), [bool(v) for v in Y], epochs=1)
    assert m.predict(np.array([[1, 2], [3, 4]])).shape == (2,)
    assert m.predict_proba([[0.5, 0.5]]).sum() == pytest.approx(1.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_all_finite_sees_every_bad_entry_and_no_false_alarm(dtype):
    from nnscratch._validation import all_finite

    big = np.finfo(dtype).max
    X = np.ones((50, 7), dtype=dtype)
    assert all_finite(X) and all_finite(X[:, 0]) and all_finite(X[:0])
    for bad in (np.nan, np.inf, -np.inf):
        Y = X.copy()
        Y[31, 4] = bad
        assert not all_finite(Y) and not all_finite(Y.T) and not all_finite(Y[:, 4])
    Y = X.copy()
    Y[3, :2] = np.inf, -np.inf  # the row sum is NaN
    assert not all_finite(Y)
    Y = X.copy()
    Y[3, :] = big  # the row sums overflow, every entry is finite: no false alarm
    with np.errstate(over="raise"):
        assert all_finite(Y)
    assert not all_finite(np.array([[big, np.nan]], dtype=dtype))
