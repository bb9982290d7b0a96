"""Steady-state full-batch training allocates no new arrays per step.

After the first step, every array a training step needs (layer outputs,
gradients, the loss's temporaries) is a buffer kept from the step before.
Inference allocates: what it returns never aliases those buffers.
"""

import itertools
import tracemalloc

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.training import train_step

N = 1000  # rows: any array the step allocated would hold N values at least
# The step may still allocate NumPy's own bookkeeping (a reduction such as
# ``sum`` takes ~0.9 KiB of iterator state, whatever the array's size) and
# Python floats; the smallest array it could allocate, N float32 values, is 3.9 KiB.
BOUND = 2048  # bytes

LOSSES = {
    "softmax_cross_entropy": (nn.SoftmaxCrossEntropy, 3),
    "binary_cross_entropy": (nn.SigmoidBinaryCrossEntropy, 2),
    "mse": (nn.MSE, 1),
}
OPTIMIZERS = {
    "sgd": lambda: nn.SGD(0.01),
    "momentum": lambda: nn.SGD(0.01, momentum=0.9),
    "adam": lambda: nn.Adam(0.001),
}


def _problem(loss_name, reduction, dtype, activation):
    rng = np.random.RandomState(0)
    X = rng.randn(N, 2).astype(dtype)
    loss_class, n_out = LOSSES[loss_name]
    if loss_class is nn.SoftmaxCrossEntropy:
        y = rng.randint(0, n_out, N)
    elif loss_class is nn.SigmoidBinaryCrossEntropy:
        y = (rng.rand(N, n_out) > 0.5).astype(float)
    else:
        y = rng.randn(N, n_out)
    model = nn.build_mlp(2, [8, 8], n_out, activation=activation, rng=0, dtype=dtype, l2=0.01)
    return model, loss_class(reduction), X, y


def _peak_per_step(model, loss, optimizer, X, y, steps=3) -> int:
    """The most memory any one of ``steps`` training steps held above its start."""
    y = loss.check_target(y, model.n_out, model.dtype)
    checkpoint = model.flat_params.copy()
    peaks = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        tracemalloc.start()
        try:
            for _ in range(steps):
                start = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                train_step(model, loss, optimizer, X, y, checkpoint=checkpoint)
                peaks.append(tracemalloc.get_traced_memory()[1] - start)
        finally:
            tracemalloc.stop()
    return max(peaks)


@pytest.mark.parametrize(
    "activation, loss_name, reduction, optimizer, dtype",
    list(
        itertools.product(
            ["tanh", "relu", "sigmoid", "leaky_relu"],
            list(LOSSES),
            ["sum", "mean"],
            list(OPTIMIZERS),
            [np.float64, np.float32],
        )
    ),
)
def test_a_full_batch_step_allocates_no_arrays(activation, loss_name, reduction, optimizer, dtype):
    model, loss, X, y = _problem(loss_name, reduction, dtype, activation)
    opt = OPTIMIZERS[optimizer]()
    nn.fit(model, loss, opt, X, y, epochs=2)  # warm up: the buffers exist from here on
    peak = _peak_per_step(model, loss, opt, X, y)
    assert peak < BOUND, f"a training step allocated {peak} bytes"


def test_inference_returns_new_arrays_after_training():
    model, loss, X, y = _problem("softmax_cross_entropy", "mean", np.float64, "sigmoid")
    nn.fit(model, loss, nn.SGD(0.1), X, y, epochs=2)
    target = loss.check_target(y, model.n_out, model.dtype)

    first = model.forward(X)
    value = loss.forward(first, y)
    grad = loss.backward()
    kept = first.copy(), grad.copy()
    nn.fit(model, loss, nn.SGD(0.1), X, y, epochs=1)  # reuses the training buffers
    loss.compute(model.forward(X, training=True), target)
    assert model.forward(X) is not first
    np.testing.assert_array_equal(first, kept[0])
    np.testing.assert_array_equal(grad, kept[1])
    assert value == loss.forward(first, y)


@pytest.mark.parametrize("loss_name", ["softmax_cross_entropy", "binary_cross_entropy"])
def test_a_full_batch_fit_epoch_allocates_no_arrays(loss_name):
    """Around the step, ``fit`` counts the correct predictions in reused arrays too."""
    model, loss, X, y = _problem(loss_name, "mean", np.float64, "tanh")
    peaks = []

    class Probe(nn.Callback):
        def on_epoch_begin(self, epoch, logs):
            tracemalloc.reset_peak()
            self.start = tracemalloc.get_traced_memory()[0]

        def on_epoch_end(self, epoch, logs):
            peaks.append(tracemalloc.get_traced_memory()[1] - self.start)

    nn.fit(model, loss, nn.SGD(0.1), X, y, epochs=2, callbacks=[Probe()])  # warm up
    tracemalloc.start()
    try:
        history = nn.fit(model, loss, nn.SGD(0.1), X, y, epochs=5, callbacks=[Probe()])
    finally:
        tracemalloc.stop()
    assert min(peaks[-5:]) < BOUND, f"an epoch allocated {peaks[-5:]} bytes"
    # and the accuracy it logged is the one of the predictions
    assert 0 < history["accuracy"][-1] <= 1
