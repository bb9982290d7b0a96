"""MLPClassifier / MLPRegressor: scikit-learn conformance, parity with scikit-learn, behaviour.

Imported from ``nnscratch.estimators`` (``import nnscratch`` stays free of scikit-learn).
"""

import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_iris,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import nnscratch as nn
from nnscratch.estimators import MLPClassifier, MLPRegressor

# Most tests stop before convergence on purpose (few epochs keep the suite fast).
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


IRIS = _scaled(load_iris)
CANCER = _scaled(load_breast_cancer)
DIABETES = _scaled(load_diabetes)
MULTILABEL = make_multilabel_classification(n_samples=120, n_classes=3, random_state=0)


# ---------------------------------------------------------------- conformance
# Every scikit-learn estimator check, on the defaults and on the extras (per-layer
# activations, dropout, another initializer, our solvers, schedules). No check is
# marked as expected to fail. Skipped by scikit-learn itself: the pandas and
# array-API checks when those are not installed, and decision_function consistency
# (an MLP has no decision_function, as scikit-learn's). The sample_weight checks
# are not generated: fit takes no sample_weight.
@parametrize_with_checks(
    [
        MLPClassifier(max_iter=100),
        MLPRegressor(max_iter=100),
        MLPClassifier(
            hidden_layer_sizes=(16, 8),
            activation=["tanh", "relu"],
            solver="rmsprop",
            dropout=0.1,
            weight_init="he_normal",
            max_iter=100,
        ),
        MLPRegressor(
            solver="sgd", learning_rate="adaptive", nesterovs_momentum=False, max_iter=100
        ),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ---------------------------------------------------------------- parity with scikit-learn
def _same_fit(ours, theirs, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y)
        theirs.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    for mine, sk in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, sk, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert ours.out_activation_ == theirs.out_activation_
    assert ours.n_layers_ == theirs.n_layers_


PARITY = {
    "adam-multiclass": (IRIS, dict()),
    "sgd-nesterov": (IRIS, dict(solver="sgd", learning_rate_init=0.05)),
    "sgd-momentum-logistic-invscaling": (
        IRIS,
        dict(
            solver="sgd",
            nesterovs_momentum=False,
            activation="logistic",
            learning_rate="invscaling",
            learning_rate_init=0.5,
        ),
    ),
    "sgd-adaptive": (
        IRIS,
        dict(solver="sgd", learning_rate="adaptive", tol=0.01, n_iter_no_change=2),
    ),
    "early-stopping": (IRIS, dict(early_stopping=True, learning_rate_init=0.01)),
    "binary-tanh-alpha": (CANCER, dict(activation="tanh", alpha=0.5, batch_size=64)),
    "multilabel": (MULTILABEL, dict(hidden_layer_sizes=(20, 10))),
}


@pytest.mark.parametrize("name", PARITY)
def test_classifier_trains_exactly_like_scikit_learn(name):
    (X, y), params = PARITY[name]
    kw = dict(hidden_layer_sizes=(10,), max_iter=40, random_state=3) | params
    ours, theirs = MLPClassifier(**kw), SkMLPClassifier(**kw)
    _same_fit(ours, theirs, X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9)
    assert np.array_equal(ours.predict(X), theirs.predict(X))
    if ours.early_stopping:
        np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
        assert ours.best_validation_score_ == theirs.best_validation_score_
    else:
        assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-9)


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_regressor_trains_exactly_like_scikit_learn(n_outputs):
    X, y = DIABETES
    y = y / 100 if n_outputs == 1 else np.c_[y, -0.5 * y] / 100
    kw = dict(hidden_layer_sizes=(16,), alpha=0.1, max_iter=30, random_state=0)
    ours, theirs = MLPRegressor(**kw), SkMLPRegressor(**kw)
    # scikit-learn reports ½·mean over all elements: matched, also for two outputs
    _same_fit(ours, theirs, X, y)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9)


