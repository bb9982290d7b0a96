"""``nnscratch train``: a network on a data set; the model, its history and pictures."""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
from pathlib import Path

from nnscratch._files import write_text

from ._common import (
    ACTIVATIONS,
    DATASETS,
    LOADED,
    LOSSES,
    OPTIMIZERS,
    OVERWRITE_HELP,
    REGRESSION,
    _batch_size,
    _command,
    _data_name,
    _folder,
    _fraction,
    _load_data,
    _nonnegative_float,
    _nonnegative_int,
    _positive_float,
    _positive_int,
    _prepare_output,
    _progress,
    _quiet_fit,
    _report_stop,
    _say,
    _seed,
    _UsageError,
)

TRAIN_FILES = (
    "model.npz",
    "history.csv",
    "history.json",
    "loss_curve.png",
    "decision_boundary.png",
)


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
    from nnscratch import losses

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
    return losses.get(name, reduction=reduction)


def _optimizer(args):
    from nnscratch import optimizers

    name = args.optimizer
    settings = {"momentum": args.momentum} if name in optimizers.SGD_VARIANTS else {}
    return optimizers.get(name, lr=args.lr, **settings)


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
    write_text(out / "history.csv", buffer.getvalue())
    document = {
        "settings": settings,
        "epoch": list(history.epoch),
        "history": {k: [float(v) for v in history[k]] for k in keys},
        "stop_reason": history.stop_reason,
        "final": final,
    }
    write_text(out / "history.json", json.dumps(document, indent=1) + "\n")


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
        engine=args.engine,
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
        "engine": args.engine,
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


def add_parsers(commands) -> None:
    """Add ``train`` to the subcommands."""
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
        "  nnscratch train --data spirals --hidden 64 64 --epochs 2000 --engine numba\n"
        "\n"
        "writes into --output: model.npz (nnscratch.load reads it), history.csv and\n"
        "history.json (every logged value per epoch; val_* are measured on the test\n"
        "split; the JSON also holds the settings and final metrics), loss_curve.png,\n"
        "and decision_boundary.png for 2-D classification data. The same seed gives the\n"
        "same data, split, initial weights and batch order. Real data sets are\n"
        "standardised by default (--no-standardize to turn off); the scaling is folded\n"
        "into the saved weights, so the model file takes raw features.\n",
    )
    train.add_argument(
        "--data", type=_data_name, choices=DATASETS, default="moons", help="data set"
    )
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
        type=_fraction,
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
        "--engine",
        choices=["numpy", "numba"],
        default="numpy",
        help="numpy (the readable reference) or numba (compiled, same results to ~1e-12; "
        "needs pip install nnscratch[fast]; SGD, momentum, Nesterov and Adam)",
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
