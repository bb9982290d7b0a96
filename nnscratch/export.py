"""ONNX export: a trained network as a standard ONNX graph that any runtime can run.

>>> import nnscratch as nn
>>> from nnscratch.export import to_onnx
>>> to_onnx(model, "moons.onnx")          # model: a Sequential trained with nn.fit
>>> to_onnx(estimator, "clf.onnx")        # or a fitted nnscratch MLPClassifier / MLPRegressor

The graph, layer by layer (built with the ``onnx`` package, checked with
``onnx.checker`` before it is written):

=================  ==========================================================
nnscratch          ONNX
=================  ==========================================================
``Dense``          ``Gemm(input, W, b)``: ``z = x W + b`` (W stored (n_in, n_out))
``Tanh``           ``Tanh``
``Sigmoid``        ``Sigmoid``
``ReLU``           ``Relu``
``LeakyReLU``      ``LeakyRelu(alpha=slope)``; ``PRelu`` with a float64 slope when a
                   float64 model's slope is not exactly a float32 (ONNX attributes
                   are float32, so ``alpha`` would round it)
``Softmax``        ``Softmax(axis=-1)`` (the unfused teaching layer)
``Identity``       nothing (the value passes through)
``Dropout``        nothing (it is the identity at inference)
=================  ==========================================================

Then the link of the model's loss (``model.loss.transform``):
``SoftmaxCrossEntropy`` → ``Softmax(axis=-1)``, ``SigmoidBinaryCrossEntropy``
→ ``Sigmoid``, ``MSE`` and ``CrossEntropy`` → nothing. So the graph's output
is exactly ``model.predict_proba(X)``; it is named ``"probabilities"`` for a
classifier's loss and ``"output"`` otherwise. A model without a loss (never
trained with ``fit``) exports its raw output, ``model.decision_function(X)``,
named ``"output"``.

Input ``"input"`` has shape ``(N, n_in)`` with a free batch dimension ``N``
and the model's dtype (``float`` for float32, ``double`` for float64:
onnxruntime runs every operator above in both). The graph reproduces
``predict_proba`` to about 1e-7 in float32 and 1e-15 in float64.

scikit-learn estimators (``nnscratch.estimators.MLPClassifier`` /
``MLPRegressor``, or any object whose ``model_`` is a ``Sequential``) export
their ``model_``. A binary classifier (one sigmoid output) gets the two
columns ``[1 - p, p]`` of its ``predict_proba``; class labels are not in the
graph (map the argmax through ``estimator.classes_``).

Anything else is refused with a ``TypeError`` naming it: layers that are not
nnscratch's own (a subclass may compute something else) and custom losses.

``onnx`` (and ``onnxruntime`` for ``check_onnx``) are optional:
``pip install nnscratch[onnx]``. They are imported inside the functions,
never at ``import nnscratch``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import __version__
from . import layers as L
from . import losses as losses_module
from ._files import write_bytes
from .network import Sequential

__all__ = ["to_onnx", "to_onnx_model", "check_onnx", "DEFAULT_OPSET", "INPUT_NAME"]

DEFAULT_OPSET = 17  # Softmax(axis=-1) needs >= 13; 17 runs on every current onnxruntime
MIN_OPSET = 13
INPUT_NAME = "input"

# Layers mapped onto one ONNX operator with no parameters.
_ELEMENTWISE = {L.Tanh: "Tanh", L.Sigmoid: "Sigmoid", L.ReLU: "Relu"}
_PASS_THROUGH = (L.Identity, L.Dropout)

# The link of each loss, as (ONNX operator, attributes) or None for the identity.
_LINKS = {
    losses_module.SoftmaxCrossEntropy: ("Softmax", {"axis": -1}),
    losses_module.SigmoidBinaryCrossEntropy: ("Sigmoid", {}),
    losses_module.CrossEntropy: None,
    losses_module.MSE: None,
}


def _require(module: str):
    """Import an optional dependency, or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"ONNX export needs the optional package {module!r}: pip install 'nnscratch[onnx]'"
        ) from None


def _unwrap(model) -> tuple[Sequential, object | None]:
    """The Sequential to export and the estimator around it (None for a bare Sequential)."""
    if isinstance(model, Sequential):
        return model, None
    inner = getattr(model, "model_", None)
    if isinstance(inner, Sequential):
        return inner, model
    if hasattr(model, "fit") and hasattr(model, "get_params"):
        raise ValueError(
            f"this {type(model).__name__} is not fitted (it has no model_ yet); call fit first"
        )
    raise TypeError(
        "to_onnx expects an nnscratch Sequential or a fitted estimator whose model_ is one, "
        f"got {type(model).__name__}"
    )


def _is_binary_estimator(estimator, network: Sequential) -> bool:
    """A classifier estimator with one sigmoid output: its predict_proba is [1 - p, p]."""
    return (
        estimator is not None
        and hasattr(estimator, "classes_")
        and type(network.loss) is losses_module.SigmoidBinaryCrossEntropy
        and network.n_out == 1
        and len(getattr(estimator, "classes_", ())) == 2
    )


