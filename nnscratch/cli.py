"""The ``nnscratch`` command: demo, train, reproduce, grid, compare, predict, gradcheck, info.

Conventions, the same for every subcommand:

* A bad argument prints one line ``nnscratch <command>: error: ...`` and exits 2.
* A failure while running (a missing or damaged file, bad data, a refused
  output folder) prints one line ``nnscratch: error: ...`` and exits 1.
* Ctrl-C exits 130 (``train`` first saves the model and history it has).
* No traceback reaches the user (set ``NNSCRATCH_TRACEBACK=1`` to see one).
* Existing files are never replaced silently: a command that would write a
  file that already exists stops before doing any work, unless ``--overwrite``.

Heavy imports (scikit-learn, matplotlib, tqdm) happen inside the commands, so
``nnscratch --help`` is fast.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

EPILOG = """examples:
  nnscratch demo                                    the seed-000 moons network and its picture
  nnscratch train --data moons --hidden 8 --epochs 500 --output runs/moons
  nnscratch train --data iris --hidden 16 8 --activation relu --optimizer adam
  nnscratch predict runs/moons/model.npz points.csv --proba
  nnscratch info runs/moons/model.npz
  nnscratch reproduce all                           run the five seed tutorials
  nnscratch grid --sizes 1 2 3 4 5 20 50            decision boundaries by hidden size
  nnscratch compare                                 logistic regression vs the network
  nnscratch gradcheck --hidden 5 4 --activation sigmoid
  nnscratch export runs/moons/model.npz --onnx moons.onnx
  nnscratch sweep hidden_sizes=1,2,3,4,5,20,50 --epochs 2000
  nnscratch playground                              train and watch networks in the browser

Every command: `nnscratch COMMAND --help`. Bad arguments exit 2, failures exit 1,
Ctrl-C exits 130, each with one line on stderr. Existing output files are
never replaced unless --overwrite is given.
"""

OVERWRITE_HELP = (
    "replace output files that already exist (without it, the command stops before "
    "doing any work if one of its files is already there)"
)

GENERATED = {
    "moons": "make_moons",
    "circles": "make_circles",
    "blobs": "make_blobs",
    "xor": "make_xor",
    "gaussian-quadrants": "make_gaussian_quadrants",
    "spirals": "make_spirals",
}
LOADED = {
    "digits": "load_digits",
    "iris": "load_iris",
    "wine": "load_wine",
    "breast-cancer": "load_breast_cancer",
    "diabetes": "load_diabetes",
}
REGRESSION = {"diabetes"}
DATASETS = [*GENERATED, *LOADED]
ACTIVATIONS = ["tanh", "relu", "sigmoid", "leaky_relu"]
LOSSES = ["softmax_cross_entropy", "binary_cross_entropy", "mse"]
OPTIMIZERS = ["sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad"]
SEEDS = {
    "000": "seed000_moons",
    "001": "seed001_moons_h8",
    "002": "seed002_xor",
    "003": "seed003_quadrants",
    "004": "seed004_gaussian_quadrants",
}
TRAIN_FILES = (
    "model.npz",
    "history.csv",
    "history.json",
    "loss_curve.png",
    "decision_boundary.png",
)


class _Failure(Exception):
    """An expected failure: printed as one line, exit status 1."""


class _UsageError(Exception):
    """A bad argument: printed as one line, exit status 2."""

    def __init__(self, message: str, prog: str = "nnscratch") -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage block) raised to ``main``."""

    def error(self, message: str):
        raise _UsageError(f"{message} (see {self.prog} --help)", self.prog)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples' layout; adds "(default: ...)" where a default means something."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if "default" in text or default is None or default is False or default == argparse.SUPPRESS:
            return text
        if isinstance(default, list):
            default = " ".join(map(str, default))
        return f"{text} (default: {default})"


# ---------------------------------------------------------------- argument types


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be >= 0")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed {text} must be >= 0")
    if value >= 2**32:
        raise argparse.ArgumentTypeError(f"seed {text} must be below 2**32 = {2**32}")
    return value


def _folder(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty name is not a folder; give one, e.g. runs/a")
    return text


def _samples(text: str) -> int:
    value = _positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"{text} must be at least 2 (one point per class)")
    return value


def _number(text: str, *, low=None, low_open=False, high=None, high_open=False) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number")
    if low is not None and (value < low or (low_open and value == low)):
        raise argparse.ArgumentTypeError(f"{text} must be {'>' if low_open else '>='} {low:g}")
    if high is not None and (value > high or (high_open and value == high)):
        raise argparse.ArgumentTypeError(f"{text} must be {'<' if high_open else '<='} {high:g}")
    return value


