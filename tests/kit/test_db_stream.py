"""db.stream_tuples: a Core SELECT read as driver tuples in batches, on both stores."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, insert, select

from jaring.kit import db


def test_rows_come_in_batches_and_match_a_plain_read(store_url: str) -> None:
    meta = MetaData()
    things = Table(
        "stream_things", meta, Column("id", Integer, primary_key=True), Column("name", String(10)),
        Column("day", Date),
    )  # fmt: skip
    engine = db.store(store_url)
    meta.create_all(engine)
    rows = [{"id": i, "name": f"n{i}", "day": date(2026, 1, 1 + i % 28)} for i in range(1, 2_501)]
    with engine.begin() as conn:
        conn.execute(insert(things), rows)
    query = select(things.c.id, things.c.name, things.c.day).where(things.c.day > date(2026, 1, 10))
    with engine.connect() as conn:
        batches = list(db.stream_tuples(conn, query, size=1_000))
        # Two streams on one connection, one inside the other, each keep their own cursor.
        nested = [len(b) for _ in db.stream_tuples(conn, select(things.c.id), size=2_000)
                  for b in db.stream_tuples(conn, query, size=5_000)]  # fmt: skip
        plain = conn.execute(query).all()
    got = [row for batch in batches for row in batch]
    expected = [r for r in rows if r["day"] > date(2026, 1, 10)]
    assert [len(b) for b in batches] == [1_000, len(expected) - 1_000]
    assert (
        [(i, n) for i, n, _ in got]
        == [(r["id"], r["name"]) for r in expected]
        == [tuple(p)[:2] for p in plain]
    )
    # The driver's own values: a date, or its ISO text on SQLite.
    assert {str(day) for _, _, day in got} == {str(r["day"]) for r in expected}
    assert nested == [len(expected), len(expected)]
