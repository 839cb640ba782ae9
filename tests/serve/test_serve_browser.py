"""One real browser (headless Debian chromium through Selenium) on the served page: upload a
photo-like picture, move the azimuth slider, and the new view changes at the right size."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from novelview.serve import EXAMPLES, VIEW_SCALE

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOT_COPY = os.environ.get("NOVELVIEW_SCREENSHOT")  # set to save the screenshot for the docs


@pytest.fixture
def browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: pip install -e '.[test]'")
    if not (shutil.which("chromium") and Path(CHROMEDRIVER).exists()):
        print("skipping: chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
        pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium")
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


def _view_source(driver) -> str | None:
    images = driver.find_elements("css selector", "#view img")
    return images[0].get_attribute("src") if images else None


def _wait(condition, seconds: float = 30.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up after {seconds:.0f} s")


def test_upload_then_slide_the_azimuth_and_the_view_changes(server, browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    browser.get(server.local_url)
    upload = _wait(lambda: browser.find_elements("css selector", "#upload input[type=file]"))[0]
    upload.send_keys(str(sorted(EXAMPLES.glob("*.png"))[1]))
    first = _wait(lambda: _view_source(browser))
    slider = browser.find_element("css selector", "#azimuth input[type=range]")
    slider.click()
    slider.send_keys(*[Keys.ARROW_RIGHT] * 60)  # step 1: to about 90 degrees or more
    second = _wait(lambda: (src := _view_source(browser)) and src != first and src)
    size = browser.execute_script(
        "const i = document.querySelector('#view img'); return [i.naturalWidth, i.naturalHeight];")
    assert size == [64 * VIEW_SCALE, 64 * VIEW_SCALE]
    assert second != first
    shot = tmp_path / "serve_screenshot.png"
    browser.save_screenshot(str(shot))
    if SCREENSHOT_COPY:
        shutil.copy(shot, SCREENSHOT_COPY)
