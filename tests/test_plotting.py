"""Pictures: what is drawn, checked by its values (contours, titles, widths, frames, files)."""

import subprocess
import sys

import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex
from matplotlib.contour import ContourSet
from matplotlib.image import AxesImage
from PIL import Image
from sklearn.linear_model import LogisticRegression

import nnscratch as nn
from nnscratch import plotting as P
from nnscratch.datasets import make_moons


@pytest.fixture(scope="module")
def moons():
    return make_moons(60, noise=0.2, random_state=0)


class SigmoidStub:
    """One sigmoid output, P(class 1) = σ(4 (x₁ - 0.3)): the boundary is the line x₁ = 0.3."""

    def predict_proba(self, X):
        return 1.0 / (1.0 + np.exp(-4.0 * (X[:, :1] - 0.3)))

    def predict(self, X):
        return (X[:, 0] > 0.3).astype(int)


class ThreeSectors:
    """Three classes by the sign of x₁ and x₂ (no predict: argmax of predict_proba is used)."""

    def predict_proba(self, X):
        labels = np.where(X[:, 0] < 0, 0, np.where(X[:, 1] < 0, 1, 2))
        proba = np.full((len(X), 3), 0.1)
        proba[np.arange(len(X)), labels] = 0.8
        return proba


def _contours(ax, filled=False):
    return [c for c in ax.collections if isinstance(c, ContourSet) and c.filled == filled]


def _boundary_vertices(ax, level=0.5):
    lines = [c for c in _contours(ax) if list(c.levels) == [level]]
    assert len(lines) == 1, "one boundary contour at the requested level"
    vertices = np.vstack([p.vertices for p in lines[0].get_paths() if len(p.vertices)])
    assert len(vertices) > 10
    return vertices


# ---------------------------------------------------------------- data and boundaries


def test_plot_data_one_scatter_per_class(moons):
    X, y = moons
    ax = P.plot_data(X, y, title="moons")
    assert ax.get_title() == "moons"
    assert len(ax.collections) == 2
    for cls, points in enumerate(ax.collections):
        np.testing.assert_array_equal(points.get_offsets(), X[y == cls])
        assert to_hex(points.get_facecolors()[0]) == P.CLASS_COLORS[cls]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]


def test_boundary_of_logistic_regression_is_its_line(moons):
    X, y = moons
    clf = LogisticRegression().fit(X, y)
    ax = P.plot_decision_boundary(clf, X, y, title="logistic regression")
    vertices = _boundary_vertices(ax)
    w, b = clf.coef_[0], clf.intercept_[0]
    distance = np.abs(vertices @ w + b) / np.linalg.norm(w)
    assert distance.max() < 0.02  # on the line w·x + b = 0, up to the grid step
    shading = _contours(ax, filled=True)
    assert len(shading) == 1 and shading[0].levels[0] == 0 and shading[0].levels[-1] == 1
    assert ax.get_title() == "logistic regression"
    # the points are drawn over the shading, in their class colours with dark edges
    points = [c for c in ax.collections if not isinstance(c, ContourSet)]
    assert [len(p.get_offsets()) for p in points] == [np.sum(y == 0), np.sum(y == 1)]
    assert all(to_hex(p.get_edgecolors()[0]) == P.EDGE_COLOR for p in points)
    assert min(p.get_zorder() for p in points) > max(c.get_zorder() for c in _contours(ax))
    # the legend sits outside the axes, so it covers no data
    legend = ax.get_legend()
    assert legend.get_bbox_to_anchor().bounds[0] >= ax.bbox.bounds[0] + ax.bbox.bounds[2]
    assert len(ax.figure.axes) == 2  # the plot and its colour bar


def test_boundary_of_single_sigmoid_output(moons):
    X, y = moons
    ax = P.plot_decision_boundary(SigmoidStub(), X, y, colorbar=False, legend=False)
    np.testing.assert_allclose(_boundary_vertices(ax)[:, 0], 0.3, atol=0.02)
    assert ax.get_legend() is None and len(ax.figure.axes) == 1