def _positive_float(text: str) -> float:
    return _number(text, low=0, low_open=True)


def _nonnegative_float(text: str) -> float:
    return _number(text, low=0)


def _fraction(text: str) -> float:
    return _number(text, low=0, high=1, high_open=True)


def _batch_size(text: str):
    if text.lower() == "full":
        return None
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a whole number >= 1 nor 'full'"
        ) from None


# ---------------------------------------------------------------- helpers


def _say(args, *parts) -> None:
    if not getattr(args, "quiet", False):
        print(*parts)


def _clash(folder: Path, names: list[str]) -> _Failure:
    them = "them" if len(names) > 1 else "it"
    return _Failure(
        f"{folder} already holds {', '.join(names)}; pass --overwrite to replace {them}, "
        "or choose another --output"
    )


def _prepare_output(folder, names, overwrite: bool, create: bool = True) -> Path:
    """Create ``folder``; refuse if one of ``names`` is already there, unless ``overwrite``."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise _Failure(f"output {folder} exists and is not a folder")
    if not overwrite:
        clash = [name for name in names if (folder / name).exists()]
        if clash:
            raise _clash(folder, clash)
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_text(path: Path, text: str) -> Path:
    """Write ``text`` atomically (temporary file in the same folder, then rename)."""
    from nnscratch._files import write_text

    return write_text(path, text)


def _progress(args, **kwargs):
    """A progress bar over the epochs, unless --quiet; tqdm hides it when stderr is no terminal."""
    import nnscratch as nn

    if getattr(args, "quiet", False):
        return []
    return [nn.ProgressBar(disable=None, leave=False, **kwargs)]


def _quiet_fit(*fit_args, **fit_kwargs):
    """``nnscratch.fit`` with its DivergenceWarning turned into ``history.stop_reason`` only."""
    import nnscratch as nn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.DivergenceWarning)
        return nn.fit(*fit_args, **fit_kwargs)


def _warn(message: str) -> None:
    print(f"nnscratch: warning: {message}", file=sys.stderr)


def _report_stop(history) -> None:
    if history.diverged:
        _warn(history.stop_reason)
    elif history.interrupted:
        _warn(f"{history.stop_reason}; the model keeps the weights it had")
    elif history.stop_reason:
        print(f"note: {history.stop_reason}")


def _seed000_moons(samples: int, noise: float, seed: int):
    from nnscratch.datasets import make_moons

    # random_state=seed draws what np.random.seed(seed); make_moons(...) draws: seed 000's data
    return make_moons(samples, noise=noise, random_state=seed)


def _seed000_net(hidden: int, X, y, *, epochs: int, lr: float, l2: float, seed: int, args, desc):
    """Seed 000's recipe: 2-H-2 tanh, summed softmax cross-entropy, L2, plain full-batch GD."""
    import nnscratch as nn

    model = nn.build_mlp(2, [hidden], 2, activation="tanh", l2=l2, rng=seed)
    loss = nn.SoftmaxCrossEntropy(reduction="sum")
    history = _quiet_fit(
        model, loss, nn.SGD(lr=lr), X, y, epochs=epochs, callbacks=_progress(args, desc=desc)
    )
    _report_stop(history)
    if history.interrupted:
        raise KeyboardInterrupt
    return model, nn.evaluate(model, loss, X, y)


# ---------------------------------------------------------------- demo


