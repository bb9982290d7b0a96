"""Pictures. The only module that imports matplotlib.

Every function that draws on one Axes takes an optional ``ax``, draws on it
and returns it; functions that lay out several panels return the Figure.
None calls ``show()`` or touches pyplot: figures are
``matplotlib.figure.Figure`` objects, so no GUI backend is ever needed, and
``save_figure`` writes them atomically.

What is here:

* ``plot_data`` — a scatter of 2-D points by class.
* ``plot_decision_boundary`` — P(class) shaded over the plane, the boundary,
  the points (any model with ``predict_proba``: ours, scikit-learn's, a single
  sigmoid output).
* ``plot_model_grid`` — one boundary panel per model, accuracy in the title
  (the hidden-size grid of seed 000, or logistic regression beside a network).
* ``plot_loss_curve`` — a ``History`` (loss, data loss, penalty, validation,
  accuracy) or a list of floats.
* ``plot_network`` — the network as neurons and links, line width ∝ |weight|.
* ``plot_activation_maps`` — what each hidden neuron computes over the input plane.
* ``BoundaryRecorder`` and ``animate_training`` — a GIF of the boundary as training goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, ListedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ._files import atomic_path
from ._validation import check_positive_int, check_X
from .callbacks import Callback

CLASS_COLORS = ["#d7301f", "#2b8cbe", "#31a354", "#756bb1", "#fe9929", "#636363"]
EDGE_COLOR = "#1a1a1a"
# activations: light purple (negative), white (zero), light green (positive), so that the
# red and blue class points stay visible on top
ACTIVATION_CMAP = LinearSegmentedColormap.from_list(
    "activation", ["#9970ab", "#e7d4e8", "#f7f7f7", "#d9f0d3", "#5aae61"]
)
POSITIVE_COLOR = "#2b8cbe"  # links with a positive weight
NEGATIVE_COLOR = "#d7301f"  # links with a negative weight

__all__ = [
    "new_axes",
    "save_figure",
    "plot_data",
    "plot_decision_boundary",
    "plot_model_grid",
    "plot_loss_curve",
    "plot_network",
    "plot_activation_maps",
    "hidden_activations",
    "BoundaryRecorder",
    "animate_training",
]


# ---------------------------------------------------------------- figures and files
def new_axes(figsize=(6.4, 5.2)):
    """A fresh Figure with one Axes (no pyplot, no backend)."""
    fig = Figure(figsize=figsize, layout="constrained")
    return fig.subplots()


def save_figure(fig, path, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` atomically (temporary file, then rename)."""
    with atomic_path(path, make_folder=True) as tmp:
        fig.savefig(tmp, dpi=dpi)
    return Path(path)


# ---------------------------------------------------------------- small helpers
def _lighten(color, amount: float):
    """Mix ``color`` with white: amount 0 keeps it, 1 gives white."""
    rgb = np.array(to_rgb(color))
    return tuple(rgb + (1.0 - rgb) * amount)


def _class_color(cls: int) -> str:
    return CLASS_COLORS[int(cls) % len(CLASS_COLORS)]


def _labels_1d(y, n: int, name: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2:
        y = y.argmax(axis=1) if y.shape[1] > 1 else (y[:, 0] > 0.5)
    if y.shape != (n,):
        raise ValueError(f"{name} must hold one label per point ({n}), got shape {y.shape}")
    return y.astype(np.intp)


def _grid(X: np.ndarray, step: float | None, padding: float = 0.5):
    x_min, x_max = X[:, 0].min() - padding, X[:, 0].max() + padding
    y_min, y_max = X[:, 1].min() - padding, X[:, 1].max() + padding
    if step is None:
        step = max(x_max - x_min, y_max - y_min) / 300
    elif not step > 0:
        raise ValueError(f"step must be > 0, got {step!r}")
    xx, yy = np.meshgrid(np.arange(x_min, x_max, step), np.arange(y_min, y_max, step))
    return xx, yy


def _proba(model, points: np.ndarray) -> np.ndarray:
    """``model.predict_proba`` as (N, K) with K >= 2 (a single sigmoid output becomes two)."""
    if not hasattr(model, "predict_proba"):
        raise TypeError(f"the model must have predict_proba, got {type(model).__name__}")
    proba = np.asarray(model.predict_proba(points), dtype=np.float64)
    if proba.ndim == 1 or proba.shape[1] == 1:
        p1 = proba.ravel()
        proba = np.column_stack([1.0 - p1, p1])
    return proba


def _scatter(ax, X, y, *, marker="o", label="", hollow=False, size=30):
    """Points in their class colour with dark edges, so they stand out on any shading."""
    if y is None:
        ax.scatter(
            X[:, 0],
            X[:, 1],
            s=size,
            marker=marker,
            c="#404040",
            edgecolors="white",
            linewidths=0.5,
            label=label or None,
            zorder=3,
        )
        return
    y = _labels_1d(y, len(X), "y")
    for cls in np.unique(y):
        pts = X[y == cls]
        color = _class_color(cls)
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=size,
            marker=marker,
            facecolors="white" if hollow else color,
            edgecolors=color if hollow else EDGE_COLOR,
            linewidths=1.4 if hollow else 0.6,
            label=f"class {int(cls)}{label}",
            zorder=3,
        )