def test_boundary_of_an_nnscratch_sigmoid_network(moons):
    X, y = moons
    model = nn.build_mlp(2, [4], 1, activation="tanh", rng=0)
    nn.fit(model, nn.SigmoidBinaryCrossEntropy(), nn.Adam(lr=0.05), X, y, epochs=200)
    ax = P.plot_decision_boundary(model, X, y)
    vertices = _boundary_vertices(ax)
    np.testing.assert_allclose(model.predict_proba(vertices)[:, 0], 0.5, atol=0.02)


def test_boundary_with_three_classes_and_test_points():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(40, 2))
    y = ThreeSectors().predict_proba(X).argmax(axis=1)
    X_test = rng.uniform(-1, 1, size=(9, 2)) * 1.5
    y_test = ThreeSectors().predict_proba(X_test).argmax(axis=1)
    ax = P.plot_decision_boundary(ThreeSectors(), X, y, X_test=X_test, y_test=y_test)
    lines = _contours(ax)
    assert len(lines) == 1 and list(lines[0].levels) == [0.5, 1.5]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [f"class {k} (train)" for k in range(3)] + [
        f"class {k} (test)" for k in np.unique(y_test)
    ]
    lo, hi = ax.get_xlim()
    assert lo <= X_test[:, 0].min() and hi >= X_test[:, 0].max()  # test points in view


def test_boundary_refuses_bad_input(moons):
    X, y = moons
    with pytest.raises(TypeError, match="predict_proba"):
        P.plot_decision_boundary(object(), X, y)
    with pytest.raises(ValueError, match="features"):
        P.plot_decision_boundary(SigmoidStub(), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="one label per point"):
        P.plot_decision_boundary(SigmoidStub(), X, y[:-1])


# ---------------------------------------------------------------- grids


def test_model_grid_panels_and_accuracies(moons):
    X, y = moons
    clf = LogisticRegression().fit(X, y)
    expected = float(np.mean(clf.predict(X) == y))
    fig = P.plot_model_grid(
        {"logistic": clf, "x1 > 0.3": SigmoidStub(), "given": (ThreeSectors(), 0.5)},
        X,
        y,
        ncols=2,
        title="comparison",
    )
    panels = fig.axes
    assert len(panels) == 3  # the fourth cell of the 2 x 2 grid is removed, no colour bars
    titles = [ax.get_title() for ax in panels]
    stub_accuracy = float(np.mean((X[:, 0] > 0.3) == y))
    assert titles == [
        f"logistic\naccuracy {expected:.3f}",
        f"x1 > 0.3\naccuracy {stub_accuracy:.3f}",
        "given\naccuracy 0.500",
    ]
    assert fig.get_suptitle() == "comparison"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["class 0", "class 1"]
    assert all(len(_contours(ax)) == 1 for ax in panels)
    with pytest.raises(TypeError, match="models"):
        P.plot_model_grid({}, X, y)


class RegressionStub:
    """A squared-error network read as P(class 1): outputs leave [0, 1], predict gives floats."""

    def predict_proba(self, X):
        return 2.0 * X[:, :1]

    def predict(self, X):
        return 2.0 * X[:, 0]


def test_model_grid_with_a_regression_output(moons):
    X, y = moons
    fig = P.plot_model_grid({"mse": RegressionStub()}, X, y)
    expected = float(np.mean((2.0 * X[:, 0] > 0.5) == y))  # thresholded at 0.5
    assert fig.axes[0].get_title() == f"mse\naccuracy {expected:.3f}"
    np.testing.assert_allclose(_boundary_vertices(fig.axes[0])[:, 0], 0.25, atol=0.02)


# ---------------------------------------------------------------- loss curves


def _history():
    history = nn.History()
    for epoch in range(5):
        history.append(
            epoch,
            {
                "loss": 2.0 / (epoch + 1) + 0.1,
                "data_loss": 2.0 / (epoch + 1),
                "penalty": 0.1,
                "accuracy": 0.5 + 0.1 * epoch,
                "val_loss": 2.5 / (epoch + 1),
                "val_accuracy": 0.4 + 0.1 * epoch,
            },
        )
    return history


