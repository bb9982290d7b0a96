"""The gradient registry: every layer and every loss, checked by central finite differences."""

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.layers import LAYERS
from nnscratch.losses import LOSSES

RNG = np.random.RandomState(1234)


def away_from_zero(shape, rng=RNG):
    """Inputs at least 0.1 from the kinks of ReLU-like layers."""
    x = rng.standard_normal(shape)
    return np.sign(x) * (0.1 + np.abs(x))


# name -> (layer factory, input, training)
LAYER_CASES = {
    "Dense": (
        lambda: nn.Dense(4, 3, bias_init="normal", rng=0),
        RNG.standard_normal((5, 4)),
        False,
    ),
    "Dense+l2": (lambda: nn.Dense(4, 3, l2=0.3, rng=1), RNG.standard_normal((5, 4)), False),
    "Tanh": (nn.Tanh, RNG.standard_normal((5, 4)), False),
    "Sigmoid": (nn.Sigmoid, 3 * RNG.standard_normal((5, 4)), False),
    "ReLU": (nn.ReLU, away_from_zero((5, 4)), False),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.1), away_from_zero((5, 4)), False),
    "Identity": (nn.Identity, RNG.standard_normal((5, 4)), False),
    "Softmax": (nn.Softmax, RNG.standard_normal((5, 4)), False),
    "Dropout-train": (lambda: nn.Dropout(0.4, rng=3), RNG.standard_normal((5, 4)), True),
    "Dropout-eval": (lambda: nn.Dropout(0.4, rng=3), RNG.standard_normal((5, 4)), False),
}


def probabilities(shape, rng=RNG):
    e = np.exp(rng.standard_normal(shape))
    return e / e.sum(axis=1, keepdims=True)


# name -> (loss class, output, target)
LOSS_CASES = {
    "SoftmaxCrossEntropy-labels": (
        nn.SoftmaxCrossEntropy,
        RNG.standard_normal((6, 3)),
        [0, 2, 1, 1, 0, 2],
    ),
    "SoftmaxCrossEntropy-onehot": (
        nn.SoftmaxCrossEntropy,
        RNG.standard_normal((6, 3)),
        np.eye(3)[[2, 0, 1, 1, 0, 2]],
    ),
    "SoftmaxCrossEntropy-soft": (
        nn.SoftmaxCrossEntropy,
        RNG.standard_normal((6, 3)),
        probabilities((6, 3)),
    ),
    "SigmoidBinaryCrossEntropy-multilabel": (
        nn.SigmoidBinaryCrossEntropy,
        2 * RNG.standard_normal((6, 3)),
        (RNG.rand(6, 3) > 0.5) * 1.0,
    ),
    "SigmoidBinaryCrossEntropy-single": (
        nn.SigmoidBinaryCrossEntropy,
        RNG.standard_normal((6, 1)),
        [0, 1, 1, 0, 1, 0],
    ),
    "MSE": (nn.MSE, RNG.standard_normal((6, 2)), RNG.standard_normal((6, 2))),
    "MSE-single": (nn.MSE, RNG.standard_normal((6, 1)), RNG.standard_normal(6)),
    "CrossEntropy-labels": (nn.CrossEntropy, probabilities((6, 3)), [0, 2, 1, 1, 0, 2]),
    "CrossEntropy-onehot": (nn.CrossEntropy, probabilities((6, 3)), np.eye(3)[[2, 0, 1, 1, 0, 2]]),
}


@pytest.mark.parametrize("name", LAYER_CASES)
def test_layer_gradients(name):
    factory, x, training = LAYER_CASES[name]
    result = nn.gradcheck(factory(), x, training=training)
    assert result.passed, result
    assert set(result) >= {"x"}


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", LOSS_CASES)
def test_loss_gradients(name, reduction):
    cls, output, target = LOSS_CASES[name]
    result = nn.gradcheck(cls(reduction=reduction), output, target)
    assert result.max_error < 1e-7, result


def test_registry_covers_every_layer_and_loss():
    layer_types = {type(factory()).__name__ for factory, _, _ in LAYER_CASES.values()}
    assert layer_types == set(LAYERS)
    assert {cls.__name__ for cls, _, _ in LOSS_CASES.values()} == set(LOSSES)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_whole_network_with_loss_and_l2(reduction):
    model = nn.Sequential(
        nn.Dense(3, 5, l2=0.1, rng=0),
        nn.Tanh(),
        nn.Dense(5, 4, rng=0),
        nn.Sigmoid(),
        nn.Dense(4, 3, l2=0.05, rng=0),
    )
    x = RNG.standard_normal((7, 3))
    result = nn.gradcheck(model, x, [0, 1, 2, 2, 1, 0, 1], loss=nn.SoftmaxCrossEntropy(reduction))
    assert result.passed, result
    assert set(result) == {"x", "0.W", "0.b", "2.W", "2.b", "4.W", "4.b"}


def test_unfused_softmax_and_cross_entropy_equal_the_fused_gradient():
    z = RNG.standard_normal((8, 4))
    labels = RNG.randint(0, 4, 8)
    fused = nn.SoftmaxCrossEntropy()
    value_fused = fused.forward(z, labels)
    softmax, ce = nn.Softmax(), nn.CrossEntropy()
    value_unfused = ce.forward(softmax.forward(z), labels)
    np.testing.assert_allclose(value_unfused, value_fused, rtol=1e-14)
    np.testing.assert_allclose(
        softmax.backward(ce.backward()), fused.backward(), rtol=1e-12, atol=1e-15
    )


def test_gradcheck_catches_a_wrong_derivative():
    class WrongTanh(nn.Tanh):
        derivative = staticmethod(lambda a, out=None: 1 - a)  # should be 1 - a²

    result = nn.gradcheck(WrongTanh(), RNG.standard_normal((4, 3)))
    assert not result.passed
    assert result["x"] > 1e-2


def test_gradcheck_refuses_a_diverged_model():
    layer = nn.Dense(2, 2, rng=0)
    layer.params["W"][0, 0] = np.nan
    with pytest.raises(ValueError, match="diverged"):
        nn.gradcheck(layer, np.ones((2, 2)))
