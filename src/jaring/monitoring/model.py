"""Coverage roll-ups: BPU members counted per regency, paid-through month and payer, so the
national and provincial dashboards read thousands of rows instead of millions of members.

Triggers (migration 0009) mark a regency dirty whenever a member, a member's account or a payer
assignment of it changes; `monitoring.rollup.refresh` recounts just those regencies. Status
(active, in arrears, lapsed) is not stored: it is worked out from the paid-through month on the
day asked, so the roll-up stays right as days pass. Who pays (a sponsor or the member) is
stored for the month the roll-up was built for, so a new month rebuilds it once.

When the month turns, the month that ends is written to `coverage_history` as it stood at its
close, before the roll-up is rebuilt for the new month: the trend charts read those rows. The
same refresh keeps `funding_rollup`, the members each sponsor pays for this month by the month
their funding ends, for the dashboard's sponsor panel and its coming cliffs."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
)

from jaring.kit.db import metadata

coverage_rollup = Table(
    "coverage_rollup",
    metadata,
    # 4: a regency counted from its members; 2: a province summed from its regencies, so the
    # national view reads a few thousand rows however many regencies there are.
    Column("level", SmallInteger, nullable=False),
    Column("region", String(4), nullable=False),
    # NULL: never paid. Months long past are stored as the horizon month (all lapsed alike).
    Column("paid_through", Date, nullable=True),
    Column("started", SmallInteger, nullable=False),  # 1 once a first payment is recorded
    Column("sponsored", SmallInteger, nullable=False),  # 1 when a sponsor pays in the built month
    Column("members", BigInteger, nullable=False),
    Index("ix_coverage_rollup_level_region", "level", "region"),
)

rollup_dirty = Table(
    "rollup_dirty",
    metadata,
    Column("regency", String(4), primary_key=True),
)

rollup_state = Table(
    "rollup_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("month", Date, nullable=True),  # the month `sponsored` is true for; NULL: never built
    Column("built_at", DateTime(timezone=True), nullable=True),
)

coverage_history = Table(
    "coverage_history",
    metadata,
    Column("month", Date, nullable=False),  # first day of the month closed
    Column("level", SmallInteger, nullable=False),  # 2 province, 4 regency (the nation sums provinces)
    Column("region", String(4), nullable=False),
    Column("members", BigInteger, nullable=False),
    # Status on the month's last day, as the payments known when the month closed say.
    Column("active", BigInteger, nullable=False),
    Column("arrears", BigInteger, nullable=False),
    Column("lapsed", BigInteger, nullable=False),
    Column("not_started", BigInteger, nullable=False),
    Column("sponsored", BigInteger, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("level", "region", "month"),
)

funding_rollup = Table(
    "funding_rollup",
    metadata,
    Column("region", String(4), nullable=False),  # regency
    Column("sponsor_id", Integer, nullable=False),
    # The first month the sponsor no longer pays when no assignment follows on; NULL: another
    # assignment starts the month this one ends, so no end is in sight yet.
    Column("ends_on", Date, nullable=True),
    Column("members", BigInteger, nullable=False),
    Index("ix_funding_rollup_region", "region"),
)
