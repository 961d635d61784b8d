"""A seat map (the book's IATA-like JSON) drawn as HTML: one grid per cabin, rows by columns.

Shared by the flights admin (the layout being edited) and the gateway admin (who holds which seat):
both draw the same wire shape, so the drawing lives here once. It reads whatever it is given and never
raises: a map too broken to draw says so (validation is the owner's job, flights/seat_maps.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

_STYLE = mark_safe(
    "<style>.skyway-seatmap{display:inline-block;margin:0 1.5em 1em 0;vertical-align:top}"
    ".skyway-seatmap table{border-collapse:separate;border-spacing:2px}"
    ".skyway-seatmap th,.skyway-seatmap td{padding:0;width:1.9em;height:1.7em;text-align:center;"
    "font:11px monospace}"
    ".skyway-seatmap td.seat{background:#d8e8f4;border-radius:4px}"
    ".skyway-seatmap td.exit{box-shadow:inset 0 -3px #e0a030}"
    ".skyway-seatmap td.premium{background:#e7dcf5}"
    ".skyway-seatmap td.held{background:#c0392b;color:#fff;font-weight:bold}"
    ".skyway-seatmap td.aisle{width:1em}"
    ".skyway-seatmap-legend span{display:inline-block;padding:0 .5em;margin-right:.5em;border-radius:4px}"
    "</style>"
)


def _aisles_after(columns: list[dict[str, Any]]) -> set[int]:
    """Indexes of the columns an aisle follows: two aisle seats side by side."""
    traits = [set(col.get("Characteristics") or []) for col in columns]
    return {i for i in range(len(columns) - 1) if "Aisle" in traits[i] and "Aisle" in traits[i + 1]}


def _cabin_html(cabin: Mapping[str, Any], holders: Mapping[str, str]) -> SafeString:
    columns = [col for col in cabin.get("Column") or [] if isinstance(col, dict)]
    letters = [str(col.get("Column", "?")) for col in columns]
    aisles = _aisles_after(columns)
    gap = mark_safe('<th class="aisle"></th>')

    head = [format_html("<th>{}</th>", letter) for letter in letters]
    for index in sorted(aisles, reverse=True):
        head.insert(index + 1, gap)
    rows_html = []
    for row in cabin.get("Row") or []:
        number = row.get("RowNumber")
        seats = {str(seat.get("Number")): seat for seat in row.get("Seat") or [] if isinstance(seat, dict)}
        cells = []
        for letter in letters:
            seat = seats.get(letter)
            if seat is None:
                cells.append(mark_safe("<td></td>"))
                continue
            seat_id = f"{number}{letter}"
            classes = ["seat"]
            if seat.get("exitRowInd"):
                classes.append("exit")
            if seat.get("premiumInd"):
                classes.append("premium")
            holder = holders.get(seat_id)
            if holder is not None:
                classes.append("held")
            title = f"{seat_id}: {holder}" if holder is not None else seat_id
            cells.append(
                format_html(
                    '<td class="{}" data-seat="{}" title="{}">{}</td>',
                    " ".join(classes),
                    seat_id,
                    title,
                    letter,
                )
            )
        for index in sorted(aisles, reverse=True):
            cells.insert(index + 1, mark_safe('<td class="aisle"></td>'))
        rows_html.append(format_html("<tr><th>{}</th>{}</tr>", number, mark_safe("".join(cells))))  # noqa: S308
    cabin_class = (cabin.get("CabinClass") or {}).get("CabinType", "cabin")
    return format_html(
        '<div class="skyway-seatmap"><strong>{} (rows {}-{})</strong><table><tr><th></th>{}</tr>{}</table></div>',
        cabin_class,
        cabin.get("firstRow", "?"),
        cabin.get("lastRow", "?"),
        mark_safe("".join(head)),  # noqa: S308 - built with format_html above
        mark_safe("".join(rows_html)),  # noqa: S308 - built with format_html above
    )


def seat_map_picture_html(seat_map: object, *, holders: Mapping[str, str] | None = None) -> SafeString:
    """The seat map as HTML grids; seats in `holders` (seat id → who) are drawn held, named on hover."""
    try:
        cabins = seat_map.get("Cabin") if isinstance(seat_map, dict) else None
        if not isinstance(cabins, list) or not cabins:
            return format_html("<p>{}</p>", "No picture: the seat map has no cabins.")
        grids = format_html_join(
            "", "{}", ((_cabin_html(c, holders or {}),) for c in cabins if isinstance(c, dict))
        )
    except (AttributeError, TypeError, ValueError):
        return format_html("<p>{}</p>", "No picture: the seat map is malformed (saving says where).")
    legend = mark_safe(  # noqa: S308 - a constant
        '<p class="skyway-seatmap-legend"><span style="background:#d8e8f4">seat</span>'
        '<span style="background:#e7dcf5">premium</span>'
        '<span style="box-shadow:inset 0 -3px #e0a030">exit row</span>'
        + ('<span style="background:#c0392b;color:#fff">held</span>' if holders is not None else "")
        + "</p>"
    )
    return format_html("{}{}<div>{}</div>", _STYLE, legend, grids)
