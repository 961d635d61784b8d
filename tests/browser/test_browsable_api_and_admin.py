"""The first ten minutes in a browser: /api/, Log in from the browsable API, reserve through its form,
then the admin as the seeded staff user sees that seat under its flight (and the seat map editor)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.flights import open_flights_via_api
from tests.support.live import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
SCREENSHOTS = ROOT / "docs" / "screenshots"
EDITOR_JS = ROOT / "flights" / "static" / "flights" / "seat_map_editor.js"


def _shot(page: Page, name: str, tmp_path: Path) -> None:
    # The committed screenshots are refreshed on request (SKYWAY_UPDATE_SCREENSHOTS=1); runs keep the tree clean.
    target = SCREENSHOTS / name if os.environ.get("SKYWAY_UPDATE_SCREENSHOTS") else tmp_path / name
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


def test_a_newcomer_reserves_through_the_browsable_api_and_finds_it_in_the_admin(
    page: Page, stack, alice, flights, tmp_path
):
    book = flights[0]  # the book's AA2532 on its next open departure
    departure = next(f for f in open_flights_via_api(alice.http, "AA2532") if f["flight_id"] == book)[
        "departure"
    ]
    seat = next(s for s, status in alice.seats(book).items() if status == "free" and s.startswith("2"))
    base = stack.gateway.url.rstrip("/")

    page.goto(f"{base}/api/")
    expect(page.locator(".response-info")).to_contain_text("/api/flights/{flight_id}/reservations")
    _shot(page, "api-root.png", tmp_path)
    page.click("text=Log in")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "skyway-demo")
    page.click("[type=submit]")
    expect(page).to_have_url(re.compile(r"/api/$"))
    expect(page.locator(".navbar")).to_contain_text("alice")

    page.goto(f"{base}/api/flights/{book}/reservations")
    form = page.locator("#post-object-form form").first
    form.locator("input[name=seat]").fill(seat)
    form.locator("button:has-text('POST')").click()
    expect(page.locator(".response-info")).to_contain_text("201 Created")
    assert alice.seats(book)[seat] == "yours"

    page.goto(f"{base}/admin/")
    page.fill("input[name=username]", "staff")
    page.fill("input[name=password]", "skyway-demo")
    page.click("[type=submit]")
    page.click("text=Seat holders")
    page.fill("input[name=date]", str(departure)[:10])
    page.fill("input[name=flight_no]", "AA2532")
    page.click("#flight-search button")
    page.click("#flights >> text=AA2532")
    expect(page.locator(f'#holders tr[data-seat="{seat}"]')).to_contain_text("alice")
    expect(page.locator(f'td.held[data-seat="{seat}"]')).to_have_attribute("title", f"{seat}: alice")
    _shot(page, "admin-seat-holders.png", tmp_path)

    assert alice.cancel(book, seat).status_code == 204


def test_the_seat_map_editor_reports_bad_json_as_it_is_typed(page: Page):
    page.set_content(
        '<textarea id="id_seat_map">{"Cabin": [{"Column": [{}], "Row": [{"Seat": [{}]}]}]}</textarea>'
    )
    page.add_script_tag(content=EDITOR_JS.read_text())
    status = page.locator("#seat-map-json-status")
    expect(status).to_contain_text("JSON OK: 1 cabin(s), 1 seats")

    page.fill("#id_seat_map", '{"Cabin": [')
    expect(status).to_contain_text("Not valid JSON")
    expect(page.locator("#id_seat_map")).to_have_attribute("aria-invalid", "true")

    page.fill("#id_seat_map", json.dumps({"Cabin": [{"Column": []}]}))
    expect(status).to_contain_text("Cabin[0].Column: must be a non-empty list")
