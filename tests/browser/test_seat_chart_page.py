"""A customer uses the seat-chart page in headless Chromium: log in, reserve, see it, cancel."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.live import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
# The committed screenshot is refreshed on request (SKYWAY_UPDATE_SCREENSHOTS=1) so test runs keep the tree clean.
DOCS_SCREENSHOT = ROOT / "docs" / "screenshots" / "seat-chart.png"


def log_in_and_open_book_flight(page: Page, url: str) -> None:
    page.goto(url)
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "skyway-demo")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#whoami")).to_contain_text("alice")
    page.fill("#search-form input[name=date]", "2020-05-17")
    page.fill("#search-form input[name=origin_code]", "JFK")
    page.click("#search-form button[type=submit]")
    expect(page.locator("#flight-title")).to_contain_text("AA2532")


def test_reserve_and_cancel_a_seat_on_the_page(page: Page, stack, bob, flights, tmp_path):
    book = flights[0]
    for seat in ("3A", "3C", "9B", "9C", "9D", "20E", "22A"):  # other customers' seats: drawn as taken
        bob.reserve(book, seat)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in_and_open_book_flight(page, stack.gateway.url)

    expect(page.locator('[data-seat="9B"]')).to_have_attribute("data-status", "taken")
    seat = page.locator(".cabin.economy button.seat.free").nth(4)
    seat_id = seat.get_attribute("data-seat")
    page.click(f'[data-seat="{seat_id}"]')
    expect(page.locator(f'[data-seat="{seat_id}"]')).to_have_attribute("data-status", "yours")
    expect(page.locator("#notice")).to_contain_text(f"Seat {seat_id} is yours")
    expect(page.locator("#my-seats")).to_contain_text(seat_id)

    screenshot = (
        DOCS_SCREENSHOT if os.environ.get("SKYWAY_UPDATE_SCREENSHOTS") else tmp_path / "seat-chart.png"
    )
    page.screenshot(path=str(screenshot), full_page=True)
    assert Path(screenshot).stat().st_size > 10_000

    page.click(f'[data-seat="{seat_id}"]')  # yours → cancel (confirm dialog accepted)
    expect(page.locator(f'[data-seat="{seat_id}"]')).to_have_attribute("data-status", "free")
    expect(page.locator("#notice")).to_contain_text(f"Seat {seat_id} cancelled")

    for seat in ("3A", "3C", "9B", "9C", "9D", "20E", "22A"):
        bob.cancel(book, seat)


def test_errors_are_shown_in_the_page(page: Page, stack, bob, flights):
    log_in_and_open_book_flight(page, stack.gateway.url)
    free = page.locator(".cabin.economy button.seat.free").nth(7)
    seat_id = free.get_attribute("data-seat")
    bob.reserve(flights[0], seat_id)  # taken after alice's page was drawn

    page.click(f'[data-seat="{seat_id}"]')

    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("already reserved")
    expect(page.locator(f'[data-seat="{seat_id}"]')).to_have_attribute("data-status", "taken")
    bob.cancel(flights[0], seat_id)


def test_wrong_password_is_reported(page: Page, stack):
    page.goto(stack.gateway.url)
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "wrong")
    page.click("#login-form button[type=submit]")

    expect(page.locator("#error")).to_contain_text("Login failed")
    expect(page.locator("#picker")).to_be_hidden()
