"""``nnscratch reproduce``, ``grid`` and ``compare``: the seed tutorials from the command line."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

from nnscratch._files import write_text

from ._common import (
    _clash,
    _command,
    _Failure,
    _nonnegative_float,
    _output_args,
    _positive_float,
    _positive_int,
    _prepare_output,
    _samples,
    _say,
    _seed,
    _seed000_moons,
    _seed000_net,
)

SEEDS = {
    "000": "seed000_moons",
    "001": "seed001_moons_h8",
    "002": "seed002_xor",
    "003": "seed003_quadrants",
    "004": "seed004_gaussian_quadrants",
}


def _seed000_args(parser) -> None:
    parser.add_argument("--epochs", type=_positive_int, default=20000, help="full-batch passes")
    parser.add_argument("--lr", type=_positive_float, default=0.01, help="learning rate")
    parser.add_argument("--l2", type=_nonnegative_float, default=0.01, help="L2 weight penalty")
    parser.add_argument("--samples", type=_samples, default=200, help="moons points")
    parser.add_argument("--noise", type=_nonnegative_float, default=0.2, help="moons noise")
    parser.add_argument("--seed", type=_seed, default=0, help="seed for data and weights")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


# ---------------------------------------------------------------- reproduce


def _reproduce(args) -> int:
    """Run the seed tutorials' examples (nnscratch.examples) and write their pictures."""
    import importlib

    ids = list(SEEDS) if args.seed == "all" else [args.seed]
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise _Failure(f"output {out} exists and is not a folder")
    if not args.overwrite and out.is_dir():
        clash = sorted(p.name for i in ids for p in out.glob(f"seed{i}_*"))
        if clash:
            raise _clash(out, clash)
    out.mkdir(parents=True, exist_ok=True)
    for i in ids:
        name = f"nnscratch.examples.{SEEDS[i]}"
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise _Failure(f"the example for seed {i} ({name}) cannot be imported: {exc}") from None
        print(f"=== seed {i}: {SEEDS[i]} ===")
        t0 = time.perf_counter()
        result = module.main(output_dir=str(out), quiet=args.quiet)
        scalars = {
            k: v for k, v in (result or {}).items() if isinstance(v, (int, float, str, bool))
        }
        summary = "  ".join(
            f"{k} {v:.6g}" if isinstance(v, float) else f"{k} {v}" for k, v in scalars.items()
        )
        print(
            f"seed {i} done in {time.perf_counter() - t0:.1f} s"
            + (f": {summary}" if summary else "")
        )
    print(f"pictures in {out}")
    return 0


# ---------------------------------------------------------------- grid


def _grid(args) -> int:
    """Train seed 000's moons network for several hidden sizes; write the grid of boundaries."""
    names = ["grid_hidden_sizes.png", "grid_hidden_sizes.csv"]
    out = _prepare_output(args.output, names, args.overwrite)
    t0 = time.perf_counter()
    X, y = _seed000_moons(args.samples, args.noise, args.seed)
    models, rows = {}, []
    _say(args, f"nnscratch grid: moons, 2-H-2 tanh, {args.epochs} full-batch passes per network")
    for size in args.sizes:
        model, logs = _seed000_net(
            size, X, y, epochs=args.epochs, lr=args.lr, l2=args.l2, seed=args.seed, args=args,
            desc=f"H={size}",
        )  # fmt: skip
        models[f"hidden layer size {size}"] = (model, logs["accuracy"])
        rows.append((size, logs["accuracy"], logs["loss"] / len(X)))
        print(f"hidden size {size:>3d}: training accuracy {logs['accuracy']:.3f}   "
              f"loss {logs['loss'] / len(X):.6f}")  # fmt: skip

    from nnscratch.plotting import plot_model_grid, save_figure

    fig = plot_model_grid(
        models, X, y, ncols=2, title=f"Moons, hidden layer sizes ({args.epochs} passes)"
    )
    picture = save_figure(fig, out / names[0])
    table = "hidden,accuracy,loss\n" + "".join(f"{h},{a!r},{v!r}\n" for h, a, v in rows)
    write_text(out / names[1], table)
    print(f"wrote {picture}, {out / names[1]}")
    _say(args, f"done in {time.perf_counter() - t0:.1f} s")
    return 0


