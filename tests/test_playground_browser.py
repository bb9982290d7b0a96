"""The playground end to end, in a real headless Chromium driven by Playwright for Python.

The browser is the system's (Debian's ``chromium`` package, /usr/bin/chromium,
or NNSCRATCH_CHROMIUM); Playwright never downloads one here. Without it these
tests are skipped with a message saying how to install it, unless
NNSCRATCH_REQUIRE_BROWSER=1 (CI sets it), which turns the skip into a failure.
NNSCRATCH_SCREENSHOTS=folder keeps the screenshots.
"""

from __future__ import annotations

import contextlib
import io
import os
import runpy
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest

import nnscratch as nn
from nnscratch.playground.server import Registry, make_server

CHROMIUM = os.environ.get("NNSCRATCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("NNSCRATCH_REQUIRE_BROWSER") == "1"
INSTALL = (
    "to run these tests, install Chromium (`apt-get install chromium` on Debian/Ubuntu, or "
    "set NNSCRATCH_CHROMIUM to a Chromium binary) and Playwright for Python "
    "(`pip install -e '.[test]'`); no `playwright install` is needed"
)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"Playwright for Python is not installed; {INSTALL}"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM}; {INSTALL}"
    return None


@pytest.fixture(scope="module")
def browser():
    why = _unavailable()
    if why:
        if REQUIRED:
            pytest.fail(f"NNSCRATCH_REQUIRE_BROWSER=1 but {why}", pytrace=False)
        pytest.skip(f"browser tests skipped: {why}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server():
    srv = make_server("127.0.0.1", 0, registry=Registry())
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 980}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(15_000)
    page.errors = errors
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("NNSCRATCH_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a real picture, not a blank page
    return path


def open_page(page, server, fragment: str = ""):
    page.goto(server.url + fragment)
    page.wait_for_selector("body[data-ready='1']")


def snap(page, key):
    return page.evaluate(f"window.playground.snap.{key}")


def boundary_pixels(page) -> str:
    return page.evaluate("document.getElementById('boundary').toDataURL()")


# ---------------------------------------------------------------- tests
def test_train_watch_the_loss_fall_and_the_boundary_change(page, server, tmp_path):
    open_page(page, server)
    assert page.locator("#epoch").inner_text() == "000,000"
    assert page.locator("#net .node[data-layer='1']").count() == 6  # default 6-4 network
    first_loss = snap(page, "metrics.test_loss")
    first_picture = boundary_pixels(page)
    page.click("#play")
    page.wait_for_function("window.playground.snap.epoch >= 60")
    page.click("#play")  # pause
    page.wait_for_function("!window.playground.playing && !window.playground.polling")
    epoch = snap(page, "epoch")
    assert snap(page, "metrics.test_loss") < 0.5 * first_loss
    assert snap(page, "metrics.test_acc") > 0.85
    assert boundary_pixels(page) != first_picture
    assert page.evaluate("window.playground.history.epoch.length") >= 10  # the curves grew
    shown = page.locator("#epoch").inner_text().replace(",", "")
    assert int(shown) == epoch
    assert float(page.locator("#test-loss").inner_text()) == pytest.approx(
        snap(page, "metrics.test_loss"), abs=1e-3
    )
    time.sleep(0.4)  # paused means paused
    assert (
        page.evaluate(
            "fetch(location.pathname + 'api/sessions/' + window.playground.session)"
            ".then(r => r.json()).then(s => s.epoch)"
        )
        == epoch
    )
    # one step is one epoch
    page.click("#step")
    page.wait_for_function(f"window.playground.snap.epoch === {epoch + 1}")
    # hovering a neuron shows its heatmap in the big picture
    before = boundary_pixels(page)
    page.hover("#net .node[data-layer='1'][data-index='0']")
    assert boundary_pixels(page) != before
    page.mouse.move(5, 5)
    shot(page, "playground-moons", tmp_path)


def test_controls_change_the_experiment_and_the_url_shares_it(page, server, browser, tmp_path):
    open_page(page, server)
    page.click("#datasets button[data-dataset='spirals']")
    page.wait_for_function("window.playground.config.dataset === 'spirals'")
    page.locator("#classes").fill("4")
    page.locator("#classes").dispatch_event("change")
    page.wait_for_function("window.playground.data.classes === 4")
    page.click("#add-layer")
    page.wait_for_function("window.playground.config.layers.length === 3")
    page.click("#net button[data-action='add-neuron'][data-layer='2']")
    page.wait_for_function("window.playground.config.layers[2].units === 3")
    page.select_option("#net select.activation[data-layer='0']", "relu")
    page.wait_for_function("window.playground.config.layers[0].activation === 'relu'")
    page.click("#net .node.feature[data-feature='sin1']")
    page.wait_for_function("window.playground.config.features.includes('sin1')")
    page.select_option("#learning_rate", "0.01")
    page.select_option("#regularization", "l2")
    page.select_option("#reg_rate", "0.001")
    page.wait_for_function("window.playground.config.reg_rate === 0.001")
    config = page.evaluate("window.playground.config")
    assert config["learning_rate"] == 0.01 and config["regularization"] == "l2"
    assert page.locator("#net .node[data-layer='3']").count() == 3
    assert snap(page, "network.sizes") == [3, 6, 4, 3, 4]
    url = page.url
    assert "dataset=spirals" in url and "sin1" in unquote(url)
    # the model trains on the new experiment
    page.click("#play")
    page.wait_for_function("window.playground.snap.epoch >= 20")
    page.click("#play")
    shot(page, "playground-spirals", tmp_path)
    # a fresh page opened on the link rebuilds the same experiment
    other = browser.new_page()
    try:
        other.goto(url)
        other.wait_for_selector("body[data-ready='1']")
        assert other.evaluate("window.playground.config") == config
        assert other.evaluate("window.playground.snap.epoch") == 0
    finally:
        other.close()


def test_download_the_model_and_the_script(page, server, tmp_path, monkeypatch):
    open_page(page, server, "#dataset=circles&features=x1,x2,x1sq,x2sq&layers=4:tanh")
    for _ in range(3):
        page.click("#step")
    page.wait_for_function("window.playground.snap.epoch === 3")
    session = page.evaluate("window.playground.session")
    with page.expect_download() as info:
        page.click("#download-model")
    download = info.value
    assert download.suggested_filename == "playground-circles-epoch3.npz"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    model = nn.load(path)
    assert model.metadata["epoch"] == 3
    assert model.metadata["playground"] == page.evaluate("window.playground.config")
    live = server.registry.get(session).experiment.model
    for saved, current in zip(model.parameters(), live.parameters()):
        np.testing.assert_array_equal(saved, current)

    with page.expect_download() as info:
        page.click("#download-script")
    script = tmp_path / info.value.suggested_filename
    info.value.save_as(script)
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()):
        namespace = runpy.run_path(str(script), run_name="__main__")
    for mine, saved in zip(namespace["model"].parameters(), model.parameters()):
        np.testing.assert_array_equal(mine, saved)


def test_a_bad_link_is_refused_with_a_message_and_the_page_still_works(page, server):
    open_page(page, server, "#n_points=999999&layers=99:tanh")
    error = page.locator("#error-text")
    assert error.is_visible()
    assert "n_points" in error.inner_text() and "defaults" in error.inner_text()
    assert page.evaluate("window.playground.config.n_points") == 300
    page.click("#error-close")
    page.click("#step")
    page.wait_for_function("window.playground.snap.epoch === 1")
