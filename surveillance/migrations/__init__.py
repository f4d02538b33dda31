"""Surveillance's tables in the registry database, and what surveillance needs of it.

Surveillance may not import settlement, so `Database` names only the calls it uses; the
composition root passes settlement's SQLite or PostgreSQL database, which has them. The
schema is numbered files in this folder, applied in order at open with their own version
table (`surveillance_schema_migrations`), so surveillance's schema moves independently of
the registry's. A file named `NNN_name.sql` runs on both dialects; `NNN_name.sqlite.sql`
and `NNN_name.postgresql.sql` are one step written twice, where the dialects differ
(triggers).
"""

from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

FOLDER = Path(__file__).parent
VERSION_TABLE = "surveillance_schema_migrations"
SCHEMA_LOCK = 0x5_0A1E_27  # PostgreSQL advisory lock key; settlement's is another


class Database(Protocol):
    """SQL with `?` placeholders; PostgreSQL's adapter rewrites them."""

    dialect: str  # "sqlite" or "postgresql"

    def transaction(self) -> AbstractContextManager[None]: ...
    def execute(self, sql: str, params: Sequence = ()) -> None: ...
    def query(self, sql: str, params: Sequence = ()) -> list[tuple]: ...
    def close(self) -> None: ...


def migrations(dialect: str) -> list[tuple[int, str, str]]:
    """(version, name, sql) of every step for this dialect, oldest first."""
    found = []
    for path in sorted(FOLDER.glob("*.sql")):
        stem, _, file_dialect = path.name.removesuffix(".sql").partition(".")
        if file_dialect and file_dialect != dialect:
            continue
        number, _, name = stem.partition("_")
        found.append((int(number), name, path.read_text(encoding="utf-8")))
    return found


def migrate(database: Database) -> int:
    """Applies the steps newer than the database's version; returns the new version.
    Safe when several processes open the database at once (the gateway and the
    surveillance consumer): the version is read and the steps applied under the schema
    lock, SQLite's write lock or a PostgreSQL advisory lock of surveillance's own."""
    with database.transaction():
        if database.dialect == "postgresql":
            database.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))
        database.execute(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
        )
        ((current,),) = database.query(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}")
        for version, name, sql in migrations(database.dialect):
            if version <= current:
                continue
            for statement in statements(sql):
                database.execute(statement)
            database.execute(
                f"INSERT INTO {VERSION_TABLE} (version, name) VALUES (?, ?)", (version, name)
            )
            current = version
    return current


def statements(sql: str) -> list[str]:
    """Splits a step at the ';' that end statements, keeping whole the two bodies that hold
    ';' of their own: a PostgreSQL function between `$$` marks and a SQLite trigger's
    BEGIN ... END."""
    found: list[str] = []
    lines: list[str] = []
    in_function = in_trigger = False
    for raw in sql.splitlines():
        line = raw.split("--", 1)[0].rstrip()
        if not line:
            continue
        lines.append(line)
        if line.count("$$") % 2:
            in_function = not in_function
        if not in_function and line.upper().endswith("BEGIN"):
            in_trigger = True
        if in_trigger and line.strip().upper() == "END;":
            in_trigger = False
        if line.endswith(";") and not in_function and not in_trigger:
            found.append("\n".join(lines).removesuffix(";"))
            lines = []
    if lines:
        found.append("\n".join(lines))
    return found
