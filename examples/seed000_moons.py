"""Seed 000: a 2-3-2 tanh network separates the two moons.

    data   make_moons(200, noise=0.2) right after np.random.seed(0)
    model  Dense(2, 3) -> Tanh -> Dense(3, 2), weights randn / sqrt(fan_in), L2 0.01
    loss   softmax cross-entropy SUMMED over the 200 points (the seed's choice)
    loop   full-batch gradient descent, lr 0.01, 20000 passes

It prints what the seed prints: every 1000 passes, the loss of the weights
just updated, divided by N. Then comes the lesson of this seed.

Edge of stability. The gradient of a summed loss is N = 200 times the
gradient of the mean loss, so lr 0.01 is a step of 2.0 on the mean loss,
about as large as this problem allows. After about 1200 passes gradient
descent stops settling: it jumps between two sets of weights, and the loss
alternates between 0.070758 and 0.071316 from one pass to the next (a
period-2 cycle). On that edge a change in the last bit of a sum (a
numerically stable softmax, another BLAS kernel) grows until it decides
which of the two the last pass lands on, and the losses printed after
iteration 1000 differ in their later digits. What does not depend on it is
the accuracy, 0.975, and the two branch values. So the seed's numbers are
matched exactly up to iteration 1000 and by those figures afterwards.

The fix is a smaller step. With lr 0.004 (0.8 on the mean loss; or the
default mean reduction with lr 0.8 and l2 = 0.01 / N, the same objective)
the loss goes down at every pass and ends lower, at 0.067809.

Run:  python -m nnscratch.examples.seed000_moons   (picture in nnscratch-output/)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import nnscratch as nn
from nnscratch.datasets import make_moons

LESSON = """\
Why the loss alternates: the summed loss has a gradient N = 200 times that of
the mean loss, so lr 0.01 is a step of 2.0 on the mean loss, the edge of
stability here. Gradient descent ends up jumping between two sets of weights
(a period-2 cycle, loss 0.070758 / 0.071316) instead of settling. Which branch
a given pass lands on depends on the last bits of the sums (another BLAS
kernel, a stable softmax); the accuracy, 0.975, does not. A smaller step settles:"""


def main(output_dir=None, quiet=False) -> dict:
    say = (lambda *args: None) if quiet else print

    # data: the seed seeds numpy's global state, and make_moons draws from it
    np.random.seed(0)
    X, y = make_moons(200, noise=0.20)
    n = len(X)

    # model: Dense(2, 3) -> Tanh -> Dense(3, 2); rng=0 draws what np.random.seed(0) would
    model = nn.build_mlp(2, [3], 2, activation="tanh", l2=0.01, rng=0)
    say(model.summary())

    # loss and optimizer: cross-entropy summed over the points, plain gradient descent
    loss = nn.SoftmaxCrossEntropy(reduction="sum")
    optimizer = nn.SGD(lr=0.01)

    # loop: the seed prints the loss of the weights *after* update i, divided by N
    printed = {}

    def after_update(epoch, logs):
        if epoch % 1000 == 0:
            printed[epoch] = nn.evaluate(model, loss, X, y)["loss"] / n
            say(f"Loss after iteration {epoch}: {printed[epoch]:f}")

    history = nn.fit(
        model, loss, optimizer, X, y, epochs=20000,
        callbacks=[nn.LambdaCallback(on_epoch_end=after_update)],
    )  # fmt: skip

    # evaluation
    final = nn.evaluate(model, loss, X, y)
    say(f"final loss: {final['loss'] / n:f}   training accuracy: {final['accuracy']:.3f}")

    # the lesson: the last passes alternate between two branches ...
    curve = [value / n for value in history["loss"]]  # loss before each update, / N
    say("\nlast four losses with lr 0.01:  " + "  ".join(f"{v:.7f}" for v in curve[-4:]))
    say(LESSON)
    # ... and a smaller step (0.8 on the mean loss) descends at every pass, to a lower loss
    fixed_model = nn.build_mlp(2, [3], 2, activation="tanh", l2=0.01, rng=0)
    fixed_history = nn.fit(fixed_model, loss, nn.SGD(lr=0.004), X, y, epochs=20000)
    fixed_curve = [value / n for value in fixed_history["loss"]]
    fixed = nn.evaluate(fixed_model, loss, X, y)
    say("last four losses with lr 0.004: " + "  ".join(f"{v:.7f}" for v in fixed_curve[-4:]))
    say(f"final loss: {fixed['loss'] / n:f}   training accuracy: {fixed['accuracy']:.3f}")

    # pictures: the decision boundary, and the last passes of both runs
    if output_dir is not None:
        from nnscratch.plotting import new_axes, plot_decision_boundary, save_figure

        out = Path(output_dir)
        ax = plot_decision_boundary(model, X, y, title="Decision boundary for hidden layer size 3")
        save_figure(ax.figure, out / "seed000_boundary_h3.png")
        ax = new_axes()
        passes = np.arange(len(curve))[-40:]
        ax.plot(passes, curve[-40:], ".-", label="lr 0.01: a step of 2.0 on the mean loss")
        ax.plot(passes, fixed_curve[-40:], ".-", label="lr 0.004: a step of 0.8")
        ax.set(xlabel="pass", ylabel="loss / N", title="The last 40 passes")
        ax.legend()
        save_figure(ax.figure, out / "seed000_step_size.png")
        say(f"decision boundary and step sizes written to {out}")

    return {
        "printed": printed,
        "final_loss": final["loss"] / n,
        "accuracy": final["accuracy"],
        "loss_curve": curve,
        "fixed_loss_curve": fixed_curve,
        "fixed_final_loss": fixed["loss"] / n,
        "fixed_accuracy": fixed["accuracy"],
    }


if __name__ == "__main__":
    main("nnscratch-output")