def _outside_legend(ax, **kwargs):
    """A legend to the right of the plot, outside the data (constrained layout makes room)."""
    handles, _ = ax.get_legend_handles_labels()
    if not handles:
        return None
    return ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        frameon=False,
        fontsize="small",
        **kwargs,
    )


def _predict_labels(model, X: np.ndarray) -> np.ndarray:
    if hasattr(model, "predict"):
        predicted = np.asarray(model.predict(X))
        if predicted.ndim == 2:
            predicted = predicted.argmax(axis=1) if predicted.shape[1] > 1 else predicted[:, 0]
        if predicted.dtype.kind == "f" and not np.array_equal(predicted, np.round(predicted)):
            predicted = (predicted > 0.5).astype(np.intp)  # a regression output read as P(1)
        return predicted
    return _proba(model, X).argmax(axis=1)


# ---------------------------------------------------------------- data and boundaries
def plot_data(X, y=None, *, ax=None, title: str | None = None):
    """Scatter 2-D points coloured by class (legend outside the plot)."""
    X = check_X(X, n_features=2)
    ax = ax if ax is not None else new_axes()
    _scatter(ax, X, y)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if y is not None:
        _outside_legend(ax)
    if title:
        ax.set_title(title)
    return ax


def _draw_regions(ax, xx, yy, proba, *, colorbar: bool) -> None:
    """Shade the plane by predicted class and draw the boundary (see plot_decision_boundary)."""
    k = proba.shape[1]
    if k == 2:
        cmap = LinearSegmentedColormap.from_list(
            "pair", [_lighten(CLASS_COLORS[0], 0.45), "#ffffff", _lighten(CLASS_COLORS[1], 0.45)]
        )
        p1 = proba[:, 1].reshape(xx.shape)
        # clipped for the shading: a regression output read as P(class 1) may leave [0, 1]
        image = ax.contourf(
            xx, yy, np.clip(p1, 0, 1), levels=np.linspace(0, 1, 11), cmap=cmap, vmin=0, vmax=1
        )
        if p1.min() < 0.5 < p1.max():
            ax.contour(xx, yy, p1, levels=[0.5], colors="k", linewidths=1.6)
        if colorbar:
            ax.figure.colorbar(
                image,
                ax=ax,
                location="bottom",
                shrink=0.6,
                aspect=30,
                pad=0.02,
                label="P(class 1)",
                ticks=[0, 0.25, 0.5, 0.75, 1],
            )
    else:
        labels = proba.argmax(axis=1).reshape(xx.shape)
        confidence = proba.max(axis=1).reshape(xx.shape)
        colors = [_lighten(_class_color(c), 0.55) for c in range(k)]
        ax.contourf(xx, yy, labels, levels=np.arange(k + 1) - 0.5, cmap=ListedColormap(colors))
        # whiten where the model hesitates: 0.6 and 0.35 white over the least sure areas
        ax.contourf(
            xx,
            yy,
            confidence,
            levels=[0, 0.5, 0.75, 1.01],
            colors=[(1, 1, 1, 0.6), (1, 1, 1, 0.35), (1, 1, 1, 0)],
        )
        if len(np.unique(labels)) > 1:
            ax.contour(xx, yy, labels, levels=np.arange(k - 1) + 0.5, colors="k", linewidths=1.0)


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
    legend: bool = True,
    colorbar: bool = True,
):
    """Shade P(class) over the plane, draw the decision boundary and the points.

    Parameters
    ----------
    model : anything with ``predict_proba(points)`` returning (N, K)
        probabilities or (N,)/(N, 1) for one sigmoid output (our ``Sequential``
        after ``fit``, scikit-learn classifiers, ...).
    X, y : the (training) points, drawn as filled circles with dark edges.
    X_test, y_test : more points, drawn as hollow squares.
    step : grid spacing; default 1/300 of the plotted range.
    legend, colorbar : the class legend (outside, right of the plot) and,
        for two classes, a colour bar of P(class 1) under the plot.

    Two classes: the shading is P(class 1) from light red through white to
    light blue, and the boundary is the black P = 0.5 contour. More classes:
    each region takes its (light) class colour, whiter where the model is
    less sure, with black lines between regions.
    """
    X = check_X(X, n_features=2)
    ax = ax if ax is not None else new_axes()
    extent_points = X
    if X_test is not None:
        X_test = check_X(X_test, n_features=2, name="X_test")
        extent_points = np.vstack([X, X_test])
    xx, yy = _grid(extent_points, step)
    proba = _proba(model, np.c_[xx.ravel(), yy.ravel()])
    _draw_regions(ax, xx, yy, proba, colorbar=colorbar)
    _scatter(ax, X, y, label=" (train)" if X_test is not None else "")
    if X_test is not None:
        _scatter(ax, X_test, y_test, marker="s", label=" (test)", hollow=True)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if legend and y is not None:
        _outside_legend(ax)
    if title:
        ax.set_title(title)
    return ax


