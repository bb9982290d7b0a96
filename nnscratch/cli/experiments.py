"""The ``nnscratch export`` and ``nnscratch sweep`` subcommands.

``cli.build_parser`` adds them with ``add_export_parser(commands)`` and
``add_sweep_parser(commands)``. Each sets ``run=`` to a function of the parsed
arguments that returns the exit status; expected failures raise ``ValueError``
/ ``TypeError`` / ``OSError``, and a missing optional dependency ``ImportError``,
which ``cli.main`` prints as one line (exit 1).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ._common import (
    _data_name,
    _fraction,
    _nonnegative_float,
    _output_args,
    _positive_int,
    _prepare_output,
    _seed,
)

EXPORT_EPILOG = """examples:
  nnscratch export moons.npz --onnx moons.onnx
  nnscratch export moons.npz --onnx moons.onnx --verify   # also run it in onnxruntime

The graph's input "input" is (N, n_in) in the model's dtype; its output is
predict_proba ("probabilities") for a classifier's loss, the raw output
("output") otherwise. Needs: pip install 'nnscratch[onnx]'.
"""

SWEEP_EPILOG = """settings (NAME=V1,V2,...):
  hidden_sizes=1,2,3,16x8   lr=0.001,0.01   l2=0,0.01   activation=tanh,relu
  optimizer=sgd,momentum,nesterov,adam,rmsprop,adagrad   dropout=0,0.2
  epochs=200   batch_size=none,32   seed=0,1,2
  random search also takes lr=loguniform:1e-4:1e-1 and l2=uniform:0:0.01

examples:
  nnscratch sweep hidden_sizes=1,2,3,4,5,20,50 --epochs 2000
  nnscratch sweep hidden_sizes=4,16 lr=0.003,0.03 activation=tanh,relu --jobs 2
  nnscratch sweep lr=loguniform:1e-4:1e-1 l2=loguniform:1e-5:1e-1 --search random --n-iter 40
  nnscratch sweep hidden_sizes=2,8,32 --scheduler tcp://10.0.0.5:8786

