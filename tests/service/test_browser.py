"""The memory browser in a real headless Chromium (Debian's, driven by Playwright): load, search, edit,
inspect history, delete, and the access log; memory text never runs as code."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Svc

CHROMIUM = os.environ.get("MEMSPAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# playwright adds --headless and a fresh profile itself; these keep Chromium off the (closed) network
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: run scripts/system-deps.sh as root (apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the dev extra installs playwright")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(accept_downloads=True)  # a fresh profile: no key left in storage
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_browse_search_edit_and_delete(svc: Svc, live: str, page) -> None:  # type: ignore[no-untyped-def]
    memory = svc.memory
    coffee = memory.add("Alice drinks espresso every morning", user_id="alice", infer=False).changes[0].item
    memory.add("Alice's cat is called Miso", user_id="alice", infer=False)
    evil = memory.add("<img src=x onerror=\"document.title='pwned'\">", user_id="alice", infer=False)
    memory.add("Bob hates coffee", user_id="bob", infer=False)
    alice_key = svc.key("alice-browser", ({"user_id": "alice"}, "write"))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(live + "/")
    page.fill("#api-key", alice_key)
    page.click("#connect")
    sync_api.expect(page.locator("#whoami")).to_have_text("alice-browser")
    sync_api.expect(page.locator("#user-id")).to_have_value("alice")  # filled from the key's grant
    page.click("#list")
    rows = page.locator("#memories tbody tr")
    sync_api.expect(rows).to_have_count(3)
    # untrusted text is shown as text: no element injected, no script run
    sync_api.expect(page.locator("#memories tbody img")).to_have_count(0)
    sync_api.expect(page.locator(f'tr[data-id="{evil.changes[0].item.id}"] td.memory')).to_contain_text(
        "<img"
    )
    assert page.title() != "pwned"

    page.fill("#query", "coffee in the morning")
    page.click("#search-button")
    sync_api.expect(page.locator("#status")).to_contain_text("results for")
    sync_api.expect(rows.first).to_have_attribute("data-id", coffee.id)
    assert "Bob" not in page.locator("#memories").inner_text()

    row = page.locator(f'tr[data-id="{coffee.id}"]')
    row.locator("button.edit").click()
    row.locator("textarea.edit-text").fill("Alice drinks flat whites every morning")
    row.locator("button.save").click()
    sync_api.expect(page.locator(f'tr[data-id="{coffee.id}"] td.memory')).to_have_text(
        "Alice drinks flat whites every morning"
    )
    page.locator(f'tr[data-id="{coffee.id}"] button.history').click()
    sync_api.expect(page.locator("#history-events li")).to_have_count(2)
    sync_api.expect(page.locator("#history-events li").nth(1)).to_contain_text("espresso")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f'tr[data-id="{coffee.id}"] button.delete').click()
    sync_api.expect(page.locator("#status")).to_have_text("deleted")
    sync_api.expect(page.locator(f'tr[data-id="{coffee.id}"]')).to_have_count(0)
    page.click("#list")
    sync_api.expect(rows).to_have_count(2)
    # the result, checked on the server itself
    assert memory.get(coffee.id, include_deleted=True).deleted_at is not None
    assert memory.get(coffee.id, include_deleted=True).text == "Alice drinks flat whites every morning"
    assert not page.locator("#tab-log").is_visible()  # not an admin key
    assert errors == []


def test_admin_sees_the_access_log(svc: Svc, live: str, page) -> None:  # type: ignore[no-untyped-def]
    item = svc.memory.add("Carol likes jazz", user_id="carol", infer=False).changes[0].item
    page.goto(live + "/")
    page.fill("#api-key", svc.admin_key)
    page.click("#connect")
    sync_api.expect(page.locator("#whoami")).to_have_text("admin (admin)")
    page.fill("#user-id", "carol")
    page.click("#list")
    sync_api.expect(page.locator("#memories tbody tr")).to_have_count(1)
    page.click("#tab-log")
    log_rows = page.locator("#log tbody tr")
    sync_api.expect(log_rows).to_have_count(1)
    sync_api.expect(log_rows.first).to_contain_text(item.id)
    sync_api.expect(log_rows.first).to_contain_text("list")
    with page.expect_download() as download:
        page.click("#log-export")
    exported = Path(download.value.path()).read_text()
    assert exported.splitlines()[0].startswith("id,at,key_id") and item.id in exported


def test_a_wrong_key_shows_the_error(live: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(live + "/")
    page.fill("#api-key", "msk_nope_nope")
    page.click("#connect")
    sync_api.expect(page.locator("#whoami")).to_contain_text("401")
    assert not page.locator("#app").is_visible()