def _model_and_accuracy(entry, X, y):
    if isinstance(entry, tuple):
        if len(entry) != 2:
            raise ValueError(f"a model entry must be a model or (model, accuracy), got {entry!r}")
        return entry
    return entry, float(np.mean(_predict_labels(entry, X) == y))


def plot_model_grid(models: Mapping, X, y, *, ncols: int = 2, title: str | None = None) -> Figure:
    """One decision-boundary panel per model, its training accuracy in the panel title.

    ``models`` maps a label to a fitted model (anything with
    ``predict_proba``; its accuracy on (X, y) is computed with ``predict``)
    or to a pair ``(model, accuracy)``. Panels run left to right, top to
    bottom, in the mapping's order; one class legend sits under the grid.
    Serves the hidden-size grid of seed 000 and "logistic regression beside
    the network".
    """
    if not isinstance(models, Mapping) or not models:
        raise TypeError("models must be a non-empty dict {label: model or (model, accuracy)}")
    ncols = check_positive_int(ncols, "ncols")
    X = check_X(X, n_features=2)
    y = _labels_1d(y, len(X), "y")
    n = len(models)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig = Figure(figsize=(3.2 * ncols, 3.0 * nrows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, (label, entry) in zip(axes, models.items()):
        model, acc = _model_and_accuracy(entry, X, y)
        plot_decision_boundary(
            model, X, y, ax=ax, legend=False, colorbar=False, title=f"{label}\naccuracy {acc:.3f}"
        )
        ax.title.set_fontsize("medium")
        ax.tick_params(labelsize="small")
    for ax in axes[n:]:
        fig.delaxes(ax)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)
    if title:
        fig.suptitle(title, fontsize="large")
    return fig


# ---------------------------------------------------------------- training curves
def _history_dict(history) -> tuple[np.ndarray, dict]:
    if hasattr(history, "history") and isinstance(history.history, Mapping):
        logs = dict(history.history)
        epochs = np.asarray(getattr(history, "epoch", None) or range(len(logs.get("loss", []))))
    elif isinstance(history, Mapping):
        logs = dict(history)
        epochs = np.arange(len(logs.get("loss", [])))
    else:
        values = np.asarray(history, dtype=np.float64)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"a loss curve needs a non-empty list of numbers, got {values.shape}")
        logs = {"loss": values}
        epochs = np.arange(values.size)
    if "loss" not in logs or len(logs["loss"]) == 0:
        raise ValueError("the history holds no 'loss' values to plot")
    return epochs, {k: np.asarray(v, dtype=np.float64) for k, v in logs.items()}


