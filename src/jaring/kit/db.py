"""The transactional store: one SQLAlchemy engine per URL, schema kept at head by Alembic.

SQLite is the embedded default (WAL so readers never block the single writer, a busy
timeout instead of 'database is locked'); PostgreSQL is the production store. Tables are
declared in each domain's `model.py` on the shared `metadata` below.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect

from jaring.kit import config

# Named constraints so Alembic's batch mode (SQLite) can alter them by name.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_upgrade_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the driver, starts transactions (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A unit of work that will write takes SQLite's write lock up front (BEGIN IMMEDIATE):
    # a deferred transaction that reads and then writes fails with "database is locked"
    # when another writer committed in between, and no busy timeout helps with that.
    # Readers still begin deferred, so WAL keeps them from ever waiting on the writer.
    immediate = connection.get_execution_options().get("writes", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@cache
def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        # No pre-ping: it is a round trip on every checkout, a tenth of a coverage look-up.
        # A connection the server dropped fails its next statement instead; SQLAlchemy then
        # discards the whole pool, and the API answers that one request 503 with Retry-After.
        engine = create_engine(url, pool_recycle=1800)
    return engine


def _load_models() -> None:
    # Importing a model module registers its tables on `metadata`.
    from jaring.accounts import model as _accounts  # noqa: F401
    from jaring.claims import model as _claims  # noqa: F401
    from jaring.contributions import model as _contributions  # noqa: F401
    from jaring.kit import audit as _audit  # noqa: F401
    from jaring.membership import model as _membership  # noqa: F401
    from jaring.monitoring import model as _monitoring  # noqa: F401
    from jaring.reference import model as _reference  # noqa: F401
    from jaring.registry import model as _registry  # noqa: F401
    from jaring.sponsors import model as _sponsors  # noqa: F401
    from jaring.targeting import model as _targeting  # noqa: F401


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration; a no-op when it is there already."""
    from alembic import command
    from alembic.config import Config

    _load_models()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with _upgrade_lock, engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


_ready: set[str] = set()


def store(url: str | None = None) -> Engine:
    """The engine for `url` (default from config), migrated to head on first use in a process."""
    url = url or config.database_url()
    engine = _engine(url)
    if url not in _ready:
        upgrade(engine)
        _ready.add(url)
    return engine


@contextmanager
def transaction(url: str | None = None) -> Iterator[Connection]:
    """One unit of work: committed when the block ends, rolled back if it raises."""
    with store(url).connect() as connection:
        connection = connection.execution_options(writes=True)
        with connection.begin():
            yield connection


@contextmanager
def reading(url: str | None = None) -> Iterator[Connection]:
    """A read-only look-up. On PostgreSQL it runs in driver autocommit: no BEGIN and no
    ROLLBACK round trips around a single query (a quarter of a hot look-up's cost). Each
    statement sees its own snapshot, so reads that must agree with each other belong in one
    statement or in a transaction()."""
    engine = store(url)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            yield connection
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


def dispose_all() -> None:
    """Close every pooled connection (tests drop databases; the CLI exits)."""
    for url in list(_ready):
        _engine(url).dispose()
    _ready.clear()
    _engine.cache_clear()


def upsert(connection: Connection, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE for derived tables (caches, summaries)."""
    if not rows:
        return
    from sqlalchemy.dialects import postgresql, sqlite

    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(table)
    updates = {name: statement.excluded[name] for name in rows[0] if name not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates), rows)


_stream_names = itertools.count()


def stream_tuples(connection: Connection, query: Any, size: int = 100_000) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of a Core SELECT as plain driver tuples, `size` at a time: for batch reads of
    millions of rows, where SQLAlchemy's row objects cost more than the database does. Values
    are the driver's own (on SQLite a date is its ISO text), and the statement is compiled with
    its values inline, so pass only values the application made, never user text."""
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    raw = connection.connection.driver_connection
    assert raw is not None
    # On PostgreSQL a named cursor streams from the server instead of loading every row.
    if connection.dialect.name == "postgresql":
        cursor = raw.cursor(name=f"jaring_stream_{next(_stream_names)}")
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        cursor.close()


def plain_rows(conn: Connection, statement: Any) -> list[tuple[Any, ...]]:
    """The rows of a query as plain tuples: for grouped figures whose columns a type checker
    cannot follow through SQLAlchemy's Row."""
    return [tuple(row) for row in conn.execute(statement)]
