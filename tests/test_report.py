"""nn.report: one self-contained HTML page, checked as text and in a real headless browser."""

from __future__ import annotations

import base64
import io
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import nnscratch as nn

pytest.importorskip("matplotlib", reason="the report's pictures need matplotlib")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _images(n_per_class: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """4×4 'images' of three classes: a bright row, a bright column, a bright diagonal."""
    rng = np.random.default_rng(seed)
    templates = np.zeros((3, 4, 4), np.float32)
    templates[0, 1, :] = templates[1, :, 2] = 1.0
    templates[2][np.eye(4, dtype=bool)] = 1.0
    y = np.repeat(np.arange(3), n_per_class)
    x = templates[y] + 0.6 * rng.standard_normal((len(y), 4, 4)).astype(np.float32)
    return x.reshape(len(y), 16), y


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, nn.Sequential]:
    x, y = _images()
    model = nn.Sequential(nn.Dense(16, 8, rng=0), nn.ReLU(), nn.Dense(8, 3, rng=1))
    model.use(nn.SoftmaxCrossEntropy(), nn.SGD(0.2))
    model.fit(x, y, epochs=4, batch_size=16, seed=0, verbose=0, validation_split=0.25,
              callbacks=[nn.callbacks.LayerStats()])
    x_test, y_test = _images(20, seed=1)
    path = tmp_path_factory.mktemp("report") / "sub" / "report.html"
    out = nn.report(model, None, x_test, y_test, path, settings={"dataset": "bars & <lines>"},
                    class_names=["row", "column", "diagonal"])
    assert out == path
    return path, model


def test_the_page_is_self_contained_with_every_section(written):
    path, model = written
    text = path.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>")
    for heading in ("Settings", "Model", "Training history", "Test results",
                    "Misclassified samples", "First layer&#x27;s weights", "Layer statistics",
                    "Timing"):
        assert f">{heading}</h2>" in text
    assert "bars &amp; &lt;lines&gt;" in text  # the user's text is escaped
    assert "<script" not in text and "<link" not in text
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", text)  # nothing fetched
    pngs = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    # the model, history, confusion matrix, misclassified samples, weights, layer stats
    assert len(pngs) == text.count("<img") == 6
    assert all(base64.b64decode(p)[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert f"{model.evaluate(*_images(20, seed=1))['accuracy']:.4g}" in text
    assert "layers.0.W" in text and "dead fraction" in text


def test_inputs_that_are_not_images_get_a_note_not_a_failure(tmp_path):
    x, y = nn.make_spirals(30, 3, rng=0)
    model = nn.Sequential(nn.Dense(2, 3, rng=0)).use(nn.SoftmaxCrossEntropy(), nn.SGD(0.1))
    model.fit(x, y, epochs=1, verbose=0)
    text = nn.report(model, model.history, x, y, tmp_path / "r.html").read_text("utf-8")
    assert "no picture of misclassified samples (the inputs are not images)" in text
    assert "not recorded: pass nn.callbacks.LayerStats() to fit" in text
    with pytest.raises(ValueError, match=r"samples but x has"):
        nn.report(model, None, x, y[:10], tmp_path / "bad.html")


def _browser():  # type: ignore[no-untyped-def]
    webdriver = pytest.importorskip("selenium.webdriver",
                                    reason="the browser test drives Chromium with Selenium")
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("no Chromium and chromedriver (Debian: apt-get install chromium "
                    "chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1100,1400"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except Exception as err:  # a browser that cannot start here is a skip, with its reason
        pytest.skip(f"Chromium did not start: {str(err).splitlines()[0]}")


def test_the_page_in_a_headless_browser(written):
    path, _ = written
    driver = _browser()
    try:
        driver.get(path.resolve().as_uri())
        assert driver.title.startswith("nnscratch report: Sequential(Dense(16→8)")
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        assert len(images) == 6
        assert all(done and width > 0 for done, width in images), images  # each decodes
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert errors == []
        png = driver.get_screenshot_as_png()
    finally:
        driver.quit()
    import matplotlib.image

    shot = matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3]  # (H, W, 3)
    assert shot.shape[0] > 500
    dark = (shot.mean(axis=2) < 0.5).mean()
    assert shot.std() > 0.05 and dark > 0.005, "the screenshot is blank"


def test_cli_train_report(tmp_path, capsys):
    pytest.importorskip("sklearn", reason="the default digits set ships with scikit-learn")
    from nnscratch.cli import main

    out = tmp_path / "run"
    assert main(["train", "--epochs", "2", "--out", str(out), "--quiet", "--report"]) == 0
    assert f"{out / 'report.html'}" in capsys.readouterr().out
    text = (out / "report.html").read_text("utf-8")
    assert ">dataset</td><td>digits</td>" in text and "layers.0.W" in text
    assert text.count("data:image/png;base64,") == 6



def test_cli_report_path_is_optional():
    from nnscratch.cli import build_parser

    parse = build_parser().parse_args
    assert parse(["train"]).report is None
    assert parse(["train", "--report"]).report == ""  # OUT/report.html
    assert parse(["train", "--report", "r.html"]).report == "r.html"