def _demo(args) -> int:
    """Seed 000: moons, 2-3-2 tanh, softmax cross-entropy (summed), L2 0.01, lr 0.01, full batch."""
    import numpy as np

    import nnscratch as nn
    from nnscratch.datasets import make_moons

    out = _prepare_output(args.output, ["demo_moons_boundary.png"], args.overwrite)
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

    history = _quiet_fit(
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
    _report_stop(history)
    if history.interrupted:
        return 130

    from nnscratch.plotting import plot_decision_boundary, save_figure

    ax = plot_decision_boundary(
        model, X, y, title=f"Decision boundary, hidden layer size {args.hidden}"
    )
    path = save_figure(ax.figure, out / "demo_moons_boundary.png")
    print(f"decision boundary written to {path}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


# ---------------------------------------------------------------- train


def _load_data(name: str, samples, noise, seed: int):
    """(X, y) of a named data set; samples/noise only for the generated ones."""
    import numpy as np

    from nnscratch import datasets

    if name in GENERATED:
        kwargs = {"random_state": seed}
        if samples is not None:
            kwargs["n_samples"] = samples
        elif name == "xor":  # without a size make_xor gives the four points, which cannot be split
            kwargs["n_samples"] = 200
        if noise is not None:
            kwargs["noise"] = noise
        X, y = getattr(datasets, GENERATED[name])(**kwargs)
    else:
        X, y = getattr(datasets, LOADED[name])()
    return np.asarray(X, dtype=np.float64), np.asarray(y)


def _scaling(X):
    """Mean and scale of the columns of X (scale 1 where a column is constant)."""

    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale


def _fold_scaling(model, x_mean, x_scale, y_mean=None, y_scale=None) -> None:
    """Fold input standardisation into the first Dense layer (and target scaling into the last).

    The network was trained on (x - m) / s; since z = ((x - m) / s) W + b =
    x (W / s) + (b - (m / s) W), the saved model takes raw inputs. Likewise an
    output trained on (y - my) / sy becomes y = out * sy + my.
    """
    from nnscratch.layers import Dense

    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    first, last = dense[0], dense[-1]
    W, b = first.params["W"], first.params["b"]
    b -= (x_mean / x_scale) @ W
    W /= x_scale[:, None]
    if y_mean is not None:
        last.params["W"] *= y_scale
        last.params["b"] *= y_scale
        last.params["b"] += y_mean


def _train_loss(name: str, reduction: str, regression: bool, n_classes: int, prog: str):
    import nnscratch as nn

    if regression and name != "mse":
        raise _UsageError(
            f"--loss {name} is for classes; the regression data need --loss mse", prog
        )
    if not regression and name == "mse":
        raise _UsageError(
            "--loss mse is for regression (--data diabetes); for classes use "
            "softmax_cross_entropy or binary_cross_entropy",
            prog,
        )
    if name == "binary_cross_entropy" and n_classes != 2:
        raise _UsageError(
            f"--loss binary_cross_entropy needs two classes, this data set has {n_classes}", prog
        )
    cls = {
        "softmax_cross_entropy": nn.SoftmaxCrossEntropy,
        "binary_cross_entropy": nn.SigmoidBinaryCrossEntropy,
        "mse": nn.MSE,
    }[name]
    return cls(reduction=reduction)


def _optimizer(args):
    import nnscratch as nn

    name = args.optimizer
    if name == "sgd":
        return nn.SGD(lr=args.lr)
    if name in ("momentum", "nesterov"):
        return nn.SGD(lr=args.lr, momentum=args.momentum, nesterov=name == "nesterov")
    return {"adam": nn.Adam, "rmsprop": nn.RMSProp, "adagrad": nn.AdaGrad}[name](lr=args.lr)


def _metrics(model, loss, X, y, regression: bool) -> dict:
    import numpy as np

    import nnscratch as nn

    if regression:
        predicted = model.predict(X)
        return {
            "r2": float(nn.r2_score(y, predicted)),
            "rmse": float(np.sqrt(np.mean((predicted - y) ** 2))),
        }
    logs = nn.evaluate(model, loss, X, y)
    return {"accuracy": float(logs["accuracy"]), "loss": float(logs["loss"])}


def _write_history(out: Path, history, settings: dict, final: dict) -> None:
    keys = list(history.keys())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["epoch", *keys])
    for i, epoch in enumerate(history.epoch):
        writer.writerow([epoch, *(repr(float(history[k][i])) for k in keys)])
    _write_text(out / "history.csv", buffer.getvalue())
    document = {
        "settings": settings,
        "epoch": list(history.epoch),
        "history": {k: [float(v) for v in history[k]] for k in keys},
        "stop_reason": history.stop_reason,
        "final": final,
    }
    _write_text(out / "history.json", json.dumps(document, indent=1) + "\n")


def _train(args) -> int:
    """Train a network on a data set; write the model, its history and pictures."""
    import numpy as np

    import nnscratch as nn
    from nnscratch.datasets import train_test_split

    prog = "nnscratch train"
    regression = args.data in REGRESSION
    if args.data in LOADED and (args.samples is not None or args.noise is not None):
        raise _UsageError(
            f"--samples and --noise apply to generated data sets, not to {args.data}", prog
        )
    loss_name = args.loss or ("mse" if regression else "softmax_cross_entropy")
    standardize = args.standardize if args.standardize is not None else args.data in LOADED
    out = Path(args.output or f"nnscratch-output/train-{args.data}")
    _prepare_output(out, TRAIN_FILES, args.overwrite, create=False)  # refuse before any work

    t0 = time.perf_counter()
    X, y = _load_data(args.data, args.samples, args.noise, args.seed)
    if regression:
        y = y.astype(np.float64)
        n_classes = 0
    else:
        y = y.astype(np.intp)
        n_classes = int(y.max()) + 1
    loss = _train_loss(loss_name, args.reduction, regression, n_classes, prog)
    optimizer = _optimizer(args)
    if args.test_size > 0:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=args.test_size, random_state=args.seed, stratify=not regression
        )
    else:
        X_train, X_test, y_train, y_test = X, None, y, None
    n_out = 1 if regression or loss_name == "binary_cross_entropy" else n_classes
    model = nn.build_mlp(
        X.shape[1], args.hidden, n_out, activation=args.activation, l2=args.l2, rng=args.seed
    )

    # what the network sees: standardised inputs (and targets, for regression) if asked
    x_mean = x_scale = y_mean = y_scale = None
    fit_X, fit_y = X_train, y_train
    fit_X_test, fit_y_test = X_test, y_test
    if standardize:
        x_mean, x_scale = _scaling(X_train)
        fit_X = (X_train - x_mean) / x_scale
        fit_X_test = None if X_test is None else (X_test - x_mean) / x_scale
        if regression:
            y_mean, y_scale = float(y_train.mean()), float(y_train.std() or 1.0)
            fit_y = (y_train - y_mean) / y_scale
            fit_y_test = None if y_test is None else (y_test - y_mean) / y_scale

    batch = "full" if args.batch_size is None else args.batch_size
    _say(args, f"nnscratch train: {args.data}, {len(X_train)} training and "
               f"{0 if X_test is None else len(X_test)} test samples, {X.shape[1]} features")  # fmt: skip
    _say(args, model.summary())
    _say(args, f"loss {loss!r}, optimizer {optimizer!r}, {args.epochs} epochs, batch {batch}")
    callbacks = _progress(args, desc=f"train {args.data}")
    if args.log_every:
        callbacks.append(nn.Logger(every=args.log_every))
    history = _quiet_fit(
        model,
        loss,
        optimizer,
        fit_X,
        fit_y,
        epochs=args.epochs,
        batch_size=args.batch_size,
        rng=args.seed,
        validation_data=None if X_test is None else (fit_X_test, fit_y_test),
        callbacks=callbacks,
    )
    _report_stop(history)
    if standardize:
        _fold_scaling(model, x_mean, x_scale, y_mean, y_scale)

    final = {
        f"train_{k}": v for k, v in _metrics(model, loss, X_train, y_train, regression).items()
    }
    if X_test is not None:
        final.update(
            {f"test_{k}": v for k, v in _metrics(model, loss, X_test, y_test, regression).items()}
        )
    settings = {
        "command": "train",
        "data": args.data,
        "samples": args.samples,
        "noise": args.noise,
        "hidden": list(args.hidden),
        "activation": args.activation,
        "loss": loss_name,
        "reduction": args.reduction,
        "optimizer": args.optimizer,
        "lr": args.lr,
        "momentum": args.momentum if args.optimizer in ("momentum", "nesterov") else None,
        "l2": args.l2,
        "epochs": args.epochs,
        "epochs_run": len(history),
        "batch_size": batch,
        "seed": args.seed,
        "test_size": args.test_size,
        "standardize": standardize,
        "n_train": len(X_train),
        "n_test": 0 if X_test is None else len(X_test),
        "n_features": int(X.shape[1]),
        "n_classes": n_classes or None,
        "task": "regression" if regression else "classification",
        "validation": "the val_ entries of the history are measured on the test split",
    }
    if standardize:
        settings["input_mean"] = [float(v) for v in x_mean]
        settings["input_scale"] = [float(v) for v in x_scale]
        settings["standardize_note"] = (
            "the network was trained on standardised inputs"
            + (" and targets" if regression else "")
            + "; the scaling is folded into the saved weights, so the model takes raw inputs"
        )
    if regression and standardize:
        settings["target_mean"], settings["target_scale"] = y_mean, y_scale

    _prepare_output(out, TRAIN_FILES, args.overwrite)  # again: another run may have written
    written = [nn.save(model, out / "model.npz", metadata={"settings": settings, "final": final})]
    _write_history(out, history, settings, final)
    written += [out / "history.csv", out / "history.json"]

    from nnscratch.plotting import plot_decision_boundary, plot_loss_curve, save_figure

    if len(history):
        ax = plot_loss_curve(history, title=f"{args.data}: loss per epoch")
        written.append(save_figure(ax.figure, out / "loss_curve.png"))
    stale = out / "decision_boundary.png"
    if X.shape[1] == 2 and not regression:
        ax = plot_decision_boundary(
            model,
            X_train,
            y_train,
            X_test=X_test,
            y_test=y_test,
            title=f"{args.data}, hidden {' '.join(map(str, args.hidden)) or 'none'}, "
            f"{args.activation}",
        )
        written.append(save_figure(ax.figure, stale))
    elif stale.exists():  # --overwrite: do not leave another run's picture beside this model
        stale.unlink()

    for split in ("train", "test"):
        if regression and f"{split}_r2" in final:
            print(f"{split}: R² {final[f'{split}_r2']:.4f}   RMSE {final[f'{split}_rmse']:.4f}")
        elif f"{split}_accuracy" in final:
            print(
                f"{split}: accuracy {final[f'{split}_accuracy']:.4f}   "
                f"loss {final[f'{split}_loss']:.6f}"
            )
    _say(args, "wrote " + ", ".join(str(p) for p in written))
    _say(args, f"done in {time.perf_counter() - t0:.1f} s")
    return 130 if history.interrupted else 0


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
    _write_text(out / names[1], table)
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
        for j, cell in enumerate(row, start=1):
            try:
                value = float(cell)
            except ValueError:
                raise _Failure(
                    f"{where}, line {n}, column {j}: {cell.strip()!r} is not a number"
                ) from None
            if not math.isfinite(value):
                raise _Failure(
                    f"{where}, line {n}, column {j}: {cell.strip()} is not a finite number"
                )
        data.append([float(cell) for cell in row])
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
        target = Path(args.output)
        if str(target.parent):
            target.parent.mkdir(parents=True, exist_ok=True)
        _write_text(target, buffer.getvalue())
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
    if args.loss == "cross_entropy":
        model = nn.Sequential(*model.layers, nn.Softmax())
        loss = nn.CrossEntropy()
    else:
        loss = {
            "softmax_cross_entropy": nn.SoftmaxCrossEntropy,
            "binary_cross_entropy": nn.SigmoidBinaryCrossEntropy,
            "mse": nn.MSE,
        }[args.loss]()
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