# ---------------------------------------------------------------- behaviour
def test_probabilities_sum_to_one_and_match_predictions():
    X, y = IRIS
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert np.array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))

    Xb, yb = CANCER
    binary = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(Xb, yb)
    pb = binary.predict_proba(Xb)
    assert binary.out_activation_ == "logistic" and binary.model_.n_out == 1
    assert pb.shape == (len(Xb), 2)
    np.testing.assert_allclose(pb.sum(axis=1), 1.0, rtol=1e-12)
    assert np.array_equal(binary.predict(Xb), (pb[:, 1] > 0.5).astype(int))


def test_multilabel_predicts_one_column_per_label():
    X, Y = MULTILABEL
    clf = MLPClassifier(hidden_layer_sizes=(30,), max_iter=300, random_state=0).fit(X, Y)
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape and ((proba > 0) & (proba < 1)).all()
    assert np.array_equal(clf.predict(X), (proba > 0.5).astype(int))
    assert clf.score(X, Y) > 0.6  # exact-match accuracy over all three labels


def test_string_labels_round_trip():
    X, y = IRIS
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=300, random_state=0
    )
    clf.fit(X, names)
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    assert clf.predict(X).dtype.kind == "U"
    assert clf.score(X, names) > 0.9


def test_reproducible_for_a_fixed_random_state():
    X, y = IRIS
    kw = dict(hidden_layer_sizes=(8,), max_iter=30, dropout=0.2)
    a = MLPClassifier(random_state=7, **kw).fit(X, y)
    b = MLPClassifier(random_state=7, **kw).fit(X, y)
    c = MLPClassifier(random_state=8, **kw).fit(X, y)
    for wa, wb in zip(a.coefs_, b.coefs_):
        assert np.array_equal(wa, wb)
    assert a.loss_curve_ == b.loss_curve_
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])
    # predictions are deterministic: dropout acts only while training
    assert np.array_equal(a.predict_proba(X), a.predict_proba(X))


def test_early_stopping_stops_and_keeps_the_best_epoch():
    X, y = CANCER
    clf = MLPClassifier(
        hidden_layer_sizes=(32,),
        learning_rate_init=0.01,
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=500,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # it must stop by itself
        clf.fit(X, y)
    assert clf.n_iter_ < 500
    scores = clf.validation_scores_
    assert len(scores) == len(clf.validation_loss_curve_) == len(clf.loss_curve_) == clf.n_iter_
    assert clf.best_validation_score_ == max(scores)
    # it stopped once n_iter_no_change + 1 epochs in a row brought no gain above tol
    last_gain = max(
        i for i in range(len(scores)) if scores[i] >= max(scores[:i], default=-1) + clf.tol
    )
    assert clf.n_iter_ - 1 - last_gain == clf.n_iter_no_change + 1
    assert all(np.isfinite(clf.validation_loss_curve_)) and clf.best_loss_ is None


def test_training_loss_rule_stops_without_early_stopping():
    X, y = IRIS
    clf = MLPClassifier(hidden_layer_sizes=(8,), tol=0.05, n_iter_no_change=3, max_iter=500)
    clf.set_params(random_state=0).fit(X, y)
    assert clf.n_iter_ < 500
    assert clf.validation_scores_ is None and clf.validation_loss_curve_ is None
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_warm_start_continues_where_fit_stopped():
    X, y = IRIS
    # plain SGD in a fixed order has no state besides the weights, so 10 + 10 epochs
    # of warm start must equal 20 epochs in one go
    kw = dict(hidden_layer_sizes=(8,), solver="sgd", momentum=0.0, shuffle=False, random_state=0)
    once = MLPClassifier(max_iter=20, **kw).fit(X, y)
    twice = MLPClassifier(max_iter=10, warm_start=True, **kw).fit(X, y)
    first_half = list(twice.loss_curve_)
    twice.fit(X, y)
    assert twice.loss_curve_[:10] == first_half and len(twice.loss_curve_) == 20
    np.testing.assert_allclose(twice.loss_curve_, once.loss_curve_, rtol=1e-12)
    for a, b in zip(twice.coefs_, once.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    with pytest.raises(ValueError, match="continue the fitted network"):
        twice.set_params(hidden_layer_sizes=(9,)).fit(X, y)
    # without warm_start a second fit starts over
    cold = MLPClassifier(max_iter=10, **kw).fit(X, y).fit(X, y)
    assert len(cold.loss_curve_) == 10


def test_partial_fit_learns_and_equals_fit_epoch_by_epoch():
    X, y = IRIS
    kw = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.05, shuffle=False)
    clf = MLPClassifier(random_state=0, **kw)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    first = clf.score(X, y)
    for _ in range(29):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 1 and clf.t_ == 30 * len(X)
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]
    assert clf.score(X, y) > max(first, 0.85)
    # 30 partial_fit calls are 30 epochs of fit: the optimizer state carries over
    full = MLPClassifier(random_state=0, max_iter=30, n_iter_no_change=np.inf, **kw).fit(X, y)
    np.testing.assert_allclose(clf.loss_curve_, full.loss_curve_, rtol=1e-12)
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        clf.partial_fit(X, y + 5)


