"""Seed 001: the moons again, with 8 hidden units, a linear baseline and a hidden-size sweep.

    data      make_moons(200, noise=0.2) right after np.random.seed(0)
    baseline  scikit-learn's LogisticRegressionCV: a straight line, 85 % of the points
    model     Dense(2, 8) -> Tanh -> Dense(8, 2), weights randn / sqrt(fan_in), L2 0.01
    loss      softmax cross-entropy summed over the points, gradient descent lr 0.01
    loop      20000 full-batch passes

With 8 hidden units the run is robust: its final loss, 0.030486, is the same
to the last digits whatever the order of the floating-point sums. The sweep
shows what the hidden layer buys: one unit draws a line, barely better than
the logistic regression; three bend it around the moons; more units fit the
training points ever more closely, and the tutorial warns that this turns into
over-fitting (the boundary starts to bend around single noisy points).
Hidden sizes 2, 3 and 4 sit on the edge of stability (see seed000_moons.py):
their last digits depend on the BLAS kernel.

The math of the forward and backward passes, next to the code that computes
it, is in docs/math.md.

Run:  python -m nnscratch.examples.seed001_moons_h8   (pictures in nnscratch-output/)
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

import nnscratch as nn
from nnscratch.datasets import make_moons


def train_moons(X, y, hidden: int):
    """The same network and loop as in main(), for another hidden size: (model, loss, logs)."""
    model = nn.build_mlp(2, [hidden], 2, activation="tanh", l2=0.01, rng=0)
    loss = nn.SoftmaxCrossEntropy(reduction="sum")
    nn.fit(model, loss, nn.SGD(lr=0.01), X, y, epochs=20000)
    return model, loss, nn.evaluate(model, loss, X, y)


def main(output_dir=None, quiet=False, hidden_sizes=(1, 2, 3, 4, 5, 20, 50)) -> dict:
    say = (lambda *args: None) if quiet else print

    # data
    np.random.seed(0)
    X, y = make_moons(200, noise=0.20)
    n = len(X)

    # baseline: logistic regression draws a straight line
    from sklearn.linear_model import LogisticRegressionCV

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # scikit-learn's notices of new defaults
        baseline = LogisticRegressionCV().fit(X, y)
    baseline_accuracy = float(baseline.score(X, y))
    say(f"LogisticRegressionCV training accuracy: {baseline_accuracy:.3f}")

    # model: Dense(2, 8) -> Tanh -> Dense(8, 2); rng=0 draws what np.random.seed(0) would
    model = nn.build_mlp(2, [8], 2, activation="tanh", l2=0.01, rng=0)
    say(model.summary())

    # loss, optimizer and loop: summed cross-entropy, lr 0.01, 20000 full-batch passes
    loss = nn.SoftmaxCrossEntropy(reduction="sum")
    nn.fit(model, loss, nn.SGD(lr=0.01), X, y, epochs=20000)

    # evaluation
    final = nn.evaluate(model, loss, X, y)
    say(
        f"hidden size 8: final loss {final['loss'] / n:f}, training accuracy {final['accuracy']:.3f}"
    )

    # the sweep: bigger hidden layers fit the training points ever more closely
    sweep = {8: model}
    results = {8: (final["loss"] / n, final["accuracy"])}
    say("hidden size | final loss | training accuracy")
    for hidden in hidden_sizes:
        sweep[hidden], _, logs = train_moons(X, y, hidden)
        results[hidden] = (logs["loss"] / n, logs["accuracy"])
        say(f"{hidden:11d} | {logs['loss'] / n:10f} | {logs['accuracy']:.3f}")

    if output_dir is not None:
        from nnscratch.plotting import plot_decision_boundary, plot_model_grid, save_figure

        out = Path(output_dir)
        ax = plot_decision_boundary(baseline, X, y, title="Logistic regression")
        save_figure(ax.figure, out / "seed001_logistic_regression.png")
        ax = plot_decision_boundary(model, X, y, title="Hidden layer size 8")
        save_figure(ax.figure, out / "seed001_boundary_h8.png")
        models = {f"hidden layer size {h}": sweep[h] for h in sorted(sweep)}
        fig = plot_model_grid(models, X, y, title="Decision boundaries by hidden layer size")
        path = save_figure(fig, out / "seed001_hidden_sizes.png")
        say(f"pictures written to {out} ({path.name} and two more)")

    return {
        "baseline_accuracy": baseline_accuracy,
        "final_loss": final["loss"] / n,
        "accuracy": final["accuracy"],
        "sweep": results,
    }


if __name__ == "__main__":
    main("nnscratch-output")
