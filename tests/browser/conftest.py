"""The finance page in a real headless Chromium (Debian's package) driven by Playwright.

`chromium_path` is the system's /usr/bin/chromium when installed, else Debian's package
fetched and unpacked into `.venv/chromium/` without root (tests/browser/chromium.py); it
fails, never skips, when it cannot. Screenshots go to `$SFR3_TEST_ARTIFACTS` (default
`.sfr3/test-artifacts/`), kept after the run for whoever looks at a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import chromium

# The session's local stack (SQLite): the `stack` fixture of the tests.e2e.stack plugin,
# shared with the API tests, so the page's test seeds enough failures to be over the
# threshold whatever the earlier tests paid. Importing the fixture here would register a
# second, separate session fixture of that name: a second stack started beside the first,
# whose start closed the first one's ledger (tests.e2e.stack now refuses that).
from tests.e2e.stack import Stack

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


# The first browser test may fetch Chromium (no /usr/bin/chromium): minutes, not seconds.
FETCH_TIMEOUT = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "chromium_path" in getattr(item, "fixturenames", ()) \
                and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(FETCH_TIMEOUT))


@pytest.fixture(scope="session")
def chromium_path() -> str:
    try:
        return str(chromium.locate(log=print))
    except chromium.FetchFailed as exc:
        pytest.fail(f"no Chromium for the browser tests: {exc}")


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS,
                                      headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1800})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.errors = errors
    yield tab
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = Path(os.environ.get("SFR3_TEST_ARTIFACTS") or REPO / ".sfr3" / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def finance_url(stack: Stack) -> str:
    assert stack.local.finance_page is not None
    return str(stack.local.finance_page.url)