def test_partial_fit_regressor_learns():
    X, y = DIABETES
    reg = MLPRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    scores = []
    for _ in range(40):
        reg.partial_fit(X, y / 100)
        scores.append(reg.score(X, y / 100))
    assert scores[-1] > 0.3 and scores[-1] > scores[0] + 0.3


def test_extras_per_layer_activation_dropout_and_initializer():
    X, y = IRIS
    clf = MLPClassifier(
        hidden_layer_sizes=(12, 6),
        activation=["tanh", "leaky_relu"],
        dropout=0.1,
        weight_init="he_normal",
        learning_rate_init=0.01,
        max_iter=300,
        random_state=0,
    ).fit(X, y)
    kinds = [type(layer).__name__ for layer in clf.model_.layers]
    assert kinds == ["Dense", "Tanh", "Dropout", "Dense", "LeakyReLU", "Dropout", "Dense"]
    assert [w.shape for w in clf.coefs_] == [(4, 12), (12, 6), (6, 3)]
    assert clf.score(X, y) > 0.9
    # he_normal draws W only (biases start at zero): a different start than the default
    default = MLPClassifier(hidden_layer_sizes=(12, 6), max_iter=1, random_state=0).fit(X, y)
    he = MLPClassifier(
        hidden_layer_sizes=(12, 6), weight_init="he_normal", max_iter=1, random_state=0
    ).fit(X, y)
    assert not np.allclose(default.coefs_[0], he.coefs_[0])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(solver="lbfgs"), "lbfgs"),
        (dict(solver="newton"), "solver"),
        (dict(activation=["tanh"], hidden_layer_sizes=(4, 4)), "one per hidden layer"),
        (dict(activation="softplus"), "unknown activation"),
        (dict(weight_init="nope"), "unknown initializer"),
        (dict(dropout=1.0), "dropout"),
        (dict(learning_rate="cyclic"), "learning_rate"),
    ],
)
def test_bad_parameters_are_refused_at_fit(params, match):
    X, y = IRIS
    with pytest.raises(ValueError, match=match):
        MLPClassifier(**params).fit(X, y)


def test_divergence_is_reported_not_hidden():
    X, y = load_diabetes(return_X_y=True)  # unscaled target: a huge step overflows
    reg = MLPRegressor(
        solver="sgd", learning_rate_init=10.0, max_iter=100, n_iter_no_change=100, random_state=0
    )
    with pytest.raises(ValueError, match="learning_rate_init=10 is too large"):
        reg.fit(X, y)


