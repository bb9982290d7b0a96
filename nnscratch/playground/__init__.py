"""The playground: train and watch small networks in the browser, on the nnscratch engine.

``nnscratch playground`` starts a local server (``server.py``, standard library
only) that serves one page (``static/index.html``, plain JavaScript and canvas).
Training runs in Python (``engine.py``: data, input features, ``build_mlp``,
``fit``); the page shows it live and can download the model file and a script
that reproduces the run exactly (``script.py``). Every request is checked
against ``config.py``.
"""

from __future__ import annotations

import importlib

# Loaded on first use, so `nnscratch --help` (which imports .cli) stays fast.
_EXPORTS = {
    "ConfigError": "config",
    "schema": "config",
    "validate": "config",
    "Experiment": "engine",
    "feature_matrix": "engine",
    "PlaygroundServer": "server",
    "make_server": "server",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
