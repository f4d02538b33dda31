"""The registry's database: SQLite (default, WAL) or PostgreSQL (psycopg 3), one behaviour.

SQL is written once with `?` placeholders in the dialect both share; the PostgreSQL side
rewrites them to `%s`. Bulk inserts use executemany on SQLite and COPY on PostgreSQL.
Schema changes are numbered files in settlement/migrations/, applied in order at open,
in one transaction together with their rows in `schema_migrations`.
"""

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

import psycopg

MIGRATIONS = Path(__file__).with_name("migrations")
_SCHEMA_LOCK = 0x7C5_5E77  # the advisory lock key PostgreSQL migrations serialize on


class Database(Protocol):
    dialect: str  # "sqlite" or "postgresql"

    def transaction(self) -> AbstractContextManager[None]: ...
    def execute(self, sql: str, params: Sequence = ()) -> None: ...
    def query(self, sql: str, params: Sequence = ()) -> list[tuple]: ...
    def executemany(self, sql: str, rows: Iterable[Sequence]) -> None: ...
    def insert_rows(self, table: str, columns: str, rows: list[tuple]) -> None: ...
    def upsert_rows(self, table: str, columns: str, key: str, rows: list[tuple]) -> None: ...
    def close(self) -> None: ...


class SQLiteDatabase:
    """One connection in autocommit mode; `transaction()` is BEGIN IMMEDIATE ... COMMIT,
    so a second writer waits instead of interleaving."""

    dialect = "sqlite"

    def __init__(self, path: str):
        self._connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._connection.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed batch survives power loss, not just a process crash.
        self._connection.execute("PRAGMA synchronous=FULL")
        # 64 MiB of page cache: the postings index takes inserts all over (by owner).
        self._connection.execute("PRAGMA cache_size=-65536")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    def execute(self, sql: str, params: Sequence = ()) -> None:
        self._connection.execute(sql, params)

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self._connection.execute(sql, params).fetchall()

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> None:
        self._connection.executemany(sql, rows)

    def insert_rows(self, table: str, columns: str, rows: list[tuple]) -> None:
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            self._connection.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

    def upsert_rows(self, table: str, columns: str, key: str, rows: list[tuple]) -> None:
        """Inserts rows, or overwrites the non-key columns of the row with the same key."""
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            self._connection.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks}) {_on_conflict(columns, key)}",
                rows,
            )

    def close(self) -> None:
        self._connection.close()


class PostgresDatabase:
    """One psycopg 3 connection in autocommit mode; `transaction()` opens a real one."""

    dialect = "postgresql"

    def __init__(self, url: str):
        self._connection = psycopg.connect(url, autocommit=True)
        self._sql: dict[str, str] = {}

    def _translate(self, sql: str) -> str:
        translated = self._sql.get(sql)
        if translated is None:
            translated = self._sql[sql] = sql.replace("%", "%%").replace("?", "%s")
        return translated

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._connection.transaction():
            yield

    def execute(self, sql: str, params: Sequence = ()) -> None:
        self._connection.execute(self._translate(sql), params)

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self._connection.execute(self._translate(sql), params).fetchall()

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(self._translate(sql), rows)

    def insert_rows(self, table: str, columns: str, rows: list[tuple]) -> None:
        if rows:
            with (
                self._connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)

    def upsert_rows(self, table: str, columns: str, key: str, rows: list[tuple]) -> None:
        """COPY into a session-local staging table, then one INSERT ... ON CONFLICT: a
        round trip per batch instead of one per row. Call it inside `transaction()`: the
        staging rows live until the commit."""
        if not rows:
            return
        staging = f"staging_{table}"
        self._connection.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table}) ON COMMIT DELETE ROWS"
        )
        self.insert_rows(staging, columns, rows)
        self._connection.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "
            + _on_conflict(columns, key)
        )

    def close(self) -> None:
        self._connection.close()


def _on_conflict(columns: str, key: str) -> str:
    keys = {name.strip() for name in key.split(",")}
    updates = [name.strip() for name in columns.split(",") if name.strip() not in keys]
    assignments = ", ".join(f"{name} = excluded.{name}" for name in updates)
    return f"ON CONFLICT ({key}) DO UPDATE SET {assignments}"


def open_database(url: str) -> Database:
    """`postgresql://...` opens PostgreSQL; `sqlite:///path`, a plain path or ':memory:'
    opens SQLite. The schema is migrated to the newest version before it is returned."""
    if url.startswith(("postgresql://", "postgres://")):
        database: Database = PostgresDatabase(url)
    else:
        # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy spells them
        database = SQLiteDatabase(url.removeprefix("sqlite:///"))
    migrate(database)
    return database


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration file, oldest first."""
    found = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        number, _, name = path.stem.partition("_")
        found.append((int(number), name, path.read_text(encoding="utf-8")))
    return found


def schema_version(database: Database) -> int:
    rows = database.query(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'schema_migrations' "
        "AND table_schema = current_schema()"
        if database.dialect == "postgresql"
        else "SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'"
    )
    if not rows[0][0]:
        return 0
    (row,) = database.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
    return row[0]


def migrate(database: Database) -> int:
    """Applies the migrations newer than the database's version; returns the new version.
    Safe when several processes open the registry at once: the version is read again
    under the schema lock (SQLite's write lock, a PostgreSQL advisory lock)."""
    pending = [m for m in migrations() if m[0] > schema_version(database)]
    if not pending:
        return schema_version(database)
    with database.transaction():
        if database.dialect == "postgresql":
            database.execute("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
        database.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
        )
        current = schema_version(database)
        for version, name, sql in pending:
            if version <= current:
                continue
            for statement in _statements(sql):
                database.execute(statement)
            database.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, name)
            )
            current = version
    return current


def _statements(sql: str) -> list[str]:
    """Splits a migration into statements (migrations hold no ';' inside literals)."""
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