def plot_loss_curve(
    history, *, ax=None, log_scale: bool = False, components: bool = True, title: str | None = None
):
    """Loss per epoch: training, validation, and the data loss and L2 penalty that make it up.

    ``history`` is an ``nnscratch.History`` (or a dict of lists) with
    ``"loss"`` and, when present, ``"data_loss"``, ``"penalty"``,
    ``"val_loss"``, ``"accuracy"``, ``"val_accuracy"``; or a plain list of
    losses. ``components`` adds the data loss and penalty (when the penalty is
    not zero). Accuracies go on a second y axis on the right (0 to 1).
    ``log_scale`` puts the loss axis on a log scale (non-positive values are
    left out). Returns the loss Axes.
    """
    epochs, logs = _history_dict(history)
    ax = ax if ax is not None else new_axes(figsize=(6.4, 4.2))
    ax.plot(epochs, logs["loss"], color="#08519c", linewidth=1.8, label="training loss")
    if "val_loss" in logs:
        ax.plot(epochs, logs["val_loss"], color="#e6550d", linewidth=1.8, label="validation loss")
    if components and "penalty" in logs and np.any(logs["penalty"] != 0):
        if "data_loss" in logs:
            ax.plot(
                epochs,
                logs["data_loss"],
                color="#6baed6",
                linestyle="--",
                linewidth=1.3,
                label="data loss",
            )
        ax.plot(
            epochs,
            logs["penalty"],
            color="#737373",
            linestyle=":",
            linewidth=1.5,
            label="L2 penalty",
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log_scale:
        ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)
    ax.set_xlim(epochs[0], max(epochs[-1], epochs[0] + 1))
    handles, labels = ax.get_legend_handles_labels()
    if "accuracy" in logs or "val_accuracy" in logs:
        acc_ax = ax.twinx()
        for key, color, name in (
            ("accuracy", "#31a354", "training accuracy"),
            ("val_accuracy", "#a1d99b", "validation accuracy"),
        ):
            if key in logs:
                acc_ax.plot(epochs, logs[key], color=color, linewidth=1.2, alpha=0.9, label=name)
        acc_ax.set_ylim(0, 1.02)
        acc_ax.set_ylabel("accuracy", color="#31a354")
        acc_ax.tick_params(axis="y", colors="#31a354")
        more_handles, more_labels = acc_ax.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    ax.legend(
        handles,
        labels,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=min(len(labels), 3),
        frameon=False,
        fontsize="small",
    )
    if title:
        ax.set_title(title, pad=10 + 14 * (1 + (len(labels) - 1) // 3))
    return ax


# ---------------------------------------------------------------- the network itself
def _dense_layers(model):
    from .layers import Dense

    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(f"expected an nnscratch Sequential, got {type(model).__name__}")
    dense = [(i, layer) for i, layer in enumerate(layers) if isinstance(layer, Dense)]
    if not dense:
        raise ValueError("the model has no Dense layer to draw")
    return dense


def _after_dense_names(model, dense) -> list[str]:
    """The name of what follows each Dense layer (its activation), '' if nothing."""
    names = []
    for position, (i, _) in enumerate(dense):
        end = dense[position + 1][0] if position + 1 < len(dense) else len(model.layers)
        acts = [type(layer).__name__ for layer in model.layers[i + 1 : end]]
        names.append(", ".join(a for a in acts if a != "Dropout").lower())
    return names


def plot_network(model, *, ax=None, max_width: float = 6.0, title: str | None = None):
    """Draw the network: neurons as circles, one line per weight.

    Line width is proportional to |weight| (the largest weight of the whole
    model gets ``max_width`` points), colour gives the sign (blue positive,
    red negative). Each Dense layer's links are one ``LineCollection`` whose
    segments run in ``W.ravel()`` order (from input i to output j, row by
    row), with ``gid = "weights-k"`` for the k-th Dense layer. Biases are not
    drawn. Under each column: its role, width and activation.
    """
    dense = _dense_layers(model)
    sizes = [dense[0][1].n_in] + [layer.n_out for _, layer in dense]
    acts = _after_dense_names(model, dense)
    height = 2.4 + 0.45 * min(max(sizes), 12)
    ax = ax if ax is not None else new_axes(figsize=(1.9 * len(sizes) + 1.2, height))
    # neuron 0 of every layer at the top; columns centred on y = 0, tall ones squeezed
    positions = [
        np.column_stack(
            [
                np.full(n, float(c)),
                ((n - 1) / 2 - np.arange(n)) * min(1.0, 11.0 / max(n - 1, 1)),
            ]
        )
        for c, n in enumerate(sizes)
    ]
    biggest = max(float(np.abs(layer.W).max()) for _, layer in dense) or 1.0
    for k, (_, layer) in enumerate(dense):
        W = layer.W
        src, dst = positions[k], positions[k + 1]
        segments = [[src[i], dst[j]] for i in range(W.shape[0]) for j in range(W.shape[1])]
        w = W.ravel()
        widths = max_width * np.abs(w) / biggest
        colors = np.where(w >= 0, POSITIVE_COLOR, NEGATIVE_COLOR)
        links = LineCollection(
            segments, linewidths=widths, colors=list(colors), alpha=0.8, zorder=1, capstyle="round"
        )
        links.set_gid(f"weights-{k}")
        ax.add_collection(links)
    low = min(p[:, 1].min() for p in positions)
    high = max(p[:, 1].max() for p in positions)
    for c, pts in enumerate(positions):
        role = "input" if c == 0 else ("output" if c == len(positions) - 1 else "hidden")
        face = {"input": "#f0f0f0", "hidden": "#fff7bc", "output": "#e5f5e0"}[role]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=300 if len(pts) <= 12 else max(30, 3600 / len(pts)),
            c=face,
            edgecolors=EDGE_COLOR,
            linewidths=1.2,
            zorder=2,
        )
        if role == "input" and len(pts) <= 12:
            for i, (px, py) in enumerate(pts):
                ax.text(px, py, f"$x_{i + 1}$", ha="center", va="center", fontsize=9, zorder=3)
        caption = f"{role}\n{len(pts)}"
        if c > 0 and acts[c - 1]:
            caption += f"\n{acts[c - 1]}"
        ax.text(c, low - 0.6, caption, ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(low - 1.45, high + 0.5)
    ax.set_axis_off()
    ax.legend(
        handles=[
            Line2D([], [], color=POSITIVE_COLOR, linewidth=3, label="weight > 0"),
            Line2D([], [], color=NEGATIVE_COLOR, linewidth=3, label="weight < 0"),
        ],
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=2,
        frameon=False,
        fontsize="small",
        title=f"line width ∝ |weight| (widest = {biggest:.3g})",
        title_fontsize="small",
    )
    if title:
        ax.set_title(title, pad=44)
    return ax


def hidden_activations(model, points, layer: int = 0):
    """(pre-activation z, activation a) of hidden layer ``layer`` (0 = first) for ``points``.

    Runs the model's layers up to the Dense layer that makes hidden layer
    ``layer`` (z) and on to just before the next Dense layer (a).
    """
    dense = _dense_layers(model)
    n_hidden = len(dense) - 1
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
        raise TypeError(f"layer must be an integer, got {layer!r}")
    if not 0 <= layer < n_hidden:
        raise ValueError(
            f"layer must be in 0..{n_hidden - 1} (the model has {n_hidden} hidden layer(s)), "
            f"got {layer}"
        )
    start = dense[layer][0]
    stop = dense[layer + 1][0]
    x = check_X(points, n_features=model.n_in, dtype=model.dtype)
    for lay in model.layers[:start]:
        x = lay.forward(x)
    z = model.layers[start].forward(x)
    a = z
    for lay in model.layers[start + 1 : stop]:
        a = lay.forward(a)
    return z, a


def plot_activation_maps(
    model,
    X=None,
    *,
    y=None,
    layer: int = 0,
    ncols: int | None = None,
    resolution: int = 150,
    extent=None,
    title: str | None = None,
) -> Figure:
    """What each neuron of one hidden layer computes, as a picture over the input plane.

    For a model with 2 inputs: one panel per neuron of hidden layer ``layer``
    (0 = the first), showing its activation a(x₁, x₂) as an image
    (``imshow``, ``resolution`` × ``resolution`` pixels, origin lower left),
    the line where its pre-activation z = 0 (for the first layer, the
    neuron's straight cut w·x + b = 0), and the data ``X`` (coloured by ``y``
    if given). The plane covers ``extent`` = (x_min, x_max, y_min, y_max), by
    default X's range plus a margin (or [-3, 3]² without X). Colours: purple
    negative, white zero, green positive, on one scale shared by all panels.
    """
    dense = _dense_layers(model)
    if dense[0][1].n_in != 2:
        raise ValueError(f"activation maps need a model with 2 inputs, got {dense[0][1].n_in}")
    if X is not None:
        X = check_X(X, n_features=2)
    if extent is None:
        if X is None:
            extent = (-3.0, 3.0, -3.0, 3.0)
        else:
            pad_x = 0.1 * np.ptp(X[:, 0]) + 0.2
            pad_y = 0.1 * np.ptp(X[:, 1]) + 0.2
            extent = (
                X[:, 0].min() - pad_x,
                X[:, 0].max() + pad_x,
                X[:, 1].min() - pad_y,
                X[:, 1].max() + pad_y,
            )
    x_min, x_max, y_min, y_max = (float(v) for v in extent)
    resolution = check_positive_int(resolution, "resolution", minimum=2)
    xs = np.linspace(x_min, x_max, resolution)
    ys = np.linspace(y_min, y_max, resolution)
    xx, yy = np.meshgrid(xs, ys)
    z, a = hidden_activations(model, np.c_[xx.ravel(), yy.ravel()], layer)
    n_neurons = a.shape[1]
    ncols = check_positive_int(ncols, "ncols") if ncols is not None else min(n_neurons, 4)
    nrows = -(-n_neurons // ncols)
    fig = Figure(figsize=(2.6 * ncols + 0.9, 2.5 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    bound = float(np.abs(a).max()) or 1.0
    act_name = _after_dense_names(model, dense)[layer] or "identity"
    image = None
    colors = (
        None if X is None or y is None else [_class_color(c) for c in _labels_1d(y, len(X), "y")]
    )
    for j, ax in enumerate(axes[:n_neurons]):
        image = ax.imshow(
            a[:, j].reshape(xx.shape),
            origin="lower",
            extent=(x_min, x_max, y_min, y_max),
            cmap=ACTIVATION_CMAP,
            vmin=-bound,
            vmax=bound,
            aspect="auto",
            interpolation="nearest",
        )
        zj = z[:, j].reshape(xx.shape)
        if zj.min() < 0 < zj.max():
            ax.contour(xx, yy, zj, levels=[0.0], colors="k", linewidths=1.0, linestyles="--")
        if X is not None:
            if colors is None:
                ax.scatter(X[:, 0], X[:, 1], s=6, c="#404040", linewidths=0)
            else:
                ax.scatter(X[:, 0], X[:, 1], s=12, c=colors, edgecolors=EDGE_COLOR, linewidths=0.4)
        ax.set_xlim(x_min, x_max)
        ax.set_ylim(y_min, y_max)
        ax.set_title(f"neuron {j + 1}", fontsize="medium")
        ax.tick_params(labelsize="x-small")
    for ax in axes[n_neurons:]:
        fig.delaxes(ax)
    fig.colorbar(image, ax=list(axes[:n_neurons]), shrink=0.8, label=f"{act_name} activation")
    fig.suptitle(
        title or f"hidden layer {layer + 1}: what each neuron computes (dashed: z = 0)",
        fontsize="medium",
    )
    return fig


# ---------------------------------------------------------------- training as a film
def _frame_epochs(epochs: int, frames: int, spacing: str) -> np.ndarray:
    """``frames`` distinct epoch counts in 1..epochs, the last one = epochs."""
    frames = min(frames, epochs)
    if spacing == "linear":
        marks = np.linspace(epochs / frames, epochs, frames)
    elif spacing == "log":
        marks = np.geomspace(1, epochs, frames)
    else:
        raise ValueError(f"spacing must be 'linear' or 'log', got {spacing!r}")
    marks = np.round(marks).astype(int)
    marks[-1] = epochs
    for i in range(1, frames):  # make them strictly increasing ...
        marks[i] = max(marks[i], marks[i - 1] + 1)
    marks[-1] = epochs
    for i in range(frames - 2, -1, -1):  # ... and within 1..epochs
        marks[i] = min(marks[i], marks[i + 1] - 1)
    return marks


class BoundaryRecorder(Callback):
    """A callback that keeps the model's P(class) over a grid at chosen epochs.

    Pass it to ``fit``; afterwards ``save_gif(path)`` writes the film. It
    records the untrained model (epoch 0) at the start and the model after
    ``frame_epochs`` epochs (1-based counts, e.g. ``[10, 20, 40]``), and
    always the final state. Recording only runs ``predict_proba`` (no
    randomness, no gradient), so training is exactly the same with or
    without it.
    """

    def __init__(self, X, y=None, *, frame_epochs, step: float | None = None) -> None:
        self.X = check_X(X, n_features=2)
        self.y = None if y is None else _labels_1d(y, len(self.X), "y")
        self.frame_epochs = {int(e) for e in frame_epochs}
        if step is None:  # a coarser grid than a still picture: frames stay small and fast
            span = max(np.ptp(self.X[:, 0]), np.ptp(self.X[:, 1])) + 1.0  # _grid pads 0.5
            step = span / 120
        self.xx, self.yy = _grid(self.X, step)
        self.points = np.c_[self.xx.ravel(), self.yy.ravel()]  # every frame predicts on these
        self.frames: list[tuple[int, np.ndarray, dict]] = []

    def _record(self, epoch: int, logs: dict) -> None:
        proba = _proba(self.model, self.points)
        self.frames.append((epoch, proba, dict(logs)))

    def on_train_begin(self, logs):
        self.frames = []
        self._last = None
        self._record(0, {})

    def on_epoch_end(self, epoch, logs):
        self._last = (epoch + 1, logs)
        if epoch + 1 in self.frame_epochs:
            self._record(epoch + 1, logs)

    def on_train_end(self, logs):
        # training ended between two frames (early stop, Ctrl-C): show where it ended
        if self._last is not None and self.frames[-1][0] != self._last[0]:
            self._record(*self._last)

    def save_gif(self, path, *, fps: int = 8, dpi: int = 80, figsize=(4.0, 3.4)) -> Path:
        """Write one frame per recording (boundary, points, epoch, loss, accuracy) as a GIF."""
        from matplotlib.animation import PillowWriter

        if not self.frames:
            raise RuntimeError("nothing recorded yet: pass the recorder to fit(callbacks=[...])")
        fig = Figure(figsize=figsize, layout="constrained")
        ax = fig.subplots()
        writer = PillowWriter(fps=fps)
        with atomic_path(path, make_folder=True) as tmp, writer.saving(fig, tmp, dpi):
            for epoch, proba, logs in self.frames:
                ax.clear()
                text = f"epoch {epoch}"
                if "loss" in logs:
                    text += f"   loss {logs['loss']:.4f}"
                if "accuracy" in logs:
                    text += f"   accuracy {logs['accuracy']:.3f}"
                _draw_regions(ax, self.xx, self.yy, proba, colorbar=False)
                _scatter(ax, self.X, self.y)
                ax.set_xlim(self.xx.min(), self.xx.max())
                ax.set_ylim(self.yy.min(), self.yy.max())
                ax.set_xlabel("$x_1$")
                ax.set_ylabel("$x_2$")
                ax.set_title(text)
                ax.title.set_fontsize("medium")
                writer.grab_frame()
        return Path(path)


def animate_training(
    model,
    loss,
    optimizer,
    X,
    y,
    path,
    *,
    epochs: int,
    frames: int = 40,
    spacing: str = "log",
    fps: int = 8,
    dpi: int = 80,
    fit_kwargs: dict | None = None,
):
    """Train ``model`` with ``nnscratch.fit`` and write a GIF of its decision boundary.

    The film has ``frames`` images: the untrained model, then the model after
    ``frames - 1`` epoch counts spread over training, ``spacing="log"``
    (default: early epochs, when the boundary moves most, get more frames) or
    ``"linear"``; the last frame is the trained model. ``fps`` frames per
    second and ``dpi`` (pixels per inch of a 4 × 3.4 inch frame) set the
    film's pace and size. ``fit_kwargs`` go to
    ``fit`` (``batch_size``, ``callbacks``, ...). Returns the ``History``;
    the GIF is at ``path``.

    >>> history = animate_training(model, nn.SoftmaxCrossEntropy(), nn.SGD(lr=0.01),
    ...                            X, y, "moons.gif", epochs=2000, frames=30)
    """
    from .training import fit

    epochs = check_positive_int(epochs, "epochs")
    frames = check_positive_int(frames, "frames", minimum=2)
    fit_kwargs = dict(fit_kwargs or {})
    if "epochs" in fit_kwargs:
        raise TypeError("give epochs to animate_training itself, not in fit_kwargs")
    marks = _frame_epochs(epochs, frames - 1, spacing)
    recorder = BoundaryRecorder(X, y, frame_epochs=marks)
    callbacks = list(fit_kwargs.pop("callbacks", ())) + [recorder]
    history = fit(model, loss, optimizer, X, y, epochs=epochs, callbacks=callbacks, **fit_kwargs)
    recorder.save_gif(path, fps=fps, dpi=dpi)
    return history