def _command(commands, name: str, run, help: str, examples: str):
    parser = commands.add_parser(
        name,
        help=help,
        description=run.__doc__,
        epilog="examples:\n" + examples,
        formatter_class=_Formatter,
    )
    parser.set_defaults(run=run)
    return parser


def _output_args(parser, default: str, what: str) -> None:
    parser.add_argument(
        "--output", metavar="DIR", type=_folder, default=default, help=f"folder for {what}"
    )
    parser.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)


def build_parser() -> argparse.ArgumentParser:
    from nnscratch import __version__

    parser = _Parser(
        prog="nnscratch",
        description="Neural networks from scratch in NumPy.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nnscratch {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    # demo
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

    # train
    train = _command(
        commands,
        "train",
        _train,
        "train a network on a data set; write model.npz, history.csv/.json and pictures",
        "  nnscratch train --data moons --hidden 8 --epochs 500 --output runs/moons\n"
        "  nnscratch train --data spirals --hidden 32 32 --activation relu --lr 0.005\n"
        "  nnscratch train --data digits --hidden 64 --optimizer adam --batch-size 64\n"
        "  nnscratch train --data diabetes --hidden 16 --loss mse --l2 0.001\n"
        "  nnscratch train --data xor --hidden 4 --optimizer sgd --batch-size full --test-size 0\n"
        "\n"
        "writes into --output: model.npz (nnscratch.load reads it), history.csv and\n"
        "history.json (every logged value per epoch; val_* are measured on the test\n"
        "split; the JSON also holds the settings and final metrics), loss_curve.png,\n"
        "and decision_boundary.png for 2-D classification data. The same seed gives the\n"
        "same data, split, initial weights and batch order. Real data sets are\n"
        "standardised by default (--no-standardize to turn off); the scaling is folded\n"
        "into the saved weights, so the model file takes raw features.\n",
    )
    train.add_argument("--data", choices=DATASETS, default="moons", help="data set")
    train.add_argument(
        "--samples",
        type=_positive_int,
        default=None,
        help="number of points (generated data sets only; default: the generator's)",
    )
    train.add_argument(
        "--noise",
        type=_nonnegative_float,
        default=None,
        help="noise level (generated data sets only; default: the generator's)",
    )
    train.add_argument(
        "--hidden",
        type=_positive_int,
        nargs="*",
        default=[8],
        metavar="SIZE",
        help="hidden layer sizes; no value at all gives a linear model",
    )
    train.add_argument(
        "--activation", choices=ACTIVATIONS, default="tanh", help="hidden activation"
    )
    train.add_argument(
        "--loss",
        choices=LOSSES,
        default=None,
        help="loss (default: softmax_cross_entropy for classes, mse for diabetes)",
    )
    train.add_argument(
        "--reduction", choices=["mean", "sum"], default="mean", help="loss reduction"
    )
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="update rule")
    train.add_argument("--lr", type=_positive_float, default=0.01, help="learning rate")
    train.add_argument(
        "--momentum",
        type=lambda t: _number(t, low=0, high=1, high_open=True),
        default=0.9,
        help="momentum for --optimizer momentum or nesterov",
    )
    train.add_argument("--l2", type=_nonnegative_float, default=0.0, help="L2 weight penalty")
    train.add_argument("--epochs", type=_positive_int, default=500, help="passes over the data")
    train.add_argument(
        "--batch-size",
        type=_batch_size,
        default=32,
        metavar="N|full",
        help="mini-batch size, or 'full' for full-batch gradient descent",
    )
    train.add_argument(
        "--seed", type=_seed, default=0, help="seed for data, split, weights, batches"
    )
    train.add_argument(
        "--test-size", type=_fraction, default=0.25, help="held-out fraction (0: no test split)"
    )
    train.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="standardise features (and the diabetes target) on the training split "
        "(default: on for the real data sets, off for generated ones)",
    )
    train.add_argument(
        "--log-every",
        type=_nonnegative_int,
        default=0,
        metavar="N",
        help="print the logs every N epochs (0: never)",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar, less text")
    train.add_argument(
        "--output",
        metavar="DIR",
        type=_folder,
        default=None,
        help="folder (default: nnscratch-output/train-DATA)",
    )
    train.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)

    # reproduce
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

    # grid
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

    # compare
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

    # predict
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

    # gradcheck
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

    # info
    info = _command(
        commands,
        "info",
        _info,
        "summary of a saved model: layers, parameters, loss, training settings",
        "  nnscratch info runs/moons/model.npz\n  nnscratch info model.npz --json\n",
    )
    info.add_argument("model", metavar="MODEL", help="a model file written by nnscratch")
    info.add_argument("--json", action="store_true", help="print the stored description as JSON")

    # export (ONNX) and sweep live beside this file; their run functions follow main's rules
    from nnscratch import _cli_extra

    _cli_extra.add_export_parser(commands)
    _cli_extra.add_sweep_parser(commands)
    from nnscratch.playground.cli import add_playground_parser

    add_playground_parser(commands)
    return parser


