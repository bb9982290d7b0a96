"""The ``nnscratch`` command.

Bad arguments print one line and exit 2 (argparse's convention); a failure
while running prints one line and exits 1. No traceback reaches the user.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

EPILOG = """examples:
  nnscratch demo                         train the seed-000 moons network, write its picture
  nnscratch demo --output pictures/      ... into another folder
"""


class _Failure(Exception):
    """An expected failure: printed as one line, exit status 1."""


def _demo(args) -> int:
    """Seed 000: moons, 2-3-2 tanh, softmax cross-entropy (summed), L2 0.01, lr 0.01, full batch."""
    import numpy as np

    import nnscratch as nn
    from nnscratch.datasets import make_moons

    t0 = time.perf_counter()
    np.random.seed(0)
    X, y = make_moons(200, noise=0.20)  # draws from the global state, as the seed does
    model = nn.build_mlp(2, [args.hidden], 2, activation="tanh", l2=0.01, rng=0)
    loss = nn.SoftmaxCrossEntropy(reduction="sum")
    print(f"nnscratch demo: the seed-000 moons network, {args.epochs} full-batch passes")
    print(model.summary())

    def report(epoch, logs):
        # The seed prints the loss of the weights *after* pass i, divided by N.
        if epoch % 1000 == 0:
            after = nn.evaluate(model, loss, X, y)
            print(f"Loss after iteration {epoch}: {after['loss'] / len(X):f}")

    history = nn.fit(
        model,
        loss,
        nn.SGD(lr=0.01),
        X,
        y,
        epochs=args.epochs,
        callbacks=[nn.LambdaCallback(on_epoch_end=report)],
    )
    final = nn.evaluate(model, loss, X, y)
    print(f"final loss: {final['loss'] / len(X):f}   training accuracy: {final['accuracy']:.3f}")
    if history.stop_reason:
        print(f"note: {history.stop_reason}")

    from nnscratch.plotting import plot_decision_boundary, save_figure

    out = Path(args.output)
    ax = plot_decision_boundary(
        model, X, y, title=f"Decision boundary, hidden layer size {args.hidden}"
    )
    path = save_figure(ax.figure, out / "demo_moons_boundary.png")
    print(f"decision boundary written to {path}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from nnscratch import __version__

    parser = argparse.ArgumentParser(
        prog="nnscratch",
        description="Neural networks from scratch in NumPy.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nnscratch {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    demo = commands.add_parser(
        "demo",
        help="train the seed-000 moons network and write its decision boundary",
        description=_demo.__doc__,
        epilog="example:\n  nnscratch demo --output pictures/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--output", default="nnscratch-output", help="folder for the picture")
    demo.add_argument("--hidden", type=int, default=3, help="hidden layer size (default 3)")
    demo.add_argument("--epochs", type=int, default=20000, help="full-batch passes (default 20000)")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("nnscratch: interrupted", file=sys.stderr)
        return 130
    except (_Failure, ValueError, TypeError, OSError) as exc:
        print(f"nnscratch: error: {exc}", file=sys.stderr)
        return 1
