"""Seed 003: which quadrant is a point in? A 2-50-4 ReLU network learns it from four points.

    data   one point per quadrant, [2,1], [-1,1], [-1,-1], [1,-1] -> classes 0..3
           (quadrants I..IV); tested on [2,2], [-2,2], [-2,-2], [2,-2]
    model  Dense(2, 50) -> ReLU -> Dense(50, 4), W drawn with plain randn (std 1,
           no scaling) after np.random.seed(1), zero biases
    loss   softmax cross-entropy averaged over the points (the softmax subtracts
           the row maximum, as the seed's does); L2 0.001 on the weights
    loop   gradient descent lr 0.001, 10000 full-batch passes

The seed adds reg · W to the weight gradients but prints the loss without
the penalty: that is the "data_loss" entry of nnscratch's logs ("loss" is
data_loss + penalty). The seed's points are integer arrays; nnscratch
converts inputs to float64 once, and integers up to 2**53 convert exactly,
so the numbers are the same.

Run:  python -m nnscratch.examples.seed003_quadrants   (picture in nnscratch-output/)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import nnscratch as nn
from nnscratch.datasets import make_quadrant_points


def main(output_dir=None, quiet=False) -> dict:
    say = (lambda *args: None) if quiet else print

    # data
    X, y = make_quadrant_points()
    X_test, y_test = make_quadrant_points(test=True)

    # model: plain randn weights (normal, std 1), zero biases, drawn after np.random.seed(1)
    np.random.seed(1)
    model = nn.build_mlp(2, [50], 4, activation="relu", weight_init=nn.initializers.Normal(1.0),
                         l2=0.001)  # fmt: skip
    say(model.summary())

    # loss, optimizer and loop; print every 1000 passes and the last
    loss = nn.SoftmaxCrossEntropy()  # reduction="mean"

    def seed_print(epoch, logs):
        if epoch % 1000 == 0 or epoch == 9999:
            say(f"iteration {epoch}  loss {logs['data_loss']!r}")

    history = nn.fit(model, loss, nn.SGD(lr=0.001), X, y, epochs=10000,
                     callbacks=[nn.LambdaCallback(on_epoch_end=seed_print)])  # fmt: skip

    # evaluation on the training points and on the test points
    final_loss = nn.evaluate(model, loss, X, y)["data_loss"]
    say(f"loss of the final weights: {final_loss!r}")
    say(f"training quadrants: {(model.predict(X) + 1).tolist()}")
    probabilities = model.predict_proba(X_test)
    say(probabilities)
    for point, label in zip(X_test, model.predict(X_test)):
        say(f"{point} is in quadrant {label + 1}")

    if output_dir is not None:
        from nnscratch.plotting import plot_decision_boundary, save_figure

        ax = plot_decision_boundary(model, X, y, X_test=X_test, y_test=y_test,
                                    title="Quadrants learnt from four points")  # fmt: skip
        path = save_figure(ax.figure, Path(output_dir) / "seed003_quadrants.png")
        say(f"decision regions written to {path}")

    return {
        "losses": history["data_loss"],
        "final_loss": final_loss,
        "train_quadrants": model.predict(X) + 1,
        "test_probabilities": probabilities,
        "test_quadrants": model.predict(X_test) + 1,
    }


if __name__ == "__main__":
    main("nnscratch-output")