# ---------------------------------------------------------------- compare


def _compare(args) -> int:
    """Logistic regression (LogisticRegressionCV) against seed 000's network on the moons."""
    from sklearn.linear_model import LogisticRegressionCV

    import nnscratch as nn

    names = ["compare_logreg_vs_network.png"]
    out = _prepare_output(args.output, names, args.overwrite)
    t0 = time.perf_counter()
    X, y = _seed000_moons(args.samples, args.noise, args.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        logreg = LogisticRegressionCV().fit(X, y)
        logreg_accuracy = float(nn.accuracy(y, logreg.predict(X)))
    print(f"logistic regression: training accuracy {logreg_accuracy:.3f}")
    model, logs = _seed000_net(
        args.hidden, X, y, epochs=args.epochs, lr=args.lr, l2=args.l2, seed=args.seed, args=args,
        desc=f"network H={args.hidden}",
    )  # fmt: skip
    print(f"network 2-{args.hidden}-2:    training accuracy {logs['accuracy']:.3f}")

    from nnscratch.plotting import plot_model_grid, save_figure

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        fig = plot_model_grid(
            {
                "logistic regression": (logreg, logreg_accuracy),
                f"network, hidden layer size {args.hidden}": (model, logs["accuracy"]),
            },
            X,
            y,
            ncols=2,
            title="A straight line cannot separate the moons",
        )
    print(f"wrote {save_figure(fig, out / names[0])}")
    _say(args, f"done in {time.perf_counter() - t0:.1f} s")
    return 0


# ---------------------------------------------------------------- parser


def add_parsers(commands) -> None:
    """Add ``reproduce``, ``grid`` and ``compare`` to the subcommands."""
    reproduce = _command(
        commands,
        "reproduce",
        _reproduce,
        "run one seed tutorial's example (000-004) or all of them",
        "  nnscratch reproduce 000\n  nnscratch reproduce all --output seeds/ --quiet\n"
        "\n"
        "000 moons H=3, 001 moons H=8, 002 XOR, 003 quadrant points, 004 gaussian\n"
        "quadrants; the examples live in the examples/ folder (nnscratch.examples).\n"
        "Their pictures are named seedNNN_*.png; existing ones are not replaced\n"
        "without --overwrite.\n",
    )
    reproduce.add_argument("seed", choices=[*SEEDS, "all"], help="which seed, or all in order")
    _output_args(reproduce, "nnscratch-output", "the pictures")
    reproduce.add_argument("--quiet", action="store_true", help="only the summary lines")

    grid = _command(
        commands,
        "grid",
        _grid,
        "moons networks for several hidden sizes, one picture of their boundaries",
        "  nnscratch grid\n  nnscratch grid --sizes 1 3 50 --epochs 5000 --output grid/\n"
        "\n"
        "Seed 000's recipe for each size: 2-H-2 tanh, summed softmax cross-entropy,\n"
        "L2 0.01, plain full-batch gradient descent with lr 0.01. Writes\n"
        "grid_hidden_sizes.png and grid_hidden_sizes.csv (size, accuracy, loss / N).\n",
    )
    grid.add_argument(
        "--sizes",
        type=_positive_int,
        nargs="+",
        default=[1, 2, 3, 4, 5, 20, 50],
        metavar="H",
        help="hidden layer sizes",
    )
    _seed000_args(grid)
    _output_args(grid, "nnscratch-output", "the picture and table")

    compare = _command(
        commands,
        "compare",
        _compare,
        "logistic regression vs the network on the moons, side by side",
        "  nnscratch compare\n  nnscratch compare --hidden 8 --epochs 5000 --output cmp/\n"
        "\n"
        "scikit-learn's LogisticRegressionCV against seed 000's network; prints both\n"
        "training accuracies and writes compare_logreg_vs_network.png.\n",
    )
    compare.add_argument("--hidden", type=_positive_int, default=3, help="hidden layer size")
    _seed000_args(compare)
    _output_args(compare, "nnscratch-output", "the picture")
