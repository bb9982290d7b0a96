"""``nnscratch predict``, ``info`` and ``gradcheck``: working with a saved or a small model."""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from pathlib import Path

from nnscratch._files import write_text

from ._common import (
    ACTIVATIONS,
    LOSSES,
    _command,
    _Failure,
    _nonnegative_float,
    _positive_float,
    _positive_int,
    _seed,
    _UsageError,
)

# ---------------------------------------------------------------- predict


def _read_csv(path: str, n_features: int):
    """Rows of numbers from a CSV file (or '-' for stdin); a first row of names is a header."""
    import numpy as np

    where = "standard input" if path == "-" else path
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8", newline="") as f:
                text = f.read()
    except FileNotFoundError:
        raise _Failure(f"no input file at {path}") from None
    except IsADirectoryError:
        raise _Failure(f"{path} is a folder, not a CSV file") from None
    except UnicodeDecodeError:
        raise _Failure(f"{where} is not a UTF-8 text CSV file") from None
    rows = [
        (n, row)
        for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)
        if any(cell.strip() for cell in row)
    ]

    def numbers(row):
        try:
            return [float(cell) for cell in row]
        except ValueError:
            return None

    if rows and numbers(rows[0][1]) is None:
        rows = rows[1:]  # a header
    if not rows:
        raise _Failure(f"{where} holds no rows of numbers")
    data = []
    for n, row in rows:
        if len(row) != n_features:
            raise _Failure(
                f"{where}, line {n}: {len(row)} column(s), but the model takes {n_features} "
                "feature(s) per row"
            )
        values = []
        for j, cell in enumerate(row, start=1):
            try:
                values.append(float(cell))
            except ValueError:
                raise _Failure(
                    f"{where}, line {n}, column {j}: {cell.strip()!r} is not a number"
                ) from None
            if not math.isfinite(values[-1]):
                raise _Failure(
                    f"{where}, line {n}, column {j}: {cell.strip()} is not a finite number"
                )
        data.append(values)
    return np.array(data, dtype=np.float64)


