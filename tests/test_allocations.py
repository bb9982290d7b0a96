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
from nnscratch import functional as F
from nnscratch.training import train_step

N = 2048  # rows: any array with one entry per row holds N bytes at least (bools)
# The step may still allocate NumPy's own bookkeeping (a reduction such as ``sum``
# takes ~0.9 KiB of iterator state, whatever the array's size) and Python floats;
# any array of one entry per row, even of N bools (2 KiB, plus its header), exceeds
# the bound. N is as large as that allows: a Dense output of more than
# F.TILE_BIAS_UP_TO values (N x 8 here) adds the bias broadcasting, for which NumPy
# allocates its 64 KiB buffer at every call, by design.
BOUND = 2048  # bytes
WIDEST = 8  # the widest layer of ``_problem``'s networks

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
    model = nn.build_mlp(
        2, [WIDEST, WIDEST], n_out, activation=activation, rng=0, dtype=dtype, l2=0.01
    )
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


def test_the_bound_catches_one_array_of_a_bool_per_row():
    # the problems stay in the range where the step allocates nothing (see N)
    assert N * WIDEST <= F.TILE_BIAS_UP_TO
    model, loss, X, y = _problem("softmax_cross_entropy", "mean", np.float64, "tanh")
    opt = nn.SGD(0.01)
    nn.fit(model, loss, opt, X, y, epochs=2)
    assert _peak_per_step(model, loss, opt, X, y) < BOUND
    step = opt.step
    opt.step = lambda params, grads: (np.zeros(N, dtype=bool), step(params, grads))
    assert _peak_per_step(model, loss, opt, X, y) >= BOUND


@pytest.mark.parametrize("loss_name", ["softmax_cross_entropy", "binary_cross_entropy"])
def test_a_full_batch_fit_epoch_allocates_no_arrays(loss_name):
    """Around the step, ``fit`` counts the correct predictions in reused arrays too."""
    model, loss, X, y = _problem(loss_name, "mean", np.float64, "tanh")
    peaks, accuracies = [], []

    def accuracy_of_the_predictions():
        # the network written out (tanh between Dense layers), off the model's buffers
        dense = [layer for layer in model.layers if isinstance(layer, nn.Dense)]
        scores = X
        for i, layer in enumerate(dense):
            scores = scores @ layer.params["W"] + layer.params["b"]
            scores = np.tanh(scores) if i < len(dense) - 1 else scores
        if loss_name == "softmax_cross_entropy":
            right = scores.argmax(axis=1) == y
        else:  # sigmoid(z) > 0.5 where z > 0; a row is right if all its labels are
            right = np.all((scores > 0) == (y > 0.5), axis=1)
        return np.count_nonzero(right) / N

    class Probe(nn.Callback):
        def on_epoch_begin(self, epoch, logs):
            # this epoch's step predicts from these weights; the arrays are freed before
            # the measure starts (else the epoch's allocations would fit in their place)
            accuracies.append(accuracy_of_the_predictions())
            tracemalloc.reset_peak()
            self.start = tracemalloc.get_traced_memory()[0]

        def on_epoch_end(self, epoch, logs):
            peaks.append(tracemalloc.get_traced_memory()[1] - self.start)

    nn.fit(model, loss, nn.SGD(0.1), X, y, epochs=2)  # warm up the model's buffers
    tracemalloc.start()
    try:
        history = nn.fit(model, loss, nn.SGD(0.1), X, y, epochs=6, callbacks=[Probe()])
    finally:
        tracemalloc.stop()
    # a call's first epoch allocates its buffers (the fresh SGD's, fit's for counting:
    # which shows the probe sees allocations); every epoch after it, none
    assert len(peaks) == 6 and peaks[0] >= BOUND
    assert max(peaks[1:]) < BOUND, f"an epoch allocated {peaks[1:]} bytes"
    # and the accuracy it logged is the one of the predictions
    assert history["accuracy"] == accuracies
    assert len(set(accuracies)) > 1  # the weights move: a stale prediction would show