def _seed000_args(parser) -> None:
    parser.add_argument("--epochs", type=_positive_int, default=20000, help="full-batch passes")
    parser.add_argument("--lr", type=_positive_float, default=0.01, help="learning rate")
    parser.add_argument("--l2", type=_nonnegative_float, default=0.01, help="L2 weight penalty")
    parser.add_argument("--samples", type=_samples, default=200, help="moons points")
    parser.add_argument("--noise", type=_nonnegative_float, default=0.2, help="moons noise")
    parser.add_argument("--seed", type=_seed, default=0, help="seed for data and weights")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


# ---------------------------------------------------------------- entry point


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        text = f"{exc.strerror}: {exc.filename}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"nnscratch: warning: {' '.join(str(message).split())}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 1 failure, 2 usage, 130 Ctrl-C)."""
    traceback = bool(os.environ.get("NNSCRATCH_TRACEBACK"))
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            args = build_parser().parse_args(argv)
            return args.run(args)
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except KeyboardInterrupt:
        print("nnscratch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `nnscratch predict ... | head`: the reader left; say nothing
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
        return 1
    except _UsageError as exc:
        print(f"{exc.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:
        if traceback:
            raise
        known = (_Failure, ValueError, TypeError, OSError, ImportError)
        prefix = "" if isinstance(exc, known) else f"internal error ({type(exc).__name__}): "
        if isinstance(exc, MemoryError):
            prefix = "not enough memory (are the sizes what you meant?): "
        print(f"nnscratch: error: {prefix}{_one_line(exc)}", file=sys.stderr)
        return 1
