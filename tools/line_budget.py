"""Count the core's lines of code (no docstrings, comments or blank lines) against its budget.

The core is what a reader must understand to know how a network trains:
functional, initializers, layers, losses, optimizers, network, training,
callbacks, gradcheck, metrics, io and the input checks. Run it (CI does) to
see growth; ``--check`` exits 1 over budget.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from pathlib import Path

CORE = [
    "_validation.py", "functional.py", "initializers.py", "layers.py", "losses.py",
    "optimizers.py", "network.py", "training.py", "callbacks.py", "gradcheck.py",
    "metrics.py", "io.py",
]  # fmt: skip
BUDGET = 2200
PACKAGE = Path(__file__).resolve().parents[1] / "nnscratch"


def code_lines(source: str) -> int:
    """Lines holding code: not blank, not only a comment, not inside a docstring."""
    docstring_lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    docstring_lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (
            tokenize.COMMENT,
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.ENDMARKER,
        ):
            continue
        lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstring_lines)


def count() -> dict[str, int]:
    return {name: code_lines((PACKAGE / name).read_text()) for name in CORE}


def main(argv: list[str]) -> int:
    counts = count()
    for name, n in counts.items():
        print(f"{n:6d}  nnscratch/{name}")
    total = sum(counts.values())
    print(f"{total:6d}  core lines of code (budget {BUDGET})")
    return 1 if "--check" in argv and total > BUDGET else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