def test_partial_fit_refuses_early_stopping():
    X, y = DIABETES
    with pytest.raises(ValueError, match="early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X, y)


def test_model_is_the_nnscratch_network():
    X, y = IRIS
    clf = MLPClassifier(hidden_layer_sizes=(5,), alpha=0.1, max_iter=50, random_state=0).fit(X, y)
    model = clf.model_
    assert isinstance(model, nn.Sequential) and isinstance(model.loss, nn.SoftmaxCrossEntropy)
    assert clf.coefs_[0] is model.layers[0].params["W"]  # the same arrays, not copies
    np.testing.assert_allclose(model.predict_proba(X), clf.predict_proba(X))
    # the penalty travels with the network: l2 = alpha / batch_size on every Dense
    assert model.layers[0].l2 == pytest.approx(0.1 / len(X))
    result = nn.gradcheck(model, X[:6], y[:6], loss=model.loss)
    assert result.passed, result
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(*DIABETES)
    assert isinstance(reg.model_.loss, nn.MSE) and reg.out_activation_ == "identity"


def test_model_saves_pickle_free(tmp_path):
    X, y = IRIS
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=0).fit(X, y)
    path = nn.save(clf.model_, tmp_path / "iris.npz")
    loaded = nn.load(path)
    np.testing.assert_allclose(loaded.decision_function(X), clf.model_.decision_function(X))


def test_float32_end_to_end():
    X, y = IRIS
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    clf.fit(X.astype(np.float32), y)
    assert clf.model_.dtype == np.float32 and clf.coefs_[0].dtype == np.float32
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float32  # float64 input is cast to the model
    # refitting the float32 network on float64 data it cannot hold: named, not a NaN loss
    huge = X.copy()
    huge[3, 1] = 1e39
    clf.set_params(warm_start=True)
    with pytest.raises(ValueError, match="too large for float32"):
        clf.fit(huge, y)


# ---------------------------------------------------------------- scikit-learn tooling
def test_pipeline_grid_search_and_cross_validation():
    X, y = load_iris(return_X_y=True)  # unscaled: the pipeline scales
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier(learning_rate_init=0.01, max_iter=200, random_state=0)
    )
    grid = GridSearchCV(
        pipe,
        {"mlpclassifier__hidden_layer_sizes": [(4,), (16,)], "mlpclassifier__alpha": [1e-4, 1.0]},
        cv=3,
    )
    grid.fit(X, y)
    assert grid.best_score_ > 0.85
    assert set(grid.best_params_) == {"mlpclassifier__hidden_layer_sizes", "mlpclassifier__alpha"}
    scores = cross_val_score(
        make_pipeline(
            StandardScaler(),
            MLPRegressor(
                hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=200, random_state=0
            ),
        ),
        *load_diabetes(return_X_y=True),
        cv=3,
    )
    assert scores.mean() > 0.3


def test_joblib_pickle_and_clone(tmp_path):
    X, y = IRIS
    clf = MLPClassifier(
        hidden_layer_sizes=(6,), activation=["tanh"], dropout=0.1, max_iter=30, random_state=0
    )
    clf.fit(X, y)
    path = tmp_path / "clf.joblib"
    joblib.dump(clf, path)
    again = joblib.load(path)
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    assert again.coefs_[0] is again.model_.layers[0].params["W"]  # shared arrays survive
    before = again.predict_proba(X)
    again.partial_fit(X, y)  # and it keeps training
    assert not np.allclose(again.predict_proba(X), before)
    np.testing.assert_array_equal(clf.predict_proba(X), joblib.load(path).predict_proba(X))
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and not hasattr(copy, "model_")


# ---------------------------------------------------------------- real data example
def test_real_data_example_smoke():
    from nnscratch.examples import real_data

    rows = real_data.main(seeds=(0,), datasets=("iris",), quiet=True)
    assert len(rows) == 1 and rows[0]["dataset"] == "iris"
    assert rows[0]["nnscratch_mean"] > 0.8 and rows[0]["sklearn_mean"] > 0.8
    assert "| iris |" in real_data.markdown_table(rows)


def test_as_accurate_as_scikit_learn_on_breast_cancer():
    from nnscratch.examples import real_data

    (row,) = real_data.main(seeds=(0, 1, 2), datasets=("breast_cancer",), quiet=True)
    noise = max(row["nnscratch_std"], row["sklearn_std"], 0.01)
    assert row["nnscratch_mean"] >= row["sklearn_mean"] - 2 * noise
