"""Metrics against scikit-learn's."""

import numpy as np
import pytest
from sklearn import metrics as skm

import nnscratch as nn

RNG = np.random.RandomState(0)
LABELS = RNG.randint(0, 3, 40)
PRED = np.where(RNG.rand(40) < 0.7, LABELS, RNG.randint(0, 3, 40))


def test_accuracy_and_confusion_matrix_match_scikit_learn():
    assert nn.accuracy(LABELS, PRED) == skm.accuracy_score(LABELS, PRED)
    assert np.array_equal(nn.confusion_matrix(LABELS, PRED), skm.confusion_matrix(LABELS, PRED))
    # n_classes adds the rows and columns of classes absent from both arrays
    three = nn.confusion_matrix([0, 0], [0, 0], n_classes=3)
    assert three.tolist() == [[2, 0, 0], [0, 0, 0], [0, 0, 0]]
    assert np.array_equal(three, skm.confusion_matrix([0, 0], [0, 0], labels=[0, 1, 2]))
    by_hand = [
        [0, 1, 0, 0],
        [0, 0, 0, 0],
        [1, 0, 2, 0],
        [0, 0, 0, 0],
    ]  # row: true, column: predicted
    assert nn.confusion_matrix([0, 2, 2, 2], [1, 0, 2, 2], n_classes=4).tolist() == by_hand


def test_multilabel_accuracy_is_subset_accuracy():
    y = np.array([[1, 0], [1, 1], [0, 1]])
    p = np.array([[1, 0], [1, 0], [0, 1]])
    assert nn.accuracy(y, p) == skm.accuracy_score(y, p) == pytest.approx(2 / 3)


def test_log_loss_matches_scikit_learn():
    proba = RNG.dirichlet(np.ones(3), 40)
    assert nn.log_loss(LABELS, proba) == pytest.approx(skm.log_loss(LABELS, proba), rel=1e-12)
    binary = RNG.rand(40)
    yb = (RNG.rand(40) > 0.5).astype(int)
    assert nn.log_loss(yb, binary) == pytest.approx(skm.log_loss(yb, binary), rel=1e-12)
    assert np.isfinite(nn.log_loss([0, 1], [[1.0, 0.0], [1.0, 0.0]]))  # never log(0)


def test_r2_matches_scikit_learn():
    y = RNG.randn(30, 2)
    p = y + 0.3 * RNG.randn(30, 2)
    assert nn.r2_score(y, p) == pytest.approx(skm.r2_score(y, p), rel=1e-12)
    assert nn.r2_score([1, 1, 1], [1, 1, 1]) == 1.0
    assert nn.r2_score([1, 1, 1], [1, 1, 2]) == 0.0


def test_bad_metric_input():
    with pytest.raises(ValueError, match="labels"):
        nn.log_loss([0, 5], [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match="integer labels"):
        nn.confusion_matrix([0.5], [0])
    with pytest.raises(ValueError, match="empty"):
        nn.accuracy([], [])