def test_loss_curve_draws_every_series():
    history = _history()
    ax = P.plot_loss_curve(history, log_scale=True, title="training")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"training loss", "validation loss", "data loss", "L2 penalty"}
    np.testing.assert_allclose(lines["training loss"].get_ydata(), history["loss"])
    np.testing.assert_allclose(lines["validation loss"].get_ydata(), history["val_loss"])
    np.testing.assert_allclose(lines["L2 penalty"].get_ydata(), 0.1)
    np.testing.assert_array_equal(lines["training loss"].get_xdata(), [0, 1, 2, 3, 4])
    assert ax.get_yscale() == "log"
    twin = [a for a in ax.figure.axes if a is not ax]
    assert len(twin) == 1
    acc = {line.get_label(): line.get_ydata() for line in twin[0].get_lines()}
    np.testing.assert_allclose(acc["training accuracy"], history["accuracy"])
    np.testing.assert_allclose(acc["validation accuracy"], history["val_accuracy"])
    assert len(ax.get_legend().get_texts()) == 6
    assert ax.get_title() == "training"


def test_loss_curve_of_a_list_and_without_components():
    ax = P.plot_loss_curve([3.0, 2.0, 1.5])
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), [3.0, 2.0, 1.5])
    assert ax.get_yscale() == "linear" and len(ax.figure.axes) == 1
    ax = P.plot_loss_curve(_history(), components=False)
    assert {line.get_label() for line in ax.get_lines()} == {"training loss", "validation loss"}
    with pytest.raises(ValueError, match="loss"):
        P.plot_loss_curve([])


def test_loss_curve_of_a_real_fit(moons):
    X, y = moons
    model = nn.build_mlp(2, [3], 2, activation="tanh", l2=0.01, rng=0)
    history = nn.fit(model, nn.SoftmaxCrossEntropy(), nn.SGD(lr=0.1), X, y, epochs=30)
    ax = P.plot_loss_curve(history)
    lines = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    np.testing.assert_allclose(lines["data loss"] + lines["L2 penalty"], lines["training loss"])


# ---------------------------------------------------------------- the network


def test_network_diagram_widths_follow_weights():
    model = nn.build_mlp(2, [3], 2, activation="tanh", rng=0)
    ax = P.plot_network(model, max_width=6.0)
    links = {c.get_gid(): c for c in ax.collections if isinstance(c, LineCollection)}
    assert set(links) == {"weights-0", "weights-1"}
    biggest = max(np.abs(model[0].W).max(), np.abs(model[2].W).max())
    for gid, W in (("weights-0", model[0].W), ("weights-1", model[2].W)):
        widths = np.asarray(links[gid].get_linewidths())
        assert len(widths) == W.size
        np.testing.assert_allclose(widths, 6.0 * np.abs(W).ravel() / biggest)
        assert np.array_equal(np.argsort(widths), np.argsort(np.abs(W).ravel()))
        colours = [to_hex(c) for c in links[gid].get_colors()]
        expected = [P.POSITIVE_COLOR if w >= 0 else P.NEGATIVE_COLOR for w in W.ravel()]
        assert colours == expected
        segments = links[gid].get_segments()  # from input i to output j, row by row
        assert segments[1][0].tolist() == segments[0][0].tolist()
    neurons = [c for c in ax.collections if not isinstance(c, LineCollection)]
    assert [len(c.get_offsets()) for c in neurons] == [2, 3, 2]
    captions = [t.get_text() for t in ax.texts if "\n" in t.get_text()]
    assert captions == ["input\n2", "hidden\n3\ntanh", "output\n2"]


# ---------------------------------------------------------------- activation maps


def test_activation_maps_show_each_hidden_neuron(moons):
    X, y = moons
    model = nn.build_mlp(2, [3], 2, activation="tanh", rng=0)
    extent = (-2.0, 3.0, -1.5, 2.0)
    fig = P.plot_activation_maps(model, X, y=y, resolution=40, extent=extent)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 3
    xx, yy = np.meshgrid(np.linspace(-2, 3, 40), np.linspace(-1.5, 2, 40))
    grid = np.c_[xx.ravel(), yy.ravel()]
    expected = np.tanh(grid @ model[0].W + model[0].b)
    for j, image in enumerate(images):
        assert isinstance(image, AxesImage)
        np.testing.assert_allclose(image.get_array(), expected[:, j].reshape(40, 40))
        assert tuple(image.get_extent()) == extent
        assert image.axes.get_title() == f"neuron {j + 1}"
    assert len(fig.axes) == 4  # three panels and one shared colour bar
    assert "tanh" in fig.axes[-1].get_ylabel()


