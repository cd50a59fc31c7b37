"""Headless Debian Chromium driven by Selenium, for the console's browser tests.

The driver is the Debian `chromium-driver` (never a downloaded one). Screenshots go to
var/screenshots/ for a person to look at.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.settings import VAR

SCREENSHOTS = VAR / "screenshots"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture
def browser():
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMEDRIVER)):
        message = ("headless Chromium needs Debian's chromium and chromium-driver "
                   "(apt-get install chromium chromium-driver)")
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver, name: str) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
