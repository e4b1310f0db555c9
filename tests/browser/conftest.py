"""Headless Chromium (Debian's package, found by path; Playwright's own download is never used)
driving the served app. Each test leaves screenshots in test-artifacts/screenshots/.

`make test` installs Chromium first (scripts/ensure-chromium) and sets JARING_REQUIRE_BROWSER=1,
so a missing browser fails there instead of skipping."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.site import Site, demo_site, small_site

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def chromium_path() -> str | None:
    for candidate in (os.environ.get("JARING_CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    path = chromium_path()
    if path is None:
        if os.environ.get("JARING_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is not installed: run scripts/ensure-chromium")
        pytest.skip("Chromium is not installed (scripts/ensure-chromium installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        launched = playwright.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


class Shots:
    """Numbered screenshots of one test, kept as artefacts."""

    def __init__(self, name: str) -> None:
        self.folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", name)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def take(self, page: Page, label: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with small_site(tmp_path_factory.mktemp("browser-site")) as served:
        yield served


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(base_url=site.base, locale="id-ID", accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("browser-demo")) as served:
        yield served


@pytest.fixture
def demo_page(browser: Browser, demo: Site) -> Iterator[Page]:
    context = browser.new_context(base_url=demo.base, locale="id-ID", accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()
