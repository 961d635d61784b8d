"""The request's header lines as received, unmerged, for code that must forward them faithfully.

WSGI (PEP 3333, after CGI) has one environ key per header name, so a server joins repeated header
lines with commas ("A: 1" and "A: 2" become HTTP_A="1,2"). RFC 9110 §5.3 allows that merge, but a
proxy that must forward byte for byte (the gateway's strangler forward, ADR 81) needs the lines.
The launcher (skyway.serve, ADR 60) puts them in ``environ[ENVIRON_KEY]`` from the ASGI scope's
header list: (name, value) pairs in order, names upper-cased (header names are case-insensitive;
the forward sends the conventional capitalisation). Other servers (runserver, tests' in-process
clients): absent, and the forward falls back to Django's merged view.
"""

from __future__ import annotations

ENVIRON_KEY = "skyway.header_lines"