def _predict(args) -> int:
    """Predict with a saved model on the rows of a CSV file."""
    import numpy as np

    import nnscratch as nn

    model = nn.load(args.model)
    if model.loss is None:
        raise _Failure(f"{args.model} holds a model without a loss, so it has no prediction rule")
    if args.proba and not model.loss.is_classifier:
        raise _UsageError(
            f"--proba needs a classifier; {args.model} is a regression model",
            "nnscratch predict",
        )
    if args.output is not None:
        target = Path(args.output)
        if target.is_dir():
            raise _Failure(
                f"--output {target} is a folder; give a file name such as {target / 'predictions.csv'}"
            )
        if target.exists() and not args.overwrite:
            raise _Failure(f"{target} already exists; pass --overwrite to replace it")
    X = _read_csv(args.input, model.n_in)
    if args.proba:
        values = np.asarray(model.predict_proba(X))
        if values.ndim == 1:
            values = values[:, None]
        if values.shape[1] == 1:  # one sigmoid output: P(class 1)
            header = ["proba_1"]
        else:
            header = [f"proba_{k}" for k in range(values.shape[1])]
        rows = [[repr(float(v)) for v in row] for row in values]
    else:
        values = np.asarray(model.predict(X))
        if values.ndim == 1:
            header = ["prediction"]
            values = values[:, None]
        else:
            header = [f"prediction_{k}" for k in range(values.shape[1])]
        if values.dtype.kind in "biu":
            rows = [[str(int(v)) for v in row] for row in values]
        else:
            rows = [[repr(float(v)) for v in row] for row in values]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if args.output is None:
        sys.stdout.write(buffer.getvalue())
    else:
        target = write_text(args.output, buffer.getvalue(), make_folder=True)
        print(f"wrote {len(rows)} prediction(s) to {target}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- info


def _format_value(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list) and len(value) > 8:
        return (
            "[" + ", ".join(_format_value(v) for v in value[:8]) + f", ... ({len(value)} values)]"
        )
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    return str(value)


def _info(args) -> int:
    """Print a saved model's layers, parameter count, loss and the metadata stored with it."""
    import nnscratch as nn
    from nnscratch.io import read_description

    description = read_description(args.model)
    model = nn.load(args.model)
    if args.json:
        print(json.dumps(description, indent=2))
        return 0
    print(f"model file: {args.model}")
    print(
        f"format: {description['format']} version {description['format_version']}, "
        f"written by nnscratch {description.get('nnscratch_version', '?')}"
    )
    print(model.summary())
    print(f"inputs: {model.n_in}   outputs: {model.n_out}")
    metadata = description.get("metadata") or {}
    if not metadata:
        print("metadata: none")

    def show(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                show(f"{prefix}.{key}" if prefix else key, inner)
        else:
            print(f"  {prefix}: {_format_value(value)}")

    if metadata:
        print("metadata:")
        show("", metadata)
    return 0


# ---------------------------------------------------------------- gradcheck


def _gradcheck(args) -> int:
    """Check a small network's backward pass against central finite differences."""
    import numpy as np

    import nnscratch as nn

    rng = np.random.RandomState(args.seed)
    n_out = args.outputs
    # Random (not zero) biases: with zero biases a ReLU unit fed by dead units sits exactly
    # on its kink, where finite differences are meaningless.
    model = nn.build_mlp(
        args.inputs,
        args.hidden,
        n_out,
        activation=args.activation,
        bias_init=nn.initializers.Normal(0.5),
        l2=args.l2,
        rng=rng,
    )
    if args.loss == "cross_entropy":  # CrossEntropy takes probabilities
        model = nn.Sequential(*model.layers, nn.Softmax())
    loss = nn.losses.get(args.loss)
    x = rng.standard_normal((args.samples, args.inputs))
    if args.loss in ("softmax_cross_entropy", "cross_entropy"):
        y = rng.randint(0, n_out, size=args.samples)
    elif args.loss == "binary_cross_entropy":
        y = rng.randint(0, 2, size=(args.samples, n_out)).astype(np.float64)
    else:
        y = rng.standard_normal((args.samples, n_out))

    print(model.summary())
    print(f"loss {loss!r}, {args.samples} random samples, eps {args.eps:g}, "
          f"tolerance {args.tolerance:g}")  # fmt: skip
    result = nn.gradcheck(model, x, y, loss=loss, eps=args.eps, tolerance=args.tolerance)
    output = model.forward(x)
    loss_result = nn.gradcheck(loss, output, y, eps=args.eps, tolerance=args.tolerance)
    shapes = {"x": x.shape, "loss output": output.shape}
    shapes.update(
        {
            f"{i}.{k}": p.shape
            for i, layer in enumerate(model.layers)
            for k, p in layer.params.items()
        }
    )
    errors = {**result, "loss output": loss_result["output"]}
    width = max(len(name) for name in errors)
    print(f"{'array':<{width}}  {'shape':<10}  relative error")
    for name, error in errors.items():
        verdict = "ok" if error <= args.tolerance else "FAILED"
        shape = "x".join(map(str, shapes.get(name, ())))
        print(f"{name:<{width}}  {shape:<10}  {error:.3e}  {verdict}")
    worst = max(errors.values())
    if worst > args.tolerance:
        name = max(errors, key=errors.get)
        raise _Failure(
            f"gradient check failed: relative error {worst:.3e} for {name} is above the "
            f"tolerance {args.tolerance:g}"
        )
    print(f"passed: largest relative error {worst:.3e} <= {args.tolerance:g}")
    return 0


# ---------------------------------------------------------------- parser


def add_parsers(commands) -> None:
    """Add ``predict``, ``gradcheck`` and ``info`` to the subcommands."""
    predict = _command(
        commands,
        "predict",
        _predict,
        "predict with a saved model on the rows of a CSV file",
        "  nnscratch predict runs/moons/model.npz points.csv\n"
        "  nnscratch predict model.npz points.csv --proba --output probabilities.csv\n"
        "  cat points.csv | nnscratch predict model.npz -\n"
        "\n"
        "INPUT.csv has one row per sample and one column per feature; a first row\n"
        "that is not all numbers is taken as a header. Prints a CSV (column\n"
        "'prediction', or proba_0, proba_1, ... with --proba) or writes it to --output.\n",
    )
    predict.add_argument("model", metavar="MODEL", help="a model file written by nnscratch")
    predict.add_argument("input", metavar="INPUT.csv", help="the samples ('-' for standard input)")
    predict.add_argument(
        "--output", metavar="OUT.csv", default=None, help="write here, not to stdout"
    )
    predict.add_argument("--proba", action="store_true", help="class probabilities, not labels")
    predict.add_argument("--overwrite", action="store_true", help="replace OUT.csv if it exists")

    gradcheck = _command(
        commands,
        "gradcheck",
        _gradcheck,
        "check a small network's gradients by finite differences",
        "  nnscratch gradcheck\n"
        "  nnscratch gradcheck --hidden 5 4 --activation sigmoid --loss binary_cross_entropy\n"
        "  nnscratch gradcheck --activation relu --loss mse --tolerance 1e-6\n"
        "\n"
        "Prints the relative error of every parameter array, of the input and of the\n"
        "loss's own gradient; exits 1 if one is above --tolerance.\n",
    )
    gradcheck.add_argument(
        "--hidden", type=_positive_int, nargs="*", default=[5], metavar="SIZE", help="hidden sizes"
    )
    gradcheck.add_argument("--activation", choices=ACTIVATIONS, default="tanh", help="activation")
    gradcheck.add_argument(
        "--loss", choices=[*LOSSES, "cross_entropy"], default="softmax_cross_entropy", help="loss"
    )
    gradcheck.add_argument("--inputs", type=_positive_int, default=3, help="input features")
    gradcheck.add_argument("--outputs", type=_positive_int, default=3, help="network outputs")
    gradcheck.add_argument("--samples", type=_positive_int, default=4, help="random samples")
    gradcheck.add_argument("--l2", type=_nonnegative_float, default=0.01, help="L2 penalty")
    gradcheck.add_argument(
        "--eps", type=_positive_float, default=1e-6, help="finite-difference step"
    )
    gradcheck.add_argument(
        "--tolerance", type=_positive_float, default=1e-6, help="largest relative error accepted"
    )
    gradcheck.add_argument("--seed", type=_seed, default=0, help="seed for weights and data")

    info = _command(
        commands,
        "info",
        _info,
        "summary of a saved model: layers, parameters, loss, training settings",
        "  nnscratch info runs/moons/model.npz\n  nnscratch info model.npz --json\n",
    )
    info.add_argument("model", metavar="MODEL", help="a model file written by nnscratch")
    info.add_argument("--json", action="store_true", help="print the stored description as JSON")
