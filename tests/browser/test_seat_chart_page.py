"""A customer uses the seat-chart page in headless Chromium: log in, reserve, see it, cancel."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.flights import open_flights_via_api
from tests.support.live import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
# The committed screenshot is refreshed on request (SKYWAY_UPDATE_SCREENSHOTS=1) so test runs keep the tree clean.
DOCS_SCREENSHOT = ROOT / "docs" / "screenshots" / "seat-chart.png"


def open_book_flight_date(customer) -> str:
    """The day of the book's flight number's next open departure (the `flights` fixture's first flight)."""
    return open_flights_via_api(customer.http, flight_no="AA2532")[0]["departure"][:10]


def log_in_and_open_book_flight(page: Page, url: str, day: str) -> None:
    page.goto(url)
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "skyway-demo")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#whoami")).to_contain_text("alice")
    page.fill("#search-form input[name=date]", day)
    page.fill("#search-form input[name=origin_code]", "JFK")
    page.click("#search-form button[type=submit]")
    expect(page.locator("#flight-title")).to_contain_text("AA2532")


def test_reserve_and_cancel_a_seat_on_the_page(page: Page, stack, bob, flights, tmp_path):
    book = flights[0]
    for seat in ("3A", "3C", "9B", "9C", "9D", "20E", "22A"):  # other customers' seats: drawn as taken
        bob.reserve(book, seat)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in_and_open_book_flight(page, stack.gateway.url, open_book_flight_date(bob))

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
    log_in_and_open_book_flight(page, stack.gateway.url, open_book_flight_date(bob))
    free = page.locator(".cabin.economy button.seat.free").nth(7)
    seat_id = free.get_attribute("data-seat")
    bob.reserve(flights[0], seat_id)  # taken after alice's page was drawn

    page.click(f'[data-seat="{seat_id}"]')

    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("already reserved")
    expect(page.locator(f'[data-seat="{seat_id}"]')).to_have_attribute("data-status", "taken")
    bob.cancel(flights[0], seat_id)


def test_the_seat_limit_is_explained_in_the_page(page: Page, stack, alice, flights):
    book = flights[0]
    mine = ["23A", "23B", "23C", "23D", "23E", "23F", "24A", "24B", "24C"]  # nine: the limit
    for seat in mine:
        assert alice.reserve(book, seat).status_code == 201, seat
    try:
        log_in_and_open_book_flight(page, stack.gateway.url, open_book_flight_date(alice))
        seat_id = page.locator(".cabin.economy button.seat.free").nth(3).get_attribute("data-seat")

        page.click(f'[data-seat="{seat_id}"]')

        expect(page.locator("#error")).to_contain_text("at most 9 seats on one flight")
        expect(page.locator(f'[data-seat="{seat_id}"]')).to_have_attribute("data-status", "free")
    finally:
        for seat in mine:
            alice.cancel(book, seat)


def test_a_departed_flight_is_shown_closed(page: Page, stack, alice):
    log_in_and_open_book_flight(page, stack.gateway.url, "2020-05-17")  # the book's own AA2532

    expect(page.locator("#closed")).to_be_visible()
    expect(page.locator("#closed")).to_contain_text("departed")
    expect(page.locator(".cabin.economy button.seat.free").first).to_be_disabled()


def test_wrong_password_is_reported(page: Page, stack):
    page.goto(stack.gateway.url)
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "wrong")
    page.click("#login-form button[type=submit]")

    expect(page.locator("#error")).to_contain_text("Login failed")
    expect(page.locator("#picker")).to_be_hidden()
