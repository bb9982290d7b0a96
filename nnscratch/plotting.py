"""Pictures. The only module that imports matplotlib.

Every function takes an optional ``ax``, draws on it and returns it; none
calls ``show()``. Figures are made with ``matplotlib.figure.Figure``, so no
GUI backend is ever needed; ``save_figure`` writes them atomically.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from ._validation import check_X

CLASS_COLORS = ["#d7301f", "#2b8cbe", "#31a354", "#756bb1", "#fe9929", "#636363"]


def new_axes(figsize=(6.4, 5.2)):
    """A fresh Figure with one Axes (no pyplot, no backend)."""
    fig = Figure(figsize=figsize, layout="constrained")
    return fig.subplots()


def save_figure(fig, path, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _grid(X: np.ndarray, step: float | None, padding: float = 0.5):
    x_min, x_max = X[:, 0].min() - padding, X[:, 0].max() + padding
    y_min, y_max = X[:, 1].min() - padding, X[:, 1].max() + padding
    if step is None:
        step = max(x_max - x_min, y_max - y_min) / 300
    xx, yy = np.meshgrid(np.arange(x_min, x_max, step), np.arange(y_min, y_max, step))
    return xx, yy


def plot_decision_boundary(
    model,
    X,
    y=None,
    *,
    ax=None,
    X_test=None,
    y_test=None,
    step: float | None = None,
    title: str | None = None,
):
    """Shade P(class) over the plane, draw the decision boundary and the points.

    Two classes: the shading is P(class 1) from white-red to white-blue and
    the boundary is the P = 0.5 contour. More classes: each region takes its
    class colour, lighter where the network is less sure. Training points
    are filled circles, test points (``X_test``) hollow squares.
    """
    X = check_X(X, n_features=2)
    ax = ax if ax is not None else new_axes()
    xx, yy = _grid(X, step)
    grid = np.c_[xx.ravel(), yy.ravel()]
    proba = model.predict_proba(grid)
    if proba.ndim == 1 or proba.shape[1] == 1:
        proba = np.column_stack([1 - proba.ravel(), proba.ravel()])
    k = proba.shape[1]
    colors = CLASS_COLORS[: max(k, 2)]
    if k == 2:
        from matplotlib.colors import LinearSegmentedColormap

        cmap = LinearSegmentedColormap.from_list("pair", [colors[0], "#ffffff", colors[1]])
        p1 = proba[:, 1].reshape(xx.shape)
        image = ax.contourf(xx, yy, p1, levels=np.linspace(0, 1, 21), cmap=cmap, alpha=0.45)
        ax.contour(xx, yy, p1, levels=[0.5], colors="k", linewidths=1.5)
        ax.figure.colorbar(image, ax=ax, label="P(class 1)", ticks=[0, 0.25, 0.5, 0.75, 1])
    else:
        labels = proba.argmax(axis=1).reshape(xx.shape)
        confidence = proba.max(axis=1).reshape(xx.shape)
        ax.contourf(
            xx, yy, labels, levels=np.arange(k + 1) - 0.5, cmap=ListedColormap(colors), alpha=0.35
        )
        ax.contourf(
            xx,
            yy,
            confidence,
            levels=[0, 0.6, 0.8, 1.0],
            colors=["white", "white", "none"],
            alpha=0.35,
        )
        ax.contour(xx, yy, labels, levels=np.arange(k) + 0.5, colors="k", linewidths=1.0)
    _scatter(ax, X, y, colors, marker="o", label="train")
    if X_test is not None:
        _scatter(
            ax,
            check_X(X_test, n_features=2, name="X_test"),
            y_test,
            colors,
            marker="s",
            label="test",
            hollow=True,
        )
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax


def _scatter(ax, X, y, colors, marker, label, hollow=False):
    if y is None:
        ax.scatter(X[:, 0], X[:, 1], s=22, c="k", marker=marker, label=label)
        return
    y = np.asarray(y)
    if y.ndim == 2:
        y = y.argmax(axis=1)
    for cls in np.unique(y):
        pts = X[y == cls]
        color = colors[int(cls) % len(colors)]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=24,
            marker=marker,
            linewidths=1.0,
            facecolors="none" if hollow else color,
            edgecolors=color if hollow else "k",
            label=f"{label} class {int(cls)}",
        )
