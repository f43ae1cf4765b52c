"""A real headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven through selenium.

Nothing is downloaded: the browser and its driver are the system's. Without them the UI tests skip with the
reason printed, except under ``CI=true``, where they fail (``.ci/run`` installs both).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = os.environ.get("METALNET_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("METALNET_CHROMEDRIVER", "/usr/bin/chromedriver")
#: flags that keep the browser to loopback traffic and off every background service
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--disable-dev-shm-usage", "--window-size=1360,900",
    "--force-device-scale-factor=1", "--lang=en-US",
)


def missing_browser() -> str | None:
    """Why no browser can run here, or ``None``."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (Path(path).is_file() and os.access(path, os.X_OK)) and shutil.which(path) is None:
            return f"{path} not found: install the Debian package {package} (apt-get install chromium chromium-driver)"
    return None


def require_browser() -> None:
    reason = missing_browser()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but no browser for the UI tests: {reason}")
    pytest.skip(reason)


@contextmanager
def chromium(profile: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a fresh profile directory; quit when the block ends."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    # the system's driver: selenium's own manager must not look for (or download) another one
    service = Service(executable_path=CHROMEDRIVER, log_output=str(profile.parent / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()