Writes OUTPUT/sweep.csv, OUTPUT/sweep.json (with every run's history) and
OUTPUT/sweep.png (the metric against the first setting). Exit status 1 if any
run failed (the others are still in the table). A Dask scheduler needs
pip install 'nnscratch[dask]'.
"""


# ---------------------------------------------------------------- export
def add_export_parser(subparsers) -> argparse.ArgumentParser:
    """``nnscratch export MODEL --onnx OUT [--opset N] [--verify]``."""
    parser = subparsers.add_parser(
        "export",
        help="write a saved model as an ONNX graph",
        description="Write a model saved by nnscratch.save (.npz) as a standard ONNX graph.",
        epilog=EXPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL", help="model file written by nnscratch.save")
    parser.add_argument("--onnx", metavar="OUT", required=True, help="ONNX file to write")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (>= 13, default 17)")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="run the file in onnxruntime on random inputs and print the largest difference "
        "from the model's own predictions",
    )
    parser.set_defaults(run=_run_export)
    return parser


def _run_export(args) -> int:
    import nnscratch as nn

    if Path(args.onnx).exists() and not args.overwrite:
        raise ValueError(f"{args.onnx} already exists; pass --overwrite to replace it")
    from nnscratch.export import check_onnx, to_onnx, to_onnx_model

    model = nn.load(args.model)
    graph = to_onnx_model(model, opset=args.opset)
    path = to_onnx(model, args.onnx, opset=args.opset)
    ops = [node.op_type for node in graph.graph.node]
    output = graph.graph.output[0].name
    print(
        f"wrote {path}: {' -> '.join(ops)}, opset {args.opset}, "
        f"input 'input' (N, {model.n_in}) {model.dtype.name} -> '{output}' (N, {model.n_out})"
    )
    if args.verify:
        error = check_onnx(model, path)
        print(f"onnxruntime agrees with the model to {error:.3g} (largest difference, 256 rows)")
    return 0


# ---------------------------------------------------------------- sweep
SWEEP_FILES = ("sweep.csv", "sweep.json", "sweep.png")
_INTS = ("epochs", "seed")
_FLOATS = ("lr", "l2", "dropout")


def _value(name: str, text: str):
    """One value of a setting from its text (none for batch_size).

    Hidden sizes stay text (16x8): ``sweep`` reads them, as it does from Python.
    """
    text = text.strip()
    if name == "batch_size":
        if text.lower() in ("none", "full"):
            return None
        name_kind = int
    elif name in _INTS:
        name_kind = int
    elif name in _FLOATS:
        name_kind = float
    else:
        return text
    try:
        return name_kind(text)
    except ValueError:
        raise ValueError(f"{name} value {text!r} is not a number") from None


def _values(name: str, text: str):
    """The values of NAME=... : a comma list, or loguniform:LOW:HIGH / uniform:LOW:HIGH."""
    from nnscratch.sweeps import DEFAULTS, LogUniform, Uniform

    if name not in DEFAULTS:
        raise ValueError(f"unknown setting {name!r}; known: {', '.join(DEFAULTS)}")
    head, _, rest = text.partition(":")
    if head in ("loguniform", "uniform") and rest:
        low, sep, high = rest.partition(":")
        try:
            bounds = float(low), float(high)
        except ValueError:
            raise ValueError(f"{name}={text}: expected {head}:LOW:HIGH") from None
        if not sep:
            raise ValueError(f"{name}={text}: expected {head}:LOW:HIGH")
        return (LogUniform if head == "loguniform" else Uniform)(*bounds)
    values = [_value(name, part) for part in text.split(",") if part.strip()]
    if not values:
        raise ValueError(f"{name}= has no values")
    return values


def _assignments(items: list[str], what: str) -> dict:
    parsed = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise ValueError(f"{what} {item!r} is not NAME=VALUES (e.g. hidden_sizes=2,8,32)")
        if name in parsed:
            raise ValueError(f"setting {name} is given twice")
        parsed[name] = _values(name, text)
    return parsed


def add_sweep_parser(subparsers) -> argparse.ArgumentParser:
    """``nnscratch sweep NAME=V1,V2 ... [--search random --n-iter N] [--jobs N | --scheduler ADDR]``."""
    from nnscratch.sweeps import DATASETS

    parser = subparsers.add_parser(
        "sweep",
        help="train one network per setting (grid or random search), in parallel",
        description="Train one network per combination of settings and collect the results "
        "into a table and a picture, on local processes or a Dask cluster.",
        epilog=SWEEP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("settings", nargs="+", metavar="NAME=VALUES", help="settings to vary")
    parser.add_argument(
        "--set",
        dest="fixed",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting shared by every run (repeatable)",
    )
    parser.add_argument(
        "--data", type=_data_name, default="moons", choices=sorted(DATASETS), help="data set"
    )
    parser.add_argument("--samples", type=_positive_int, default=200, help="points in the data set")
    parser.add_argument(
        "--noise", type=_nonnegative_float, default=None, help="data noise (its default)"
    )
    parser.add_argument(
        "--validation-split", type=_fraction, default=0.25, help="held-out fraction (default 0.25)"
    )
    parser.add_argument("--search", choices=("grid", "random"), default="grid")
    parser.add_argument(
        "--n-iter", type=_positive_int, default=None, help="runs of a random search"
    )
    parser.add_argument("--seed", type=_seed, default=0, help="sweep seed (data, split, runs)")
    parser.add_argument(
        "--epochs", type=_positive_int, default=None, help="epochs per run (default 200)"
    )
    parser.add_argument(
        "--batch-size", type=_positive_int, default=None, help="mini-batch (default: full)"
    )
    parser.add_argument(
        "--jobs", type=int, default=-1, help="local processes (-1: one per core, 1: no pool)"
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on this Dask cluster instead, e.g. tcp://10.0.0.5:8786",
    )
    _output_args(parser, "nnscratch-output", "the results")
    parser.add_argument("--x", default=None, help="setting on the picture's x axis")
    parser.add_argument("--metric", default=None, help="metric on the picture's y axis")
    parser.add_argument("--quiet", action="store_true", help="no line per finished run")
    parser.set_defaults(run=_run_sweep)
    return parser


def _describe(row: dict, varied: list[str]) -> str:
    parts = []
    for name in varied:
        value = row.get(name)
        if isinstance(value, list):
            value = "x".join(map(str, value))
        elif isinstance(value, float):
            value = f"{value:.4g}"
        parts.append(f"{name}={value}")
    return " ".join(parts)


def _run_sweep(args) -> int:
    from nnscratch.sweeps import sweep

    out = _prepare_output(args.output, SWEEP_FILES, args.overwrite, create=False)
    space = _assignments(args.settings, "setting")
    fixed = _assignments(args.fixed, "--set")
    for name, values in fixed.items():
        if not isinstance(values, list) or len(values) != 1:
            raise ValueError(f"--set {name} takes one value")
        fixed[name] = values[0]
    if args.epochs is not None and "epochs" not in space:
        fixed["epochs"] = args.epochs
    if args.batch_size is not None and "batch_size" not in space:
        fixed["batch_size"] = args.batch_size
    varied = list(space)
    done = [0]
    t0 = time.perf_counter()

    def progress(row: dict) -> None:
        done[0] += 1
        if args.quiet:
            return
        metric = next((m for m in ("val_accuracy", "val_r2", "accuracy", "r2") if m in row), None)
        score = f"{metric} {row[metric]:.3f}" if metric else ""
        if row["status"] == "failed":
            score = f"FAILED: {row['error']}"
        elif row["status"] == "diverged":
            score += " (diverged)"
        print(f"[{done[0]}] run {row['index']}: {_describe(row, varied)}  {score}", flush=True)

    result = sweep(
        space,
        args.data,
        search=args.search,
        n_iter=args.n_iter,
        seed=args.seed,
        n_jobs=args.jobs,
        scheduler=args.scheduler,
        fixed=fixed,
        n_samples=args.samples,
        noise=args.noise,
        validation_split=args.validation_split,
        on_result=progress,
    )
    csv_path = result.to_csv(out / "sweep.csv")
    json_path = result.to_json(out / "sweep.json")
    from nnscratch.plotting import save_figure

    ax = result.plot(x=args.x, y=args.metric)
    png_path = save_figure(ax.figure, out / "sweep.png")
    ok = result.ok
    print(
        f"{len(result.table)} runs ({result.info['backend']}) in "
        f"{time.perf_counter() - t0:.1f} s; results in {csv_path}, {json_path}, {png_path}"
    )
    if ok:
        metric = result.default_metric()
        try:
            best = result.best(metric)
            print(f"best {metric} {best[metric]:.4f}: run {best['index']}, "
                  f"{_describe(best, varied)}, seed {best['seed']}")  # fmt: skip
        except ValueError:
            pass
    if result.failed:
        print(
            f"nnscratch: error: {len(result.failed)} of {len(result.table)} runs failed "
            f"(see the status and error columns)",
            file=sys.stderr,
        )
        return 1
    return 0