def to_onnx_model(model, *, opset: int = DEFAULT_OPSET, name: str | None = None):
    """Build (and check) the ``onnx.ModelProto`` of ``model`` without writing it.

    See the module docstring for what each layer becomes. Raises ``TypeError``
    for layers or losses that have no ONNX form here.
    """
    onnx = _require("onnx")
    from onnx import TensorProto, helper, numpy_helper

    network, estimator = _unwrap(model)
    if isinstance(opset, bool) or not isinstance(opset, int) or opset < MIN_OPSET:
        raise ValueError(f"opset must be an integer >= {MIN_OPSET}, got {opset!r}")
    loss = network.loss
    if loss is not None and type(loss) not in _LINKS:
        raise TypeError(
            f"cannot export a model trained with the custom loss {type(loss).__name__}: "
            f"its link is unknown (supported: {', '.join(c.__name__ for c in _LINKS)})"
        )
    dtype = network.dtype
    elem_type = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE

    nodes, initializers = [], []
    current = INPUT_NAME

    def add(op: str, inputs: list[str], label: str, **attrs) -> None:
        nonlocal current
        output = f"{label}_out"
        nodes.append(helper.make_node(op, inputs, [output], name=label, **attrs))
        current = output

    def constant(value: np.ndarray, label: str) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), label))
        return label

    for i, layer in enumerate(network.layers):
        kind = type(layer)
        label = f"layer{i}_{kind.__name__}"
        if kind is L.Dense:
            W = constant(layer.params["W"], f"layer{i}.W")
            b = constant(layer.params["b"], f"layer{i}.b")
            add("Gemm", [current, W, b], label)
        elif kind in _ELEMENTWISE:
            add(_ELEMENTWISE[kind], [current], label)
        elif kind is L.LeakyReLU:
            if dtype == np.float32 or float(np.float32(layer.slope)) == layer.slope:
                add("LeakyRelu", [current], label, alpha=float(layer.slope))
            else:
                slope = constant(np.array([layer.slope], dtype=dtype), f"layer{i}.slope")
                add("PRelu", [current, slope], label)
        elif kind is L.Softmax:
            add("Softmax", [current], label, axis=-1)
        elif kind in _PASS_THROUGH:
            continue
        else:
            raise TypeError(
                f"cannot export layer {i}, {kind.__name__}: ONNX export knows nnscratch's "
                f"Dense, Tanh, Sigmoid, ReLU, LeakyReLU, Softmax, Identity and Dropout only"
            )

    link = _LINKS.get(type(loss)) if loss is not None else None
    if link is not None:
        add(link[0], [current], f"link_{link[0]}", **link[1])
    n_out = network.n_out
    if _is_binary_estimator(estimator, network):
        positive = current
        one = constant(np.ones((1, 1), dtype=dtype), "one")
        add("Sub", [one, positive], "negative_class")
        add("Concat", [current, positive], "binary_proba", axis=1)
        n_out = 2
    output_name = "probabilities" if loss is not None and loss.is_classifier else "output"
    nodes[-1].output[0] = output_name  # there is always a node: every model has a Dense

    graph = helper.make_graph(
        nodes,
        name or "nnscratch_model",
        [helper.make_tensor_value_info(INPUT_NAME, elem_type, ["N", network.n_in])],
        [helper.make_tensor_value_info(output_name, elem_type, ["N", n_out])],
        initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    onnx_model = helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name="nnscratch",
        producer_version=__version__,
        doc_string=f"nnscratch {type(model).__name__}: " + " -> ".join(map(repr, network.layers)),
    )
    onnx_model.ir_version = helper.find_min_ir_version_for(opsets)
    description = {
        "nnscratch_version": __version__,
        "dtype": dtype.name,
        "loss": None if loss is None else type(loss).__name__,
        "layers": json.dumps([type(layer).__name__ for layer in network.layers]),
        "output": output_name,
    }
    if estimator is not None and hasattr(estimator, "classes_"):
        description["classes"] = json.dumps(np.asarray(estimator.classes_).tolist())
    helper.set_model_props(onnx_model, {k: str(v) for k, v in description.items()})
    onnx.checker.check_model(onnx_model, full_check=True)
    return onnx_model


def to_onnx(model, path, *, opset: int = DEFAULT_OPSET) -> Path:
    """Write ``model`` (a Sequential or a fitted estimator) as an ONNX file, atomically.

    Returns the path. The graph is checked with ``onnx.checker`` before any
    byte is written; the file appears complete or not at all (temporary file,
    then rename), as ``nnscratch.save`` does.
    """
    data = to_onnx_model(model, opset=opset).SerializeToString()
    return write_bytes(path, data)


def reference_output(model, X: np.ndarray) -> np.ndarray:
    """What the exported graph must reproduce: predict_proba (or the raw output), 2-D."""
    network, estimator = _unwrap(model)
    if estimator is not None:
        if hasattr(estimator, "predict_proba"):
            out = estimator.predict_proba(X)
        else:
            out = estimator.predict(X)
        out = np.asarray(out)
        return out[:, None] if out.ndim == 1 else out
    if network.loss is None:
        return network.decision_function(X)
    return network.predict_proba(X)


def check_onnx(model, path, X=None, *, n_samples: int = 256, seed: int = 0) -> float:
    """Run the ONNX file in onnxruntime and return its largest absolute difference from
    ``model``'s ``predict_proba`` (raw output without a loss) on ``X``.

    ``X`` defaults to ``n_samples`` standard-normal rows drawn with ``seed``.
    Needs ``onnxruntime``.
    """
    ort = _require("onnxruntime")
    network, _ = _unwrap(model)
    if X is None:
        X = np.random.default_rng(seed).standard_normal((n_samples, network.n_in))
    X = np.ascontiguousarray(X, dtype=network.dtype)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {INPUT_NAME: X})
    expected = reference_output(model, X)
    if got.shape != expected.shape:
        raise ValueError(f"the ONNX graph gives shape {got.shape}, the model {expected.shape}")
    return float(np.max(np.abs(got.astype(np.float64) - expected.astype(np.float64))))
