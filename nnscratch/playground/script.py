"""The Python script that reproduces a playground run with the library, exactly.

Same seed, same draws, same order: the data generator and the split take
``random_state=SEED``, ``build_mlp`` takes ``rng=SEED`` and ``fit`` shuffles
with ``rng=SEED``, as the playground does; so the script's final weights are
bit for bit the playground's after the same number of epochs (a test runs it).
"""

from __future__ import annotations

import inspect
import json

from .config import DATASETS, FEATURES, LOSSES, OPTIMIZERS
from .engine import L1Subgradient, data_arguments

# the generated script defines the engine's own L1 wrapper, from its source
_L1_CLASS = "\n\n" + inspect.getsource(L1Subgradient)


def _data_lines(c: dict) -> list[str]:
    name = c["dataset"]
    if name == "quadrants":
        return [
            "X_train, y_train = make_quadrant_points()  # seed 003's four points",
            "X_test, y_test = make_quadrant_points(test=True)",
        ]
    size, settings = data_arguments(c)
    arguments = [str(size), *(f"{k}={v!r}" for k, v in settings.items())]
    arguments += [f"noise={c['noise']!r}", "random_state=SEED"]
    call = f"{DATASETS[name][2]}({', '.join(arguments)})"
    return [
        f"X, y = {call}",
        "X_train, X_test, y_train, y_test = train_test_split(",
        f"    X, y, test_size={c['test_ratio']!r}, random_state=SEED, stratify=True",
        ")",
    ]


def _generator(name: str) -> str:
    return DATASETS[name][2]


def _optimizer(c: dict) -> str:
    lr = c["learning_rate"]
    return {
        "sgd": f"nn.SGD(lr={lr!r})",
        "momentum": f"nn.SGD(lr={lr!r}, momentum=0.9)",
        "nesterov": f"nn.SGD(lr={lr!r}, momentum=0.9, nesterov=True)",
        "adam": f"nn.Adam(lr={lr!r})",
        "rmsprop": f"nn.RMSProp(lr={lr!r})",
    }[c["optimizer"]]


def _call(opening: str, args: list[str]) -> list[str]:
    """A call laid out as ruff format would: one line if it fits in 100, else one per argument."""
    line = opening + ", ".join(args) + ")"
    if len(line) <= 100:
        return [line]
    return [opening, *(f"    {arg}," for arg in args), ")"]


def render(config: dict, epochs: int, n_classes: int) -> str:
    """The script's text for ``config`` trained ``epochs`` epochs."""
    c = config
    names = c["features"]
    units = [layer["units"] for layer in c["layers"]]
    activations = [layer["activation"] for layer in c["layers"]]
    l2 = c["reg_rate"] if c["regularization"] == "l2" else 0.0
    l1 = c["reg_rate"] if c["regularization"] == "l1" else 0.0
    loss = c["loss"]
    binary_one_output = loss == "binary_cross_entropy" and n_classes == 2
    n_out = 1 if binary_one_output else n_classes
    imports = {_generator(c["dataset"])}
    if c["dataset"] != "quadrants":
        imports.add("train_test_split")
    if loss != "softmax_cross_entropy" and not binary_one_output:
        imports.add("one_hot")
    imports = sorted(imports)
    feature_labels = ", ".join(FEATURES[f][0] for f in names)
    columns = ", ".join(FEATURES[f][1] for f in names)

    lines = [
        '"""A run of the nnscratch playground, reproduced with the library.',
        "",
        f"Data: {DATASETS[c['dataset']][0]}; features: {feature_labels}.",
        f"Network: {len(names)} inputs -> {' -> '.join(map(str, units + [n_out]))}, "
        f"activations {', '.join(activations) or 'none'}.",
        f"Training: {LOSSES[loss]}, {OPTIMIZERS[c['optimizer']]}, learning rate "
        f"{c['learning_rate']:g}, batch size {c['batch_size']}, "
        + (f"{c['regularization'].upper()} {c['reg_rate']:g}" if l1 or l2 else "no regularization")
        + f", {epochs} epochs, seed {c['seed']}.",
        "",
        "Run it with `python this_file.py`: the final weights are bit for bit the",
        "playground's. Every draw is seeded with SEED (data, split, weights, shuffling).",
        '"""',
        "",
        "import numpy as np",
        "",
        "import nnscratch as nn",
        f"from nnscratch.datasets import {', '.join(imports)}",
        "",
        f"SEED = {c['seed']}",
        f"EPOCHS = {epochs}",
    ]
    if l1:
        lines += _L1_CLASS.rstrip("\n").split("\n")
    lines += [
        "",
        "",
        "def features(X):",
        f'    """The network\'s inputs: {feature_labels}."""',
        "    x1, x2 = X[:, 0], X[:, 1]",
        f"    return np.column_stack([{columns}])",
        "",
        "",
        "def classes(output):",
        '    """The decision rule: argmax of the outputs (one output: output > 0)."""',
        "    if output.shape[1] == 1:",
        "        return (output[:, 0] > 0).astype(np.intp)",
        "    return np.argmax(output, axis=1)",
        "",
        "",
        "# data",
        *_data_lines(c),
        "F_train, F_test = features(X_train), features(X_test)",
    ]
    if loss == "softmax_cross_entropy":
        lines.append("T_train, T_test = y_train, y_test  # integer labels")
    elif binary_one_output:
        lines.append("T_train, T_test = y_train.astype(float), y_test.astype(float)  # 0/1 targets")
    else:
        lines.append(
            f"T_train, T_test = one_hot(y_train, {n_classes}), one_hot(y_test, {n_classes})"
        )
    loss_class = {
        "softmax_cross_entropy": "nn.SoftmaxCrossEntropy()",
        "binary_cross_entropy": "nn.SigmoidBinaryCrossEntropy()",
        "mse": "nn.MSE()",
    }[loss]
    lines += [
        "",
        "# model",
        *_call(
            "model = nn.build_mlp(",
            [
                str(len(names)),
                repr(units),
                str(n_out),
                f"activation={json.dumps(activations)}",
                f"l2={l2!r}",
                "rng=SEED",
            ],
        ),
        "print(model.summary())",
        "",
        "# loss and optimizer",
        f"loss = {loss_class}",
    ]
    if l1:
        lines.append(f"optimizer = L1Subgradient({_optimizer(c)}, {l1!r}, model)")
    else:
        lines.append(f"optimizer = {_optimizer(c)}")
    lines += [
        "",
        "# training: the same mini-batches in the same order as the playground",
        *_call(
            "history = nn.fit(",
            [
                "model",
                "loss",
                "optimizer",
                "F_train",
                "T_train",
                "epochs=EPOCHS",
                f"batch_size={c['batch_size']}",
                "rng=SEED",
            ],
        ),
        "if history.stop_reason:",
        "    print(history.stop_reason)",
        "",
        "# evaluation: the data loss (without the penalty) and the accuracy",
        'for part, F, T, labels in (("train", F_train, T_train, y_train), ("test", F_test, T_test, y_test)):',
        "    output = model.forward(F)",
        "    accuracy = np.mean(classes(output) == labels)",
        "    if not np.isfinite(output).all():  # weights from a run that diverged",
        '        print(f"{part}: the output overflows   accuracy {accuracy:.3f}")',
        "        continue",
        '    print(f"{part}: loss {loss.forward(output, T):.6f}   accuracy {accuracy:.3f}")',
        "",
        "# nn.save(model, 'playground.npz')  # load it back with nn.load; apply features() first",
        "",
    ]
    return "\n".join(lines)