def test_activation_maps_of_a_deeper_layer_and_errors():
    model = nn.build_mlp(2, [3, 5], 2, activation=["relu", "sigmoid"], rng=1)
    fig = P.plot_activation_maps(model, layer=1, resolution=10, ncols=3)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 5
    z, a = P.hidden_activations(model, np.array([[0.5, -1.0]]), layer=1)
    relu = np.maximum(np.array([[0.5, -1.0]]) @ model[0].W + model[0].b, 0)
    np.testing.assert_allclose(z, relu @ model[2].W + model[2].b)
    np.testing.assert_allclose(a, 1 / (1 + np.exp(-z)))
    with pytest.raises(ValueError, match="0..1"):
        P.plot_activation_maps(model, layer=2)
    with pytest.raises(ValueError, match="2 inputs"):
        P.plot_activation_maps(nn.build_mlp(3, [2], 2, rng=0))


# ---------------------------------------------------------------- the film


def test_frame_epochs():
    marks = P._frame_epochs(1000, 10, "log")
    assert len(marks) == 10 and marks[-1] == 1000 and marks[0] == 1
    assert np.all(np.diff(marks) > 0)
    assert P._frame_epochs(5, 10, "log").tolist() == [1, 2, 3, 4, 5]
    assert P._frame_epochs(100, 4, "linear").tolist() == [25, 50, 75, 100]
    with pytest.raises(ValueError, match="spacing"):
        P._frame_epochs(10, 3, "cubic")


def test_animate_training_writes_a_gif(tmp_path, moons):
    X, y = moons
    make = lambda: nn.build_mlp(2, [3], 2, activation="tanh", rng=0)  # noqa: E731
    model = make()
    path = tmp_path / "film" / "moons.gif"
    history = P.animate_training(
        model, nn.SoftmaxCrossEntropy(), nn.SGD(lr=0.5), X, y, path, epochs=12, frames=5
    )
    assert len(history) == 12
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 5
    assert [p.name for p in path.parent.iterdir()] == ["moons.gif"]  # no temporary files left
    # recording does not change training: same weights as a plain fit
    with pytest.raises(TypeError, match="epochs"):
        P.animate_training(
            make(), nn.SoftmaxCrossEntropy(), nn.SGD(), X, y, path, epochs=2,
            fit_kwargs={"epochs": 3},
        )  # fmt: skip
    plain = make()
    nn.fit(plain, nn.SoftmaxCrossEntropy(), nn.SGD(lr=0.5), X, y, epochs=12)
    for a, b in zip(model.parameters(), plain.parameters()):
        np.testing.assert_array_equal(a, b)


def test_recorder_keeps_the_epoch_where_training_stopped(tmp_path, moons):
    X, y = moons
    model = nn.build_mlp(2, [3], 2, activation="tanh", rng=0)
    recorder = P.BoundaryRecorder(X, y, frame_epochs=[10, 20])
    stop = nn.EarlyStopping("loss", patience=None, threshold=10.0)  # stops after epoch 1
    nn.fit(
        model, nn.SoftmaxCrossEntropy(), nn.SGD(lr=0.1), X, y, epochs=20, callbacks=[stop, recorder]
    )
    assert [frame[0] for frame in recorder.frames] == [0, 1]
    np.testing.assert_allclose(
        recorder.frames[-1][1], model.predict_proba(np.c_[recorder.xx.ravel(), recorder.yy.ravel()])
    )
    path = recorder.save_gif(tmp_path / "short.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == 2
    with pytest.raises(RuntimeError, match="nothing recorded"):
        P.BoundaryRecorder(X, y, frame_epochs=[1]).save_gif(tmp_path / "empty.gif")


# ---------------------------------------------------------------- files and imports


def test_save_figure_writes_a_png(tmp_path, moons):
    X, y = moons
    ax = P.plot_data(X, y)
    path = P.save_figure(ax.figure, tmp_path / "sub" / "data.png", dpi=50)
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert (width, height) == (round(6.4 * 50), round(5.2 * 50))
    assert [p.name for p in path.parent.iterdir()] == ["data.png"]
    assert path.stat().st_mode & 0o777 == 0o644


def test_plotting_never_uses_pyplot():
    code = (
        "import sys, numpy as np; from nnscratch import plotting as P;"
        "P.plot_data(np.zeros((3, 2)), [0, 1, 0]);"
        "print('matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
