"""Seat holds on the seat-chart page in headless Chromium: a party of 3 held together with a countdown,
confirmed, and seen taken by a second browser; a hold that ends elsewhere turns free without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_seat_chart_page import log_in_and_open_book_flight, open_book_flight_date

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
COUNTDOWN = re.compile(r"^(9|10):[0-5][0-9] left$")  # a fresh hold of 10 minutes
WAIT_MS = 15_000  # a poll of the chart comes every 5 s


def held_seats(page: Page) -> list[str]:
    return sorted(
        page.locator('button.seat[data-status="held"]').evaluate_all("els => els.map(e => e.dataset.seat)")
    )


def log_in_as(page: Page, url: str, username: str, day: str) -> None:
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "skyway-demo")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#whoami")).to_contain_text(username)
    page.fill("#search-form input[name=date]", day)
    page.fill("#search-form input[name=origin_code]", "JFK")
    page.click("#search-form button[type=submit]")
    expect(page.locator("#flight-title")).to_contain_text("AA2532")


def test_a_party_of_three_held_together_counted_down_confirmed_and_seen_taken_elsewhere(
    page: Page, browser: Browser, stack, alice, bob, flights
):
    book = flights[0]
    day = open_book_flight_date(bob)
    log_in_and_open_book_flight(page, stack.gateway.url, day)

    page.fill("#hold-form input[name=party]", "3")
    page.select_option("#hold-form select[name=cabin]", "economy")
    page.click("#hold-party")

    expect(page.locator("#holds .hold")).to_have_count(1)
    expect(page.locator("#holds .countdown")).to_have_text(COUNTDOWN)
    held = held_seats(page)
    assert len(held) == 3
    rows = {seat[:-1] for seat in held}
    assert len(rows) == 1, held  # together: one row
    expect(page.locator("#notice")).to_contain_text("Held")

    # a second browser (bob) sees the held seats as taken
    other = browser.new_context()
    try:
        bob_page = other.new_page()
        log_in_as(bob_page, stack.gateway.url, "bob", day)
        for seat in held:
            expect(bob_page.locator(f'[data-seat="{seat}"]')).to_have_attribute("data-status", "taken")

        page.click("#holds .hold button.confirm")

        expect(page.locator("#notice")).to_contain_text(f"Seats {', '.join(held)} are yours")
        for seat in held:
            expect(page.locator(f'[data-seat="{seat}"]')).to_have_attribute("data-status", "yours")
            expect(bob_page.locator(f'[data-seat="{seat}"]')).to_have_attribute(
                "data-status", "taken", timeout=WAIT_MS
            )
        expect(page.locator("#holds .hold")).to_have_count(0)
        expect(page.locator("#my-seats")).to_contain_text(held[0])
    finally:
        other.close()
        for seat in held:
            alice.cancel(book, seat)


def test_picked_seats_are_held_and_a_hold_released_elsewhere_turns_free_without_a_reload(
    page: Page, stack, alice, bob, flights
):
    log_in_and_open_book_flight(page, stack.gateway.url, open_book_flight_date(bob))
    free = page.locator(".cabin.economy button.seat.free")
    picked = [free.nth(20).get_attribute("data-seat"), free.nth(22).get_attribute("data-seat")]

    page.check("#pick-mode")
    for seat in picked:
        page.click(f'[data-seat="{seat}"]')
    expect(page.locator("#picked")).to_have_text(", ".join(picked))
    page.click("#hold-picked")

    for seat in picked:
        expect(page.locator(f'[data-seat="{seat}"]')).to_have_attribute("data-status", "held")
    hold_id = page.locator("#holds .hold").get_attribute("data-hold-id")
    assert alice.http.delete(f"/api/holds/{hold_id}").status_code == 204  # ended outside this page

    for seat in picked:  # the page's poll redraws the chart: no reload
        expect(page.locator(f'[data-seat="{seat}"]')).to_have_attribute(
            "data-status", "free", timeout=WAIT_MS
        )
    expect(page.locator("#holds .hold")).to_have_count(0)
