"""What every ``nnscratch`` command shares.

Argument types, the one-line errors (``_Failure`` exits 1, ``_UsageError`` exits 2),
the output-folder and overwrite checks, data loading, the progress bar, and the
helpers that add a subcommand to the parser.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

from nnscratch.datasets import GENERATED, LOADED

OVERWRITE_HELP = (
    "replace output files that already exist (without it, the command stops before "
    "doing any work if one of its files is already there)"
)


REGRESSION = {"diabetes"}

DATASETS = [*GENERATED, *LOADED]


def _data_name(text: str) -> str:
    """A data set's name; the spelling with hyphens (breast-cancer) is taken too."""
    return text.replace("-", "_")


ACTIVATIONS = ["tanh", "relu", "sigmoid", "leaky_relu"]

LOSSES = ["softmax_cross_entropy", "binary_cross_entropy", "mse"]

OPTIMIZERS = ["sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad"]


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


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def _nonnegative_int(text: str) -> int:
    value = _whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be >= 0")
    return value


def _seed(text: str) -> int:
    value = _whole_number(text)
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


def _seed000_net(
    hidden: int, X, y, *, epochs: int, lr: float, l2: float, seed: int, args, desc, callbacks=()
):
    """Seed 000's recipe: 2-H-2 tanh, summed softmax cross-entropy, L2, plain full-batch GD.

    Returns (model, its loss and accuracy on (X, y)); Ctrl-C raises KeyboardInterrupt.
    """
    import nnscratch as nn

    model = nn.build_mlp(2, [hidden], 2, activation="tanh", l2=l2, rng=seed)
    loss = nn.SoftmaxCrossEntropy(reduction="sum")
    callbacks = [*_progress(args, desc=desc), *callbacks]
    history = _quiet_fit(model, loss, nn.SGD(lr=lr), X, y, epochs=epochs, callbacks=callbacks)
    _report_stop(history)
    if history.interrupted:
        raise KeyboardInterrupt
    return model, nn.evaluate(model, loss, X, y)


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
