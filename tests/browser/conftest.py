"""Browser fixtures: one live store (uvicorn thread) and one headless Debian chromium per module.

Skips with a reason when /usr/bin/chromium or playwright is missing, unless MADD_REQUIRE_SERVICES=1 (then fails).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.live import CHROMIUM, CHROMIUM_ARGS, LiveStore

REQUIRE = os.environ.get("MADD_REQUIRE_SERVICES") == "1"


def _need_browser() -> None:
    reason = ""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed"
    if reason:
        if REQUIRE:
            pytest.fail(f"{reason} and MADD_REQUIRE_SERVICES=1")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def live(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStore]:
    store = LiveStore(Path(tmp_path_factory.mktemp("live"))).start()
    yield store
    store.stop()


@pytest.fixture
def page(browser: Any, live: LiveStore) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=live.url, locale="id-ID")
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.on("dialog", lambda dialog: dialog.accept())  # the confirm() before buying / cancelling
    yield pg
    context.close()
