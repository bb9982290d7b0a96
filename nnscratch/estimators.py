"""scikit-learn estimators over the nnscratch core: ``MLPClassifier`` and ``MLPRegressor``.

A drop-in for ``sklearn.neural_network.MLPClassifier`` / ``MLPRegressor``
with the stochastic solvers: the same parameter names and meanings, the same
fitted attributes and, for the same ``random_state``, the same initial
weights, mini-batches, early-stopping split and stopping rule, so the two
train the same network step for step (up to floating-point summation order).

The estimator checks its inputs once (scikit-learn's ``validate_data``, label
encoding with ``LabelBinarizer``) and then calls the pure core: a
``Sequential`` of ``Dense`` layers, a fused loss (``SoftmaxCrossEntropy`` for
several classes, ``SigmoidBinaryCrossEntropy`` for two classes and for
multi-label, ``MSE`` for regression), an nnscratch optimizer and
``nnscratch.training.train_step`` once per mini-batch.

How scikit-learn's objective maps onto the core
------------------------------------------------
scikit-learn minimises, per mini-batch of ``m`` samples,

    mean data loss  +  alpha / (2 m) · Σ_layers ‖W‖²

nnscratch's losses use ``reduction="mean"`` (the mean data loss; the gradient
of every fused loss is ``(output - y) / m``, exactly scikit-learn's delta) and
``Dense(l2=...)`` adds ``l2/2 ‖W‖²`` to the objective and ``l2 · W`` to dW.
So before every step the estimator sets ``l2 = alpha / m`` on each Dense
layer: the gradient is then scikit-learn's ``(Xᵀ δ + alpha W) / m`` term for
term, and biases are not penalised in either. After ``fit`` the layers keep
``l2 = alpha / batch_size``.

Squared error: nnscratch's ``MSE`` is ½ Σ over outputs, mean over samples,
with gradient ``(ŷ - y) / m``, which is what scikit-learn back-propagates.
scikit-learn *reports* ``((y - ŷ)²).mean() / 2`` over all elements, i.e. also
divided by the number of outputs; ``loss_`` and ``loss_curve_`` here are
reported the same way, so they agree with scikit-learn's for multi-output too.

Beyond scikit-learn
-------------------
* ``solver`` also takes ``"rmsprop"`` and ``"adagrad"``; the ``learning_rate``
  schedules ("invscaling", "adaptive") apply to every solver but Adam (as in
  scikit-learn, where they apply to SGD only).
* ``activation`` may be a list, one activation per hidden layer; besides
  scikit-learn's names it takes ``"sigmoid"`` and ``"leaky_relu"``.
* ``dropout``: inverted dropout after every hidden activation, during training only.
* ``weight_init``: None for scikit-learn's scheme (W and b ~ U(-a, a) with
  a = sqrt(6 / (fan_in + fan_out)), 2 instead of 6 for logistic), or any
  nnscratch initializer name / callable for W (biases then start at zero).
* ``validation_loss_curve_`` beside ``validation_scores_`` (with ``early_stopping``).
* ``model_`` is the trained ``nnscratch.Sequential`` (``model_.loss`` set), so
  ``nnscratch.gradcheck``, ``plot_decision_boundary`` and ``nnscratch.save`` work on it.
  ``coefs_`` and ``intercepts_`` are the very arrays of ``model_``, not copies.

Not supported: ``solver="lbfgs"`` (nnscratch trains with mini-batch gradient
methods), sparse input, ``sample_weight`` and scikit-learn's Poisson loss.
Pickle the estimators with joblib (scikit-learn's convention); the network
alone can be saved pickle-free with ``nnscratch.save(est.model_, path)``.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d, gen_batches
from sklearn.utils import shuffle as sk_shuffle
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from . import initializers
from . import layers as L
from . import optimizers as O
from ._validation import cast_finite, check_number, check_output_finite, check_positive_int
from .losses import MSE, Loss, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy
from .network import Sequential
from .training import _gather, train_step

SOLVERS = ("sgd", "adam", "rmsprop", "adagrad")
LEARNING_RATES = ("constant", "invscaling", "adaptive")
_FLOATS = (np.float64, np.float32)


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


class _BaseMLP(BaseEstimator):
    """Shared fit loop of MLPClassifier and MLPRegressor (scikit-learn's stochastic solvers)."""

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        dropout=0.0,
        weight_init=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.weight_init = weight_init

    # ------------------------------------------------------------ parameters
    def _check_params(self) -> tuple[list[int], list[str]]:
        """Validate the constructor arguments (at fit time, as scikit-learn does)."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not _is_bool(sizes):
            sizes = [sizes]
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
            raise TypeError(f"hidden_layer_sizes must be an int or a list of ints, got {sizes!r}")
        sizes = [check_positive_int(h, "each hidden layer size") for h in sizes]
        activation = self.activation
        if isinstance(activation, str):
            activations = [activation] * len(sizes)
        elif isinstance(activation, (list, tuple)):
            activations = list(activation)
            if len(activations) != len(sizes):
                raise ValueError(
                    f"activation lists {len(activations)} activations but there are "
                    f"{len(sizes)} hidden layers; give one per hidden layer or a single name"
                )
        else:
            raise TypeError(f"activation must be a name or a list of names, got {activation!r}")
        for name in activations:
            if not isinstance(name, str) or name not in L.ACTIVATIONS:
                raise ValueError(
                    f"unknown activation {name!r}; expected one of {', '.join(L.ACTIVATIONS)}"
                )
        if self.solver == "lbfgs":
            raise ValueError(
                "solver='lbfgs' is not supported: nnscratch trains with mini-batch gradient "
                f"methods; use one of {', '.join(SOLVERS)}"
            )
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {', '.join(SOLVERS)}, got {self.solver!r}")
        if self.learning_rate not in LEARNING_RATES:
            raise ValueError(
                f"learning_rate must be one of {', '.join(LEARNING_RATES)}, "
                f"got {self.learning_rate!r}"
            )
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            check_positive_int(self.batch_size, "batch_size")
        check_number(self.alpha, "alpha", low=0)
        check_number(self.learning_rate_init, "learning_rate_init", low=0, low_open=True)
        check_number(self.power_t, "power_t", low=0)
        check_positive_int(self.max_iter, "max_iter")
        check_number(self.tol, "tol", low=0)
        check_number(self.momentum, "momentum", low=0, high=1, high_open=True)
        check_number(self.beta_1, "beta_1", low=0, high=1, high_open=True)
        check_number(self.beta_2, "beta_2", low=0, high=1, high_open=True)
        check_number(self.epsilon, "epsilon", low=0, low_open=True)
        check_number(self.dropout, "dropout", low=0, high=1, high_open=True)
        for name in ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping"):
            if not _is_bool(getattr(self, name)):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.early_stopping:
            check_number(
                self.validation_fraction,
                "validation_fraction",
                low=0,
                high=1,
                low_open=True,
                high_open=True,
            )
        if self.n_iter_no_change != np.inf:
            check_positive_int(self.n_iter_no_change, "n_iter_no_change")
        if self.weight_init is not None:
            initializers.get(self.weight_init)  # raises on an unknown name
        return sizes, activations

    # ------------------------------------------------------------ building
    def _build_model(self, layer_units, activations, dtype, random_state) -> Sequential:
        """Dense → activation (→ Dropout) per hidden layer, then the output Dense layer.

        With ``weight_init=None`` every Dense draws W then b from ``random_state``,
        U(-a, a) with scikit-learn's bound, in scikit-learn's order: the same start.
        """
        layers: list[L.Layer] = []
        n_dense = len(layer_units) - 1
        for i in range(n_dense):
            fan_in, fan_out = layer_units[i], layer_units[i + 1]
            # scikit-learn's factor depends on its one activation; per layer here.
            if isinstance(self.activation, str):
                act = self.activation
            else:
                act = activations[min(i, len(activations) - 1)] if activations else "relu"
            if self.weight_init is None:
                factor = 2.0 if act in ("logistic", "sigmoid") else 6.0
                init = initializers.Uniform(math.sqrt(factor / (fan_in + fan_out)))
                weight_init, bias_init = init, init
            else:
                weight_init, bias_init = self.weight_init, "zeros"
            layers.append(
                L.Dense(
                    fan_in,
                    fan_out,
                    weight_init=weight_init,
                    bias_init=bias_init,
                    rng=random_state,
                    dtype=dtype,
                )
            )
            if i < n_dense - 1:
                layers.append(L.activation(activations[i]))
                if self.dropout:
                    layers.append(L.Dropout(self.dropout, rng=random_state))
        return Sequential(*layers, loss=self._make_loss())

    def _make_optimizer(self) -> O.Optimizer:
        lr = self.learning_rate_init
        if self.solver == "sgd":
            nesterov = bool(self.nesterovs_momentum) and self.momentum > 0
            return O.SGD(lr, momentum=self.momentum, nesterov=nesterov)
        if self.solver == "adam":
            return O.Adam(lr, beta1=self.beta_1, beta2=self.beta_2, eps=self.epsilon)
        if self.solver == "rmsprop":
            return O.RMSProp(lr, eps=self.epsilon)
        return O.AdaGrad(lr, eps=self.epsilon)

    def _initialize(self, y2d, layer_units, activations, dtype, random_state) -> None:
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y2d.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._out_activation()
        self.model_ = self._build_model(layer_units, activations, dtype, random_state)
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.validation_loss_curve_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.validation_loss_curve_ = None
            self.best_validation_score_ = None
        self._best_params = self.model_.flat_params.copy()

    # ------------------------------------------------------------ weights
    def _dense_layers(self) -> list[L.Dense]:
        model = self.__dict__.get("model_")
        if model is None:
            raise AttributeError("the weights exist once the estimator is fitted")
        return [layer for layer in model.layers if isinstance(layer, L.Dense)]

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices W (n_in, n_out) per layer: the arrays of ``model_`` themselves.

        A property rather than a copy, so it stays in step with ``model_`` through
        ``partial_fit``, ``warm_start`` and pickling. Assigning a list copies its
        values into the network.
        """
        return [layer.params["W"] for layer in self._dense_layers()]

    @coefs_.setter
    def coefs_(self, values) -> None:
        self._assign("W", values)

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors b (n_out,) per layer: the arrays of ``model_`` themselves."""
        return [layer.params["b"] for layer in self._dense_layers()]

    @intercepts_.setter
    def intercepts_(self, values) -> None:
        self._assign("b", values)

    def _assign(self, key: str, values) -> None:
        layers = self._dense_layers()
        values = list(values)
        if len(values) != len(layers):
            raise ValueError(f"expected {len(layers)} arrays, got {len(values)}")
        for layer, value in zip(layers, values):
            value = np.asarray(value)
            if value.shape != layer.params[key].shape:
                raise ValueError(
                    f"shape {value.shape} does not fit the layer's {layer.params[key].shape}"
                )
            layer.params[key][...] = value

    # ------------------------------------------------------------ training
    def _fit(self, X, y, incremental: bool):
        sizes, activations = self._check_params()
        first_pass = not hasattr(self, "model_") or (not self.warm_start and not incremental)
        # scikit-learn's label checks cast huge integer labels (2**63) and would warn
        with np.errstate(invalid="ignore", over="ignore"):
            X, y = self._validate_input(X, y, incremental, reset=first_pass)
        y2d = y.reshape(-1, 1) if y.ndim == 1 else y
        layer_units = [X.shape[1], *sizes, y2d.shape[1]]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(y2d, layer_units, activations, X.dtype, self._random_state)
        else:
            fitted = [self.model_.n_in] + [layer.n_out for layer in self._dense_layers()]
            if fitted != layer_units:
                raise ValueError(
                    f"warm_start and partial_fit continue the fitted network of layer sizes "
                    f"{fitted}, but the data and hidden_layer_sizes now ask for {layer_units}; "
                    "fit with warm_start=False starts a new one"
                )
        for layer in self.model_.layers:
            if isinstance(layer, L.Dropout):
                layer.rng = self._random_state
        X = cast_finite(X, self.model_.dtype, "X")  # a float32 model: 1e39 is named, not NaN
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            self._fit_stochastic(X, y2d, incremental)
        return self

    def _fit_stochastic(self, X, y2d, incremental: bool) -> None:
        model, loss, optimizer = self.model_, self.model_.loss, self._optimizer
        dense = self._dense_layers()
        rs = self._random_state
        if self.early_stopping:
            stratify = y2d if (self._is_classifier() and self.n_outputs_ == 1) else None
            X_train, X_val, y_train, y_val = train_test_split(
                X, y2d, random_state=rs, test_size=self.validation_fraction, stratify=stratify
            )
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
            target_val = self._loss_target(y_val)
            y_val = self._val_truth(y_val)
        else:
            X_train, y_train = X, y2d
            X_val = y_val = target_val = None
        target = self._loss_target(y_train)
        n_samples = X_train.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. "
                    "It is going to be clipped",
                    stacklevel=3,
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))
        # scikit-learn reports the squared error divided by the number of outputs
        scale = 1.0 / self.n_outputs_ if isinstance(loss, MSE) else 1.0
        schedule = self.solver != "adam"
        sample_idx = np.arange(n_samples)
        buffers: dict = {}
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                if self.shuffle:
                    sample_idx = sk_shuffle(sample_idx, random_state=rs)
                accumulated = 0.0
                for batch in gen_batches(n_samples, batch_size):
                    if self.shuffle:  # gathered into arrays kept from batch to batch, as in fit
                        idx = sample_idx[batch]
                        xb = _gather(X_train, idx, buffers, "X")
                        yb = _gather(target, idx, buffers, "y")
                    else:
                        xb, yb = X_train[batch], target[batch]
                    m = xb.shape[0]
                    for layer in dense:
                        layer.l2 = self.alpha / m
                    penalty = model.penalty()
                    value, _ = train_step(model, loss, optimizer, xb, yb)
                    if not math.isfinite(value):
                        raise ValueError(
                            f"the training loss became {value} in iteration {self.n_iter_ + 1}; "
                            "the input may contain large values and need scaling (StandardScaler) "
                            f"or learning_rate_init={self.learning_rate_init:g} is too large"
                        )
                    accumulated += (value * scale + penalty) * m
                for layer in dense:
                    layer.l2 = self.alpha / batch_size
                self.n_iter_ += 1
                self.loss_ = accumulated / n_samples
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                if self.early_stopping:
                    self.validation_loss_curve_.append(
                        self._validation_loss(X_val, target_val, scale)
                    )
                self._update_no_improvement_count(X_val, y_val)
                if schedule and self.learning_rate == "invscaling":
                    optimizer.lr = O.InverseScaling(self.learning_rate_init, self.power_t)(self.t_)
                if self._no_improvement_count > self.n_iter_no_change:
                    what = "Validation score" if self.early_stopping else "Training loss"
                    msg = (
                        f"{what} did not improve more than tol={self.tol:f} for "
                        f"{self.n_iter_no_change} consecutive epochs."
                    )
                    if self._trigger_stopping(msg, schedule):
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                        "and the optimization hasn't converged yet.",
                        ConvergenceWarning,
                        stacklevel=4,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=4)
        if self.early_stopping:  # put back the weights of the best validation score
            np.copyto(model.flat_params, self._best_params)

    def _trigger_stopping(self, msg: str, schedule: bool) -> bool:
        """scikit-learn's rule: stop, or with "adaptive" divide the learning rate by 5."""
        optimizer = self._optimizer
        if not schedule or self.learning_rate != "adaptive":
            if self.verbose:
                print(msg + " Stopping.")
            return True
        if optimizer.lr <= 1e-6:
            if self.verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        optimizer.lr = optimizer.lr / 5.0
        if self.verbose:
            print(msg + f" Setting learning rate to {optimizer.lr:f}")
        return False

    def _update_no_improvement_count(self, X_val, y_val) -> None:
        if self.early_stopping:
            score = self._score_internal(X_val, y_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params = self.model_.flat_params.copy()
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    def _validation_loss(self, X_val, target_val, scale) -> float:
        """scikit-learn's objective on the validation set as one batch (data loss + penalty)."""
        output = self.model_.forward(X_val)
        data = self.model_.loss.compute(output, target_val) * scale
        squares = sum(float(np.vdot(W, W)) for W in self.coefs_)
        return data + 0.5 * self.alpha * squares / X_val.shape[0]

    # ------------------------------------------------------------ prediction
    def _forward(self, X, check_input: bool = True) -> np.ndarray:
        check_is_fitted(self)
        if check_input:
            X = validate_data(self, X, dtype=_FLOATS, reset=False)
            X = cast_finite(np.asarray(X), self.model_.dtype, "X")
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            output = self.model_.forward(X)
        if check_input:  # a prediction is finite or an error; never NaN handed back
            check_output_finite(output, X, type(self).__name__)
        return output

    def _score_internal(self, X, y) -> float:
        prediction = self._predict(X, check_input=False)
        if prediction.dtype.kind == "f" and not np.isfinite(prediction).all():
            return np.nan
        return float(self._score_function(y, prediction))

    def _more_tags_common(self, tags):
        tags.input_tags.sparse = False
        return tags

    # subclass hooks: _validate_input, _make_loss, _out_activation, _loss_target,
    # _val_truth, _predict, _score_function, _is_classifier


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier on the nnscratch core (scikit-learn's API).

    Multi-class (softmax output, ``out_activation_ = "softmax"``), binary (one
    logistic output) and multi-label (one logistic output per label) targets;
    class labels may be any sortable values, strings included.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        Width of each hidden layer.
    activation : str or list of str, default "relu"
        "identity", "logistic" (= "sigmoid"), "tanh", "relu", "leaky_relu";
        a list gives one activation per hidden layer.
    solver : {"adam", "sgd", "rmsprop", "adagrad"}, default "adam"
        The update rule (nnscratch's ``Adam``, ``SGD``, ``RMSProp``, ``AdaGrad``).
    alpha : float, default 1e-4
        L2 penalty, scaled as scikit-learn: ``alpha / (2 m) · Σ‖W‖²`` per batch of ``m``.
    batch_size : int or "auto", default "auto"
        ``min(200, n_samples)`` for "auto".
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        Schedule for every solver but Adam: "invscaling" uses
        ``learning_rate_init / (t + 1) ** power_t`` with t the samples seen;
        "adaptive" divides the rate by 5 whenever ``n_iter_no_change`` epochs
        bring no improvement of ``tol``, and stops once it is below 1e-6.
    learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose,
    warm_start, momentum, nesterovs_momentum, early_stopping, validation_fraction,
    beta_1, beta_2, epsilon, n_iter_no_change :
        As in scikit-learn. ``max_iter`` counts epochs.
    dropout : float in [0, 1), default 0
        Inverted-dropout rate after every hidden activation (training only).
    weight_init : None, str or callable, default None
        None: scikit-learn's uniform scheme for W and b; otherwise an nnscratch
        initializer ("he_normal", "glorot_uniform", ...) for W, zero biases.

    Attributes
    ----------
    classes_, coefs_, intercepts_, loss_, loss_curve_, best_loss_,
    validation_scores_, best_validation_score_, n_iter_, t_, n_features_in_,
    feature_names_in_, n_layers_, n_outputs_, out_activation_ :
        As in scikit-learn.
    validation_loss_curve_ : list of float or None
        Validation objective per epoch (data loss + penalty) with ``early_stopping``.
    model_ : nnscratch.Sequential
        The trained network; ``model_.loss`` is its loss.
    """

    def _is_classifier(self) -> bool:
        return True

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, multi_output=True, dtype=_FLOATS, reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, "
                        f"`y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        return X, self._label_binarizer.transform(y).astype(bool)

    def _out_activation(self) -> str:
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _make_loss(self) -> Loss:
        if self._label_binarizer.y_type_ == "multiclass":
            return SoftmaxCrossEntropy()
        return SigmoidBinaryCrossEntropy()

    def _loss_target(self, y_indicator: np.ndarray) -> np.ndarray:
        """Class indices for softmax, 0/1 floats for logistic outputs; checked by the loss."""
        dtype = self.model_.dtype
        if isinstance(self.model_.loss, SoftmaxCrossEntropy):
            y = np.argmax(y_indicator, axis=1)
        else:
            y = y_indicator.astype(dtype)
        return self.model_.loss.check_target(y, self.model_.n_out, dtype)

    def _val_truth(self, y_indicator):
        return self._label_binarizer.inverse_transform(y_indicator)

    def _score_function(self, y, prediction):
        return accuracy_score(y, prediction)

    def _probabilities(self, X, check_input=True) -> np.ndarray:
        output = self._forward(X, check_input)
        proba = self.model_.loss.transform(output)
        return proba.ravel() if self.n_outputs_ == 1 else proba

    def _predict(self, X, check_input=True):
        proba = self._probabilities(X, check_input)
        return self._label_binarizer.inverse_transform(proba)

    def fit(self, X, y):
        """Fit the network to X (n_samples, n_features) and class labels y.

        ``y``: labels (n_samples,) of any sortable type, or a 0/1 indicator
        matrix (n_samples, n_labels) for multi-label classification.
        """
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y, classes=None):
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        ``classes`` (every label that will ever occur) is required on the first call.
        """
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, incremental=True)

    def predict(self, X):
        """Predicted class labels (n_samples,), or the indicator matrix for multi-label."""
        return self._predict(X)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n_samples, n_classes), columns in the order of ``classes_``.

        Rows sum to one for binary and multi-class problems; for multi-label each
        column is the probability of its own label.
        """
        proba = self._probabilities(X)
        if proba.ndim == 1:
            return np.vstack([1 - proba, proba]).T
        return proba

    def predict_log_proba(self, X) -> np.ndarray:
        """log(predict_proba(X))."""
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def __sklearn_tags__(self):
        tags = self._more_tags_common(super().__sklearn_tags__())
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor on the nnscratch core (scikit-learn's API).

    Identity output and squared error (nnscratch's ``MSE``); one or several
    outputs. Parameters and attributes as ``MLPClassifier`` (see there), except
    ``classes_``; ``out_activation_`` is "identity".
    """

    def _is_classifier(self) -> bool:
        return False

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self, X, y, multi_output=True, y_numeric=True, dtype=_FLOATS, reset=reset
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _out_activation(self) -> str:
        return "identity"

    def _make_loss(self) -> Loss:
        return MSE()

    def _loss_target(self, y2d: np.ndarray) -> np.ndarray:
        return self.model_.loss.check_target(y2d, self.model_.n_out, self.model_.dtype)

    def _val_truth(self, y2d):
        return y2d

    def _score_function(self, y, prediction):
        return r2_score(y, prediction)

    def _predict(self, X, check_input=True):
        output = self._forward(X, check_input)
        return output.ravel() if output.shape[1] == 1 else output

    def fit(self, X, y):
        """Fit the network to X (n_samples, n_features) and targets y (n_samples[, n_outputs])."""
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y):
        """One epoch over (X, y), continuing from the current weights and optimizer state."""
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        return self._fit(X, y, incremental=True)

    def predict(self, X):
        """Predicted values (n_samples,) or (n_samples, n_outputs)."""
        return self._predict(X)

    def __sklearn_tags__(self):
        tags = self._more_tags_common(super().__sklearn_tags__())
        tags.target_tags.multi_output = True
        return tags


def _check_partial_fit_first_call(estimator, classes) -> bool:
    """True on the first partial_fit call (and set ``classes_``); refuse changed classes."""
    if getattr(estimator, "classes_", None) is None and classes is None:
        raise ValueError("classes must be passed on the first call to partial_fit.")
    if classes is not None:
        if getattr(estimator, "classes_", None) is not None:
            if not np.array_equal(estimator.classes_, unique_labels(classes)):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on last call to partial_fit, "
                    f"was: {estimator.classes_!r}"
                )
        else:
            estimator.classes_ = unique_labels(classes)
            return True
    return False
