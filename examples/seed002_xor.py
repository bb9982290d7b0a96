"""Seed 002: a Linear-ReLU-Linear network on XOR, which never learns it, and two fixes.

    data   the four XOR points [0,0], [0,1], [1,0], [1,1] -> 0, 1, 1, 0
    model  Dense(2, 3) -> ReLU -> Dense(3, 1), W and b drawn from N(0, 0.1²) after
           np.random.seed(42)
    loss   squared error; the seed feeds back the gradient ŷ - y, so it is our
           MSE(reduction="sum") = ½ Σ (ŷ - y)²  (the seed prints ‖ŷ - y‖², twice that)
    loop   gradient descent lr 0.01, up to 10000 passes, print every 100,
           stop once the printed loss is below 0.001

Why it fails. With these weights hidden unit 3 is switched off on all four
points (its input is below zero, so ReLU outputs 0 and passes back no
gradient: a dead unit). Units 1 and 2 are switched on on all four points,
where ReLU is the identity. So the whole network is an affine function of
its input, and no affine function computes XOR. Gradient descent finds the
best one, ŷ = 0.5 everywhere, whose loss is 4 · 0.5² = 1: the printed loss
stays at 1.0000 and the predictions are half wrong. Training longer changes
nothing.

What fixes it: units whose kink falls between the points. Tanh instead of
ReLU (same seed, same weights) is never flat, so it bends; 8 ReLU units
instead of 3 leave enough of them alive. Either one learns XOR and meets the
seed's stopping rule.

Run:  python -m nnscratch.examples.seed002_xor
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import nnscratch as nn
from nnscratch.datasets import make_xor


def xor_network(hidden=3, activation=nn.ReLU, seed=42):
    """Dense(2, hidden) -> activation -> Dense(hidden, 1), W then b from N(0, 0.1²)."""
    np.random.seed(seed)  # the layers draw from numpy's global state (rng=None)
    normal = nn.initializers.Normal(0.1)
    return nn.Sequential(
        nn.Dense(2, hidden, weight_init=normal, bias_init=normal),
        activation(),
        nn.Dense(hidden, 1, weight_init=normal, bias_init=normal),
    )


def train(model, say=print):
    """The seed's loop; returns the history and the printed losses (‖ŷ - y‖², every 100)."""
    X, y = make_xor()
    printed = {}

    def seed_print(epoch, logs):
        if epoch % 100 == 0:
            printed[epoch] = 2 * logs["loss"]  # the seed's ‖ŷ - y‖² is twice ½ Σ (ŷ - y)²
            say(printed[epoch])

    history = nn.fit(
        model,
        nn.MSE(reduction="sum"),
        nn.SGD(lr=0.01),
        X,
        y,
        epochs=10000,
        callbacks=[
            nn.LambdaCallback(on_epoch_end=seed_print),
            # the seed's `if loss < 0.001: break`, on our loss, half of the printed one
            nn.EarlyStopping(monitor="loss", threshold=0.0005, patience=None),
        ],
    )
    return history, printed


def main(output_dir=None, quiet=False) -> dict:
    say = (lambda *args: None) if quiet else print

    # data, model (printed), loss, optimizer and loop
    X, y = make_xor()
    model = xor_network()
    say(model.summary())
    history, printed = train(model, say)

    # evaluation: raw outputs, thresholded at 0.5
    outputs = model.decision_function(X)[:, 0]
    predictions = (outputs > 0.5).astype(int)
    if history.stop_reason:
        say(f"train over! iteration {len(history) - 1}")
    say(f"loss at the last iteration: {2 * history['loss'][-1]!r}")
    say(f"outputs {outputs}, predictions {predictions.tolist()} (XOR is {y.tolist()})")

    # why: which hidden units are switched on (input > 0) for each point
    active = model.layers[0].forward(X) > 0
    say("hidden units active per point (rows: points, columns: units):")
    say(active.astype(int))
    say("unit 3 is dead and units 1, 2 are linear on all points: the network is affine.")

    # the fixes: tanh instead of ReLU, or more ReLU units
    fixes, nets = {}, {"the seed: 3 ReLU units": (model, float(np.mean(predictions == y)))}
    for label, net in {
        "tanh instead of ReLU": xor_network(activation=nn.Tanh),
        "8 ReLU units instead of 3": xor_network(hidden=8),
    }.items():
        fix_history, _ = train(net, say=lambda *args: None)
        fix_outputs = net.decision_function(X)[:, 0]
        fix_predictions = (fix_outputs > 0.5).astype(int)
        fixes[label] = {
            "epochs": len(fix_history),
            "loss": 2 * fix_history["loss"][-1],
            "outputs": fix_outputs,
            "predictions": fix_predictions,
        }
        nets[label] = (net, float(np.mean(fix_predictions == y)))
        say(
            f"{label}: train over after {len(fix_history)} passes, loss "
            f"{fixes[label]['loss']:.6f}, predictions {fix_predictions.tolist()}"
        )

    # picture: the network's output over the plane (0.5 is the decision boundary)
    if output_dir is not None:
        from nnscratch.plotting import plot_model_grid, save_figure

        fig = plot_model_grid(nets, X, y, ncols=3, title="XOR: the seed's network and two fixes")
        path = save_figure(fig, Path(output_dir) / "seed002_xor.png")
        say(f"picture written to {path}")

    return {
        "printed": printed,
        "epochs": len(history),
        "stopped": history.stop_reason is not None,
        "last_loss": 2 * history["loss"][-1],
        "outputs": outputs,
        "predictions": predictions,
        "active": active,
        "weights": model.state_dict(),
        "fixes": fixes,
    }


if __name__ == "__main__":
    main("nnscratch-output")
