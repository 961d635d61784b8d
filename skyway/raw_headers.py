"""The request's header lines as received, unmerged, for code that must forward them faithfully.

WSGI (PEP 3333, after CGI) has one environ key per header name, so a server joins repeated header
lines with commas ("A: 1" and "A: 2" become HTTP_A="1,2"). RFC 9110 §5.3 allows that merge, but a
proxy that must forward byte for byte (the gateway's strangler forward, ADR 81) needs the lines.
The launcher (skyway.serve, ADR 60) puts the ASGI scope's header list in ``environ[ENVIRON_KEY]``
as the server handed it over (byte pairs, in order; nothing is decoded on the requests that never
look, docs/adr/0150); ``lines()`` gives them as (name, value) strings, names upper-cased (header
names are case-insensitive; the forward sends the conventional capitalisation). Other servers
(runserver, tests' in-process clients): absent, and ``lines()`` is None: the forward falls back to
Django's merged view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ENVIRON_KEY = "skyway.header_lines"


def lines(meta: Mapping[str, Any]) -> list[tuple[str, str]] | None:
    """The request's header lines as received, or None when the server did not hand them over."""
    raw = meta.get(ENVIRON_KEY)
    if raw is None:
        return None
    return [(name.decode("latin-1").upper(), value.decode("latin-1")) for name, value in raw]
