"""Regenerate the README's pictures in docs/img/ (about a minute).

    python examples/make_readme_pictures.py [output_dir]

* demo_moons_boundary.png — seed 000's 2-3-2 tanh network on the moons.
* hidden_size_grid.png    — the same training for hidden sizes 1, 2, 3, 4, 5, 20, 50,
                            beside logistic regression (seed 000's experiment).
* activation_maps.png     — what each of the three hidden neurons computes.
* network.png             — the trained 2-3-2 network, line width ∝ |weight|.
* loss_curve.png          — seed 004's plateaus: the loss and the accuracy per epoch.
* training.gif            — the moons boundary taking shape during training.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
from nnscratch.examples.seed004_gaussian_quadrants import seed_network

import nnscratch as nn
from nnscratch.datasets import make_gaussian_quadrants, make_moons, one_hot
from nnscratch.plotting import (
    animate_training,
    plot_activation_maps,
    plot_decision_boundary,
    plot_loss_curve,
    plot_model_grid,
    plot_network,
    save_figure,
)

HIDDEN_SIZES = (1, 2, 3, 4, 5, 20, 50)
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "img"


def seed000_network(hidden: int, X, y, epochs: int = 20000):
    """Seed 000's training: full-batch SGD, step 0.01 on the summed loss, L2 0.01."""
    model = nn.build_mlp(2, [hidden], 2, activation="tanh", l2=0.01, rng=0)
    history = nn.fit(
        model, nn.SoftmaxCrossEntropy(reduction="sum"), nn.SGD(lr=0.01), X, y, epochs=epochs
    )
    return model, history


def main(output_dir=DEFAULT_OUTPUT, quiet: bool = False) -> list[Path]:
    say = (lambda *a: None) if quiet else print
    out = Path(output_dir)
    written = []

    np.random.seed(0)
    X, y = make_moons(200, noise=0.2)  # seed 000's data

    # the hidden-size grid, the 2-3-2 network among them
    models = {}
    for h in HIDDEN_SIZES:
        model, _ = seed000_network(h, X, y)
        models[f"hidden layer size {h}"] = model
        say(f"trained 2-{h}-2")
    from sklearn.linear_model import LogisticRegressionCV

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's deprecation chatter
        baseline = LogisticRegressionCV().fit(X, y)
    grid = {"logistic regression": baseline, **models}
    fig = plot_model_grid(
        grid, X, y, ncols=4, title="Moons: decision boundary by hidden layer size"
    )
    written.append(save_figure(fig, out / "hidden_size_grid.png", dpi=80))

    net = models["hidden layer size 3"]
    accuracy = nn.accuracy(y, net.predict(X))
    ax = plot_decision_boundary(
        net, X, y, title=f"2-3-2 tanh network on the moons (accuracy {accuracy:.3f})"
    )
    written.append(save_figure(ax.figure, out / "demo_moons_boundary.png", dpi=100))

    fig = plot_activation_maps(net, X, y=y)
    written.append(save_figure(fig, out / "activation_maps.png", dpi=90))

    ax = plot_network(net, title="the trained 2-3-2 network")
    written.append(save_figure(ax.figure, out / "network.png", dpi=90))

    # seed 004: a 2-3-3-4 sigmoid network on four Gaussian quadrants, with its plateaus
    np.random.seed(0)
    Xq, yq = make_gaussian_quadrants(800, noise=0.5)
    deep = seed_network()
    # accuracy as the seed means it: the arg-max output against the label, after each epoch
    argmax_accuracy = []
    record = nn.LambdaCallback(
        on_epoch_end=lambda epoch, logs: argmax_accuracy.append(
            float(np.mean(deep.predict_proba(Xq).argmax(axis=1) == yq))
        )
    )
    history = nn.fit(
        deep, nn.SigmoidBinaryCrossEntropy(), nn.SGD(lr=0.5), Xq, one_hot(yq, 4),
        epochs=10000, callbacks=[record],
    )  # fmt: skip
    ax = plot_loss_curve(
        {"loss": history["loss"], "accuracy": argmax_accuracy},
        title="Seed 004: a long plateau, a shoulder, then the loss falls",
    )
    written.append(save_figure(ax.figure, out / "loss_curve.png", dpi=100))

    # the moons boundary taking shape (3000 passes of seed 000's training)
    animate_training(
        nn.build_mlp(2, [3], 2, activation="tanh", l2=0.01, rng=0),
        nn.SoftmaxCrossEntropy(reduction="sum"),
        nn.SGD(lr=0.01),
        X,
        y,
        out / "training.gif",
        epochs=3000,
        frames=16,
        dpi=72,
    )
    written.append(out / "training.gif")
    for path in written:
        say(f"wrote {path} ({path.stat().st_size // 1024} KB)")
    return written


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUTPUT)
