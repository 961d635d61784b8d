"""The request's header lines as received, unmerged, for code that must forward them faithfully.

WSGI (PEP 3333, after CGI) has one environ key per header name, so a server joins repeated header
lines with commas ("A: 1" and "A: 2" become HTTP_A="1,2"). RFC 9110 §5.3 allows that merge, but a
proxy that must forward byte for byte (the gateway's strangler forward, ADR 81) needs the lines.
Under gunicorn, install() wraps the function that builds each request's environ so that
``environ[ENVIRON_KEY]`` holds the parsed (name, value) lines in order. Names arrive upper-cased
(gunicorn's parser normalises them; header names are case-insensitive). Other servers: absent.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

ENVIRON_KEY = "skyway.header_lines"


def install() -> bool:
    """Under gunicorn, keep each request's header lines in its environ; True if installed."""
    if "gunicorn" not in sys.modules:  # not served by gunicorn (runserver, tests, another server)
        return False
    from gunicorn.http import wsgi

    if getattr(wsgi.create, "_skyway_keeps_header_lines", False):
        return True
    original = wsgi.create

    @functools.wraps(original)
    def create(req: Any, *args: Any, **kwargs: Any) -> Any:
        resp, environ = original(req, *args, **kwargs)
        environ[ENVIRON_KEY] = list(req.headers)
        return resp, environ

    create._skyway_keeps_header_lines = True  # type: ignore[attr-defined]
    wsgi.create = create
    return True
