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

Layout: ``_common`` (argument types, the one-line errors, output-folder checks,
data loading, progress), then one module per command family: ``demo``,
``train``, ``tutorials`` (reproduce, grid, compare), ``models`` (predict, info,
gradcheck) and ``experiments`` (export, sweep). ``playground`` comes from
``nnscratch/playground/cli.py``. This file builds the parser and runs ``main``.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import warnings

from . import demo, experiments, models, train, tutorials
from ._common import _Failure, _Parser, _UsageError

__all__ = ["build_parser", "main"]

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
    demo.add_parsers(commands)
    train.add_parsers(commands)
    tutorials.add_parsers(commands)  # reproduce, grid, compare
    models.add_parsers(commands)  # predict, gradcheck, info
    # export (ONNX) and sweep; their run functions follow main's rules
    experiments.add_export_parser(commands)
    experiments.add_sweep_parser(commands)
    from nnscratch.playground.cli import add_playground_parser

    add_playground_parser(commands)
    return parser


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
