"""Plumbing for PostgreSQL / PostGIS: lazy imports with an install hint, URLs, identifiers.

Shared by the PostGIS source (:mod:`county_gis.io`) and the store (:mod:`county_gis.store`).
SQLAlchemy and psycopg (v3) are optional: ``pip install 'county_gis[store]'``.

Examples
--------
>>> redacted("postgresql://gis:secret@db.example/county")
'postgresql://gis@db.example/county'
>>> split_table("fumeng_2023.道路", where="table")
('fumeng_2023', '道路')
"""

from __future__ import annotations

from typing import Any

from .errors import ConfigError

__all__ = ["INSTALL_HINT", "connect", "engine", "redacted", "split_table"]

INSTALL_HINT = ("PostGIS needs SQLAlchemy and psycopg 3: pip install 'county_gis[store]' "
                "(SQLAlchemy, psycopg[binary], GeoAlchemy2)")

#: PostgreSQL cuts identifiers to 63 bytes.
MAX_IDENTIFIER_BYTES = 63


def redacted(url: str) -> str:
    """The URL without its password (``user:secret@`` -> ``user@``)."""
    head, sep, rest = url.partition("://")
    auth, at, host = rest.rpartition("@")
    return f"{head}{sep}{auth.split(':', 1)[0]}{at}{host}" if at else url


def _sqlalchemy_url(url: str) -> str:
    """``postgres://`` / ``postgresql://`` -> ``postgresql+psycopg://`` (psycopg 3)."""
    head, _, rest = url.partition("://")
    if head.lower() in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return url


def engine(url: str) -> Any:
    """An SQLAlchemy engine for ``url`` through psycopg 3 (imported here, lazily).

    Raises
    ------
    ImportError
        With the install hint, when SQLAlchemy or psycopg is missing.
    """
    try:
        import psycopg  # noqa: F401
        import sqlalchemy
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} ({exc})") from exc
    return sqlalchemy.create_engine(_sqlalchemy_url(url), poolclass=sqlalchemy.pool.NullPool)


def connect(url: str) -> Any:
    """A psycopg 3 connection (not autocommit: every statement is in one transaction).

    Raises
    ------
    ImportError
        With the install hint, when psycopg is missing.
    ConfigError
        When the server cannot be reached; the message shows the URL without its password.
    """
    try:
        import psycopg
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} ({exc})") from exc
    head, _, rest = url.partition("://")
    try:
        return psycopg.connect(f"postgresql://{rest}" if head.lower() == "postgres" else url)
    except psycopg.OperationalError as exc:
        message = " ".join(str(exc).split())
        raise ConfigError(f"{redacted(url)}: cannot connect to PostgreSQL: {message}; check "
                          "host, port, user and database in the URL") from None


def split_table(name: str, *, where: str) -> tuple[str, str]:
    """``"schema.name"`` (or ``"name"``, schema ``public``) -> (schema, name).

    Raises
    ------
    ConfigError
        If a part is empty, there are more than two parts, or a part is longer than
        PostgreSQL's 63 bytes.
    """
    parts = name.split(".")
    if len(parts) == 1:
        parts = ["public", *parts]
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ConfigError(f"{where} {name!r} must be \"schema.table\" or \"table\"")
    for part in parts:
        check_identifier(part, where=where)
    return parts[0], parts[1]


def check_identifier(name: str, *, where: str) -> str:
    """``name`` if PostgreSQL keeps it whole (at most 63 bytes in UTF-8, no NUL).

    Raises
    ------
    ConfigError
        Naming the identifier and its length in bytes.
    """
    size = len(name.encode("utf-8"))
    if size > MAX_IDENTIFIER_BYTES or "\x00" in name or not name:
        raise ConfigError(f"{where} {name!r} is {size} bytes in UTF-8; PostgreSQL keeps "
                          f"names of 1 to {MAX_IDENTIFIER_BYTES} bytes (21 Chinese characters); "
                          "rename it")
    return name
