"""nnscratch: neural networks from scratch in NumPy.

Explicit forward and backward passes you can read line by line, checked
against finite differences and against the tutorials they grew from.

>>> import nnscratch as nn
>>> model = nn.build_mlp(2, [3], 2, activation="tanh", l2=0.01, rng=0)
>>> history = nn.fit(model, nn.SoftmaxCrossEntropy(), nn.SGD(lr=0.1), X, y, epochs=1000)

Only NumPy is imported here; scikit-learn, matplotlib and tqdm load on first
use in the modules that need them (datasets, plotting, progress bars).
"""

__version__ = "0.1.0"

from . import functional, initializers  # noqa: E402
from .callbacks import Callback, EarlyStopping, LambdaCallback, Logger, ProgressBar  # noqa: E402
from .gradcheck import GradcheckResult, gradcheck, numerical_gradient, relative_error  # noqa: E402
from .io import ModelFileError, load, save  # noqa: E402
from .layers import (  # noqa: E402
    Dense,
    Dropout,
    Identity,
    Layer,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .losses import MSE, CrossEntropy, Loss, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy  # noqa: E402
from .metrics import accuracy, confusion_matrix, log_loss, r2_score  # noqa: E402
from .network import Sequential, build_mlp  # noqa: E402
from .optimizers import (  # noqa: E402
    SGD,
    AdaGrad,
    Adam,
    CosineDecay,
    ExponentialDecay,
    InverseScaling,
    Optimizer,
    RMSProp,
    Schedule,
    StepDecay,
)
from .training import DivergenceWarning, History, evaluate, fit, train_step  # noqa: E402

__all__ = [
    "__version__",
    "functional",
    "initializers",
    # layers
    "Layer", "Dense", "Tanh", "Sigmoid", "ReLU", "LeakyReLU", "Softmax", "Dropout", "Identity",
    # losses
    "Loss", "SoftmaxCrossEntropy", "SigmoidBinaryCrossEntropy", "MSE", "CrossEntropy",
    # optimizers and schedules
    "Optimizer", "SGD", "Adam", "RMSProp", "AdaGrad",
    "Schedule", "StepDecay", "ExponentialDecay", "InverseScaling", "CosineDecay",
    # models and training
    "Sequential", "build_mlp", "fit", "train_step", "evaluate", "History", "DivergenceWarning",
    "Callback", "EarlyStopping", "Logger", "ProgressBar", "LambdaCallback",
    # checking, metrics, files
    "gradcheck", "numerical_gradient", "relative_error", "GradcheckResult",
    "accuracy", "confusion_matrix", "log_loss", "r2_score",
    "save", "load", "ModelFileError",

]  # fmt: skip

# Edges load on first use, so ``import nnscratch`` stays NumPy-only and fast.
_LAZY = {
    "MLPClassifier": "estimators",
    "MLPRegressor": "estimators",
    "sweep": "sweeps",
    "SweepResult": "sweeps",
}


def __getattr__(name: str):
    """Load the estimators and ``sweep`` on first use."""
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # later look-ups skip __getattr__
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
