"""The suite's xdist grouping (docs/adr/0106, 0159) and its `live` marker, as a plugin free of Django.

tests/conftest.py imports the hook; tests/platform/test_xdist_groups.py runs it on a synthetic suite.
"""

from __future__ import annotations

import pytest

# Fixtures of the suite's own conftests and modules (not pytest-django's) whose scope outlives a test:
# a live deployment, a browser, a rendered manifest set. Tests sharing one run on one xdist worker.
_SHARED_SCOPES = ("session", "package", "module")


def xdist_group_of(item: pytest.Item) -> str | None:
    """The xdist group a test belongs to: where its widest shared fixture is defined, or None.

    With `--dist loadgroup` (make test) every test of a group runs on the same worker, so a
    session-scoped stack (tests/e2e, tests/fuzz, tests/browser) or a module-scoped server starts once
    per run, as it does without xdist, instead of once per worker. Tests without one spread freely.
    """
    best: tuple[int, str] | None = None
    for defs in item._fixtureinfo.name2fixturedefs.values():
        for fixturedef in defs:
            baseid = fixturedef.baseid or ""
            if fixturedef.scope not in _SHARED_SCOPES or not baseid.startswith("tests/"):
                continue  # plugins' fixtures (pytest-django's database setup) and the root conftest's
            rank = _SHARED_SCOPES.index(fixturedef.scope)
            if best is None or rank < best[0]:
                best = (rank, baseid)
    return None if best is None else best[1]


# Two things kept every group from holding (ADR 159), so each stack started on both workers:
# - xdist's worker reads the xdist_group markers in its own pytest_collection_modifyitems, from a plugin
#   registered after this conftest; hooks run last-registered first, so it ran first and saw none.
#   tryfirst puts this hook ahead of it.
# - xdist 3.8 names a group by rewriting `item._nodeid`, which pytest 9.2 no longer reads (node ids are
#   structured there; pytest-dev/pytest-xdist#1386): requirements-dev.txt pins pytest 9.1.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # e2e and browser tests start processes too: `-m 'not live'` (make test-fast) leaves them out
        if item.get_closest_marker("live") is None and (
            item.get_closest_marker("e2e") or item.get_closest_marker("browser")
        ):
            item.add_marker(pytest.mark.live)
        group = xdist_group_of(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
