"""Typed readers for environment variables: the only place settings touch the environment.

environs (marshmallow fields) parses and names the variable in every error; these wrappers keep
the project's rules on top: a blank value counts as unset, booleans are strict (`DEBUG=yes please`
stops the process instead of reading as False), errors are Django's ImproperlyConfigured, and no
`.env` file or `$VAR` expansion is read (ADR 102).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
import environs
from django.core.exceptions import ImproperlyConfigured

# eager: a bad value raises at once; expand_vars off: a `$` in a secret is a `$`, not a reference.
_env = environs.Env(eager=True, expand_vars=False)
_CONNECTIONS = {"conn_max_age": 60, "conn_health_checks": True}


def _parsed(name: str, default: Any, parse: Any, **kwargs: Any) -> Any:
    """`parse(name)` through environs, or `default` when the variable is unset or blank."""
    if _env.str(name, "").strip() == "":
        return default
    try:
        return parse(name, **kwargs)
    except environs.EnvError as exc:
        raise ImproperlyConfigured(str(exc)) from exc


def env_str(name: str, default: str | None = None) -> str | None:
    return _parsed(name, default, _env.str)


def env_bool(name: str, default: bool = False) -> bool:
    """true/false, yes/no, on/off, 1/0 (marshmallow's spellings); anything else is refused."""
    return _parsed(name, default, _env.bool)


def env_int(name: str, default: int) -> int:
    return _parsed(name, default, _env.int)


def env_float(name: str, default: float) -> float:
    return _parsed(name, default, _env.float)


def env_list(name: str, default: list[str]) -> list[str]:
    """Comma-separated, items trimmed, empty items dropped."""
    items = _parsed(name, None, _env.list)
    return list(default) if items is None else [item.strip() for item in items if item.strip()]


def database_from_env(name: str, sqlite_path: Path) -> dict:
    """A DATABASES entry from the URL in `name`, or a SQLite file when it is unset.

    SQLite runs in WAL mode with IMMEDIATE transactions so that several gunicorn workers can
    write without "database is locked"; MySQL/MariaDB gets utf8mb4 and strict mode.
    """
    config = _parsed(name, None, _env.dj_db_url, **_CONNECTIONS)
    if config is None:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        config = dj_database_url.parse(f"sqlite:///{sqlite_path}", **_CONNECTIONS)
    engine = config["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        # Connections persist (one per thread) like MySQL's: opening one and running the PRAGMAs on
        # every request cost the gateway ~1 ms of CPU per request.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    elif engine == "django.db.backends.mysql":
        config.setdefault("OPTIONS", {}).update(
            {
                "charset": "utf8mb4",
                "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
                "connect_timeout": 3,
            }
        )
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    return config
