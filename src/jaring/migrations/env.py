"""Alembic environment: Jaring passes its own connection, so migrations share the caller's
transaction and need no alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from jaring.kit.db import _load_models, metadata

_load_models()
connection = context.config.attributes.get("connection")


def _run(conn: object) -> None:
    context.configure(
        connection=conn,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        _run(conn)
