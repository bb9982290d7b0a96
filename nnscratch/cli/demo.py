"""``nnscratch demo``: the seed-000 moons network and its picture."""

from __future__ import annotations

import time

from ._common import (
    _command,
    _output_args,
    _positive_int,
    _prepare_output,
    _seed000_moons,
    _seed000_net,
)


def _demo(args) -> int:
    """Seed 000: moons, 2-3-2 tanh, softmax cross-entropy (summed), L2 0.01, lr 0.01, full batch."""
    import nnscratch as nn

    out = _prepare_output(args.output, ["demo_moons_boundary.png"], args.overwrite)
    t0 = time.perf_counter()
    X, y = _seed000_moons(200, 0.20, 0)
    print(f"nnscratch demo: the seed-000 moons network, {args.epochs} full-batch passes")

    summed = nn.SoftmaxCrossEntropy(reduction="sum")  # the recipe's loss

    class Report(nn.Callback):
        def on_epoch_end(self, epoch, logs):
            # The seed prints the loss of the weights *after* pass i, divided by N.
            if epoch % 1000 == 0:
                after = nn.evaluate(self.model, summed, X, y)
                print(f"Loss after iteration {epoch}: {after['loss'] / len(X):f}")

    model, final = _seed000_net(
        args.hidden, X, y, epochs=args.epochs, lr=0.01, l2=0.01, seed=0, args=args, desc=None,
        callbacks=[Report()],
    )  # fmt: skip
    print(model.summary())
    print(f"final loss: {final['loss'] / len(X):f}   training accuracy: {final['accuracy']:.3f}")

    from nnscratch.plotting import plot_decision_boundary, save_figure

    ax = plot_decision_boundary(
        model, X, y, title=f"Decision boundary, hidden layer size {args.hidden}"
    )
    path = save_figure(ax.figure, out / "demo_moons_boundary.png")
    print(f"decision boundary written to {path}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


def add_parsers(commands) -> None:
    """Add ``demo`` to the subcommands."""
    demo = _command(
        commands,
        "demo",
        _demo,
        "train the seed-000 moons network and write its decision boundary",
        "  nnscratch demo\n  nnscratch demo --output pictures/ --overwrite\n",
    )
    _output_args(demo, "nnscratch-output", "the picture (demo_moons_boundary.png)")
    demo.add_argument("--hidden", type=_positive_int, default=3, help="hidden layer size")
    demo.add_argument("--epochs", type=_positive_int, default=20000, help="full-batch passes")
    demo.set_defaults(quiet=True)  # no progress bar: the demo prints a line per 1000 passes
