"""Insurer-core benchmark: bulk enrolment, the monthly billing run, coverage over HTTP.

Each figure is set against a baseline measured in the same run on the same store:

- bulk enrolment of N NIKs (validation, registry join, one-member-per-NIK, serials, terms,
  audit) vs a plain bulk insert of the same number of member and terms rows into tables of
  the same shape (COPY on PostgreSQL, executemany on SQLite);
- the billing run over M members vs one plain INSERT ... SELECT of the same member-months
  with a constant amount into a table shaped like `charges`; then the same run repeated
  (it must find everything billed);
- coverage look-ups over HTTP at a fixed request rate against `jaring serve --workers 2`,
  vs the same rate on `GET /api/v1/auth/me` (the same authentication, no coverage work).

    scripts/with-postgres .venv/bin/python bench/core.py [--store both] [--enrol 1000000]
        [--bill 5000000] [--rate 200] [--seconds 20]
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
from sqlalchemy import MetaData, case, create_engine, literal, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2026-10"


# ------------------------------------------------------------------ stores


@contextmanager
def fresh_store(kind: str, work: Path, name: str) -> Iterator[str]:
    from jaring.kit import db

    if kind == "sqlite":
        yield f"sqlite:///{work / (name + '.db')}"
        db.dispose_all()
        return
    base = os.environ.get("JARING_TEST_PG_URL")
    if not base:
        sys.exit("PostgreSQL: run through scripts/with-postgres (JARING_TEST_PG_URL is not set)")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        db.dispose_all()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def use_store(url: str, data_dir: Path) -> None:
    os.environ["JARING_DATABASE_URL"] = url
    os.environ["JARING_DATA_DIR"] = str(data_dir)


def bulk_rows(conn: Any, table: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """The plain way to put many rows in: COPY on PostgreSQL, executemany on SQLite."""
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        names = ", ".join(columns)
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        conn.connection.driver_connection.executemany(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", rows
        )


def twin(engine: Any, table: Any, name: str) -> Any:
    """An empty table of the same columns, keys and indexes, without triggers or foreign keys."""
    from sqlalchemy import Table

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"CREATE TABLE {name} (LIKE {table.name} INCLUDING ALL)"))
        else:
            ddl = conn.execute(
                text("SELECT type, sql FROM sqlite_master WHERE tbl_name = :t AND sql IS NOT NULL"),
                {"t": table.name},
            ).all()
            for kind, sql in sorted(ddl, key=lambda r: r[0] != "table"):
                if kind == "trigger":
                    continue
                sql = sql.replace(f"CREATE TABLE {table.name}", f"CREATE TABLE {name}", 1)
                sql = sql.replace(f" ON {table.name} ", f" ON {name} ").replace(
                    "CONSTRAINT ", f"CONSTRAINT {name}_"
                )
                if kind == "index":
                    sql = sql.replace("CREATE INDEX ", f"CREATE INDEX {name}_", 1)
                    sql = sql.replace("CREATE UNIQUE INDEX ", f"CREATE UNIQUE INDEX {name}_", 1)
                sql = re.sub(r",\s*CONSTRAINT \S+ FOREIGN KEY\([^)]*\) REFERENCES [^,)]+\([^)]*\)", "", sql)
                conn.execute(text(sql))
    return Table(name, MetaData(), autoload_with=engine)


def timed(fn: Any, *args: Any, **kw: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn(*args, **kw)
    return time.perf_counter() - began, result


# ------------------------------------------------------------------ enrolment


def bench_enrolment(kind: str, n: int, work: Path) -> list[tuple[str, ...]]:
    from jaring.kit.auth import system
    from jaring.membership.bulk import enrol_bulk
    from jaring.membership.model import member_terms, members
    from jaring.registry.generate import generate
    from jaring.registry.service import import_snapshot

    rows: list[tuple[str, ...]] = []
    with fresh_store(kind, work, f"bench_enrol_{kind}") as url:
        data = work / f"enrol-{kind}"
        use_store(url, data)
        subprocess.run([str(ROOT / ".venv/bin/jaring"), "reference", "load"], check=True, capture_output=True)
        extract = work / "enrol-registry.parquet"
        if not extract.exists():
            generate(persons=n, seed=7, out=extract, snapshot_date=date(2026, 9, 30))
        snapshot = import_snapshot(path=extract, snapshot_date=date(2026, 9, 30), url=url)
        niks = work / "enrol-niks.csv"
        duckdb.sql(f"COPY (SELECT nik FROM read_parquet('{extract}')) TO '{niks}' (HEADER)")
        seconds, report = timed(
            enrol_bulk,
            principal=system("bench"),
            nik_file=niks,
            snapshot=snapshot.snapshot_id,
            category="bench",
            url=url,
        )
        accepted = report.enrolled
        from jaring.kit import db

        engine = db.store(url)
        floor_members = twin(engine, members, "floor_members")
        floor_terms = twin(engine, member_terms, "floor_terms")
        now = datetime.now(UTC)
        member_cols = [c.name for c in members.columns]
        fake = [
            (
                i,
                f"{i:011d}",
                f"{random.getrandbits(128):032x}",
                random.randbytes(16),
                "NAMA PESERTA",
                date(1990, 1, 1),
                "L",
                "bpu",
                "bench",
                "other",
                "3507010001",
                date(2026, 10, 1),
                "bulk",
                1,
                now,
            )
            for i in range(1_000_000_000, 1_000_000_000 + accepted)
        ]
        terms = [
            (i, date(2026, 10, 1), None, 1_000_000, 3, now)
            for i in range(1_000_000_000, 1_000_000_000 + accepted)
        ]

        def floor() -> None:
            with engine.begin() as conn:
                bulk_rows(conn, floor_members, member_cols, fake)
                bulk_rows(conn, floor_terms, [c.name for c in member_terms.columns], terms)

        floor_seconds, _ = timed(floor)
        rows.append(
            (
                kind,
                f"bulk enrolment ({report.rows_in:,} NIKs, {accepted:,} enrolled)",
                f"{seconds:.1f}",
                f"plain bulk insert {floor_seconds:.1f}",
                f"{seconds / floor_seconds:.2f}x",
                "<= 3x",
            )
        )
    return rows


# ------------------------------------------------------------------ billing


def _members_for_billing(url: str, m: int, sponsors: int) -> None:
    from jaring.kit import db
    from jaring.kit.auth import system
    from jaring.membership.model import member_terms, members, payer_assignments
    from jaring.membership.numbers import participant_number
    from jaring.sponsors.service import create_sponsor

    ids = []
    for s in range(sponsors):
        code = f"35{(s % 38) + 1:02d}"
        ids.append(
            create_sponsor(
                principal=system("bench"), code=f"SP{s:03d}", name=f"Sponsor {s}", kind="regency",
                region_code=code, url=url,
            ).id
        )  # fmt: skip
    engine = db.store(url)
    now = datetime.now(UTC)
    rng = random.Random(5)
    step = 500_000
    for start in range(0, m, step):
        serials = range(1_000_000_000 + start, 1_000_000_000 + min(m, start + step))
        regions = [f"35{(s % 38) + 1:02d}01{(s % 9) + 1:04d}" for s in serials]
        member_rows = [
            (s, participant_number(s), f"{s:032x}", bytes(16), "NAMA", date(1990, 1, 1), "L", "bpu", "bench",
             "transport" if s % 7 == 0 else "other", r, date(2026, 1, 5), "bulk", None, now)
            for s, r in zip(serials, regions, strict=True)
        ]  # fmt: skip
        term_rows = [(s, date(2026, 1, 1), None, 1_000_000, 3 if s % 5 else 7, now) for s in serials]
        payer_rows = [
            (s, ids[rng.randrange(sponsors)], date(2026, 1, 1), date(2027, 1, 1), now, "bench")
            for s in serials
            if s % 10 == 0
        ]
        with engine.begin() as conn:
            bulk_rows(conn, members, [c.name for c in members.columns], member_rows)
            bulk_rows(conn, member_terms, [c.name for c in member_terms.columns], term_rows)
            bulk_rows(
                conn,
                payer_assignments,
                ["member_id", "sponsor_id", "from_month", "to_month", "created_at", "created_by"],
                payer_rows,
            )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))


def bench_billing(kind: str, url: str, m: int, work: Path) -> list[tuple[str, ...]]:
    from jaring.contributions.billing import run_billing
    from jaring.contributions.model import charges
    from jaring.kit import db
    from jaring.kit.auth import system
    from jaring.kit.periods import Month
    from jaring.membership.service import billable_select

    rows: list[tuple[str, ...]] = []
    use_store(url, work / f"bill-{kind}")
    setup, _ = timed(_members_for_billing, url, m, 50)
    print(f"  [{kind}] {m:,} members written in {setup:.0f} s", file=sys.stderr)
    engine = db.store(url)
    floor_charges = twin(engine, charges, "floor_charges")
    day = Month.parse(PERIOD).first_day
    b = billable_select(day).subquery("b")
    plain = select(
        b.c.member_id,
        literal(day),
        case((b.c.sponsor_id.is_(None), "self"), else_="sponsor"),
        b.c.sponsor_id,
        b.c.region_code,
        literal(10_000),
        literal(6_800),
        literal(0),
        literal(0),
        literal(0),
        literal(16_800),
        literal(0),
        literal(datetime.now(UTC)),
    )
    columns = ["member_id", "month", "payer_kind", "sponsor_id", "region_code", "jkk", "jkm", "jht",
               "jkk_relief", "jkm_relief", "amount", "relief", "created_at"]  # fmt: skip

    def floor() -> None:
        with engine.begin() as conn:
            conn.execute(floor_charges.insert().from_select(columns, plain))

    floor_seconds, _ = timed(floor)
    first, report = timed(run_billing, principal=system("bench"), period=Month.parse(PERIOD), url=url)
    again, repeat = timed(run_billing, principal=system("bench"), period=Month.parse(PERIOD), url=url)
    rows.append(
        (
            kind,
            f"billing run ({report.charges_created:,} charges, {len(report.invoices)} invoices)",
            f"{first:.1f}",
            f"plain INSERT...SELECT {floor_seconds:.1f}",
            f"{first / floor_seconds:.2f}x",
            "<= 3x",
        )
    )
    rows.append(
        (
            kind,
            f"billing run repeated ({repeat.charges_created} new charges)",
            f"{again:.1f}",
            f"first run {first:.1f}",
            f"{again / first:.1%}",
            "<= 10%",
        )
    )
    return rows


# ------------------------------------------------------------------ coverage over HTTP


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _fixed_rate(base: str, paths: list[str], token: str, rate: float, seconds: float) -> list[float]:
    """Open loop: request i is due at i/rate; its latency counts from when it was due, so a
    slow server cannot hide its queue by slowing the client down. Sixteen threads with plain
    keep-alive connections (http.client) send them: a client far lighter than the server, so
    what is measured is the server."""
    host, port = base.removeprefix("http://").split(":")
    headers = {"Authorization": f"Bearer {token}"}
    total = int(rate * seconds)
    latencies: list[float] = []
    failures: list[str] = []
    counter = iter(range(total))
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def worker() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        for path in paths[:5]:  # warm the connection and the workers
            connection.request("GET", path, headers=headers)
            connection.getresponse().read()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            due = start + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            connection.request("GET", paths[i % len(paths)], headers=headers)
            response = connection.getresponse()
            body = response.read()
            latencies.append(time.perf_counter() - due)
            if response.status != 200:
                failures.append(f"{response.status}: {body[:200]!r}")

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return latencies


def bench_coverage(
    kind: str, url: str, m: int, rate: float, seconds: float, work: Path
) -> list[tuple[str, ...]]:
    from jaring.accounts import service as accounts
    from jaring.contributions.payments import record_payment
    from jaring.kit.auth import system
    from jaring.membership.numbers import participant_number

    rng = random.Random(11)
    sample = [participant_number(1_000_000_000 + rng.randrange(m)) for _ in range(2000)]
    for i, number in enumerate(sample[:500]):
        record_payment(
            channel="BENCH", idempotency_key=f"bench-{i}", reference=number, amount=16_800 * (i % 12 + 1),
            paid_at=datetime(2026, 10, 5, tzinfo=UTC), url=url,
        )  # fmt: skip
    user = accounts.create_user(
        principal=system("bench"),
        username="bench",
        role="national_admin",
        password="bench-password-1",
        url=url,
    )
    token = accounts.issue_token(user_id=user.id, url=url)
    port = _free_port()
    env = {**os.environ, "JARING_DATABASE_URL": url, "JARING_DATA_DIR": str(work / f"bill-{kind}")}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/jaring"), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("jaring serve did not start")
            time.sleep(0.2)
        coverage_paths = [f"/api/v1/members/{n}/coverage?date=2026-10-20" for n in sample]
        me = _fixed_rate(base, ["/api/v1/auth/me"], token, rate, seconds)
        cov = _fixed_rate(base, coverage_paths, token, rate, seconds)
    finally:
        server.terminate()
        server.wait(timeout=20)

    def pct(values: list[float], q: float) -> float:
        return (
            statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000 if q < 100 else max(values)
        )

    return [
        (
            kind,
            f"coverage look-up, {rate:.0f} req/s x {seconds:.0f} s, 2 workers: p50",
            f"{pct(cov, 50):.1f} ms",
            f"auth/me p50 {pct(me, 50):.1f} ms",
            f"{pct(cov, 50) / pct(me, 50):.2f}x",
            "",
        ),
        (
            kind,
            "coverage look-up: p99",
            f"{pct(cov, 99):.1f} ms",
            f"auth/me p99 {pct(me, 99):.1f} ms",
            f"{pct(cov, 99) / pct(me, 99):.2f}x",
            "<= 20 ms",
        ),
    ]


# ------------------------------------------------------------------ main


def _table(rows: list[tuple[str, ...]]) -> str:
    header = ("store", "step", "time", "baseline (same run)", "ratio", "target")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    out = io.StringIO()
    for r in [header, tuple("-" * w for w in widths), *rows]:
        out.write("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)) + "\n")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--enrol", type=int, default=1_000_000)
    parser.add_argument("--bill", type=int, default=5_000_000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--only",
        choices=["enrolment", "billing", "coverage"],
        help="One part (coverage writes --bill members)",
    )
    args = parser.parse_args()
    kinds = ["postgresql", "sqlite"] if args.store == "both" else [args.store]
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory(prefix="jaring-bench-core-") as tmp:
        work = Path(tmp)
        os.environ.setdefault("JARING_SECRET_KEY", "ab" * 32)
        for kind in kinds:
            if args.only in (None, "enrolment"):
                print(f"[{kind}] bulk enrolment of {args.enrol:,}", file=sys.stderr)
                rows += bench_enrolment(kind, args.enrol, work)
            if args.only == "enrolment":
                continue
            with fresh_store(kind, work, f"bench_bill_{kind}") as url:
                if args.only == "coverage":
                    use_store(url, work / f"bill-{kind}")
                    _members_for_billing(url, args.bill, 50)
                else:
                    print(f"[{kind}] billing run over {args.bill:,} members", file=sys.stderr)
                    rows += bench_billing(kind, url, args.bill, work)
                if args.only in (None, "coverage"):
                    print(f"[{kind}] coverage look-ups over HTTP", file=sys.stderr)
                    rows += bench_coverage(kind, url, args.bill, args.rate, args.seconds, work)
    print(_table(rows))


if __name__ == "__main__":
    main()
