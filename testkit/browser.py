"""Debian's Chromium, headless, driven by Selenium through Debian's ChromeDriver: for the
dashboard's browser tests and ``benchmarks.risk``. Nothing is downloaded: both binaries come
from the Debian packages ``make`` installs, and the paths are given so Selenium Manager never runs."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Without the background-networking flags Chromium keeps dialling Google's hosts, which this
# closed network refuses; --no-sandbox because tests may run as root.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,2200")


class BrowserMissing(RuntimeError):
    """Chromium or ChromeDriver is not installed (``make install`` installs both)."""


@contextlib.contextmanager
def headless_chromium() -> Iterator:
    """A Selenium Chrome driver on a fresh profile; quit and the profile removed on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists():
            raise BrowserMissing(f"{binary} is missing: `make install` installs Debian's chromium and chromium-driver")
    profile = tempfile.mkdtemp(prefix="optio-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_ready(driver, timeout: float = 10.0) -> float:
    """Wait for the dashboard's first render with data; returns its ``performance.now()`` then
    (milliseconds since navigation started)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.02).until(
        lambda d: d.execute_script("return document.body && document.body.dataset.ready === '1'"))
    return float(driver.execute_script("return window.optioReadyMs"))
