"""Targeting benchmark: a round of 50 sponsors over a synthetic registry, with budget allocation.

For each size (default 1M, 4M and 10M persons; a fifth of them already members, 2 million at
10M; all 514 regencies; 38 province sponsors and 12 regency sponsors with narrower rules, so
scopes overlap), every step runs in a fresh subprocess so its peak RSS is its own:

- floor: DuckDB scanning the columns the job reads (persons and the frozen membership);
- jaring/duckdb: the round (one classification pass, ranking per sponsor, a ranked file per
  sponsor) and each sponsor's budget allocation (funded count, last funded rank, coverage by
  regency, sex and desil) -- `classify_round` + `breakdowns`, as the product runs them;
- jaring/spark: the same on Spark in local mode (the session's start is not counted);
- pandas: a straightforward pandas implementation of the same rules, order and allocation;
- product: `run_round` + one `simulate` per sponsor through the store (membership frozen from
  SQLite, 50 runs and scenarios saved and audited).

The outputs are compared: every implementation must give each sponsor the same counts by
exclusion reason, the same ranked list (by digest) and the same funded count.

    .venv/bin/python bench/targeting.py [--sizes 1000000,4000000,10000000] [--no-spark]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

START = "2026-12"
MONTHS = 12
PERSONS_COLUMNS = [
    "nik_index",
    "kk_index",
    "sex",
    "birth_date",
    "village_code",
    "relationship",
    "employment_status",
    "occupation",
    "desil",
    "deceased",
    "warning_flags",
]
MEMBERS_COLUMNS = ["nik_index", "member_id", "covered"]


# ------------------------------------------------------------------ set-up (in the parent's child)


def _sponsor_plan(regencies: list[str], n: int) -> list[dict[str, Any]]:
    """38 province sponsors and 12 regency sponsors (some on two districts), with rules and
    orders that differ, and budgets that fund part of each list."""
    rng = random.Random(7)
    provinces = sorted({r[:2] for r in regencies})
    scale = n / 10_000_000
    plan: list[dict[str, Any]] = []
    for i, code in enumerate(provinces):
        plan.append(
            {
                "code": f"PROV-{code}",
                "kind": "province",
                "region": code,
                "scope": None,
                "rule": {"desil_max": (4, 3, 5)[i % 3]},
                "priority": ["desil", "hazard", "female_head", "older"],
                "budget": int(6_000_000_000 * scale),
            }
        )
    rules: list[tuple[dict[str, Any], list[str]]] = [
        ({"desil_max": 4, "occupations": ["fisher", "farmer", "farm_labourer"]}, ["hazard", "desil"]),
        ({"desil_max": 4, "sex": "F"}, ["female_head", "desil", "younger"]),
        ({"desil_max": 2, "age_min": 18, "age_max": 50}, ["younger", "desil"]),
        ({"desil_max": 4, "employment": "any"}, ["desil", "older"]),
    ]
    for i, regency in enumerate(rng.sample(regencies, 12)):
        rule, priority = rules[i % len(rules)]
        plan.append(
            {
                "code": f"KAB-{regency}",
                "kind": "regency",
                "region": regency,
                "scope": None if i % 2 else [regency],  # the same region, said both ways
                "rule": rule,
                "priority": priority,
                "budget": int(800_000_000 * scale),
            }
        )
    return plan


def setup(args: dict[str, Any]) -> dict[str, Any]:
    """Registry snapshot, members (a fifth of the persons, some sponsored or paid up) and the
    sponsors with their targets, in a fresh SQLite store."""
    import duckdb

    from jaring.contributions.model import member_accounts
    from jaring.kit import db
    from jaring.kit.auth import system
    from jaring.membership.model import member_terms, members
    from jaring.membership.numbers import participant_number
    from jaring.registry.generate import generate
    from jaring.registry.service import get_snapshot, import_snapshot
    from jaring.sponsors.service import create_sponsor
    from jaring.sponsors.targets import set_target

    n, work = int(args["n"]), Path(args["work"])
    extract = work / "extract.parquet"
    generate(persons=n, seed=11, out=extract)
    imported = import_snapshot(path=extract, snapshot_date=date(2026, 9, 30))
    extract.unlink()
    persons = Path(get_snapshot(imported.snapshot_id).path)
    con = duckdb.connect()
    regencies = [
        r[0] for r in con.sql(f"SELECT DISTINCT regency_code FROM read_parquet('{persons}')").fetchall()
    ]
    plan = _sponsor_plan(sorted(regencies), n)
    ids = {}
    for s in plan:
        made = create_sponsor(
            principal=system("bench"), code=s["code"], name=s["code"], kind=s["kind"], region_code=s["region"]
        )
        ids[s["code"]] = made.id
        set_target(
            principal=system("bench"),
            sponsor=made.id,
            scope=s["scope"],
            rule=s["rule"],
            priority=s["priority"],
        )
    # Members: a fifth of the persons, chosen at random; one in ten sponsored over the start
    # month, one in three paid up (protected), the rest registered but not protected.
    chosen = con.sql(
        f"SELECT nik_index, village_code FROM read_parquet('{persons}') "
        f"USING SAMPLE reservoir({n // 5} ROWS) REPEATABLE (3)"
    ).to_arrow_table()
    engine = db.store()
    now = datetime.now(UTC)
    sponsor_ids = list(ids.values())
    step = 200_000
    for start in range(0, chosen.num_rows, step):
        part = chosen.slice(start, step).to_pylist()
        serials = range(1_000_000_000 + start, 1_000_000_000 + start + len(part))
        member_rows = [
            (
                s,
                participant_number(s),
                p["nik_index"].hex(),
                bytes(16),
                "NAMA",
                date(1990, 1, 1),
                "L",
                "bpu",
                "bench",
                "other",
                p["village_code"],
                date(2026, 1, 5),
                "bulk",
                None,
                now,
            )
            for s, p in zip(serials, part, strict=True)
        ]
        term_rows = [(s, date(2026, 1, 1), None, 1_000_000, 3, now) for s in serials]
        payer_rows = [
            (s, sponsor_ids[s % len(sponsor_ids)], date(2026, 1, 1), date(2027, 7, 1), now, "bench")
            for s in serials
            if s % 10 == 0
        ]
        account_rows = [
            (s, p["village_code"], datetime(2026, 1, 20, tzinfo=UTC), date(2026, 12, 1), now)
            for s, p in zip(serials, part, strict=True)
            if s % 3 == 0
        ]
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            for table, rows in (
                (members, member_rows),
                (member_terms, term_rows),
                (member_accounts, account_rows),
            ):
                names = [c.name for c in table.columns]
                marks = ", ".join("?" for _ in names)
                raw.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})", rows)
            raw.executemany(
                "INSERT INTO payer_assignments (member_id, sponsor_id, from_month, to_month, created_at, "
                "created_by) VALUES (?, ?, ?, ?, ?, ?)",
                payer_rows,
            )
    return {
        "snapshot": imported.snapshot_id,
        "persons": str(persons),
        "members": chosen.num_rows,
        "sponsors": len(plan),
        "regencies": len(regencies),
        "plan": plan,
    }


# ------------------------------------------------------------------ the measured steps


def _entries() -> list[tuple[Any, Any, int]]:
    """(sponsor, current target, funded-months cost of one person) of every sponsor, in code
    order: the inputs every implementation gets."""
    from jaring.kit import db
    from jaring.kit.periods import Month
    from jaring.sponsors.model import sponsors
    from jaring.sponsors.service import sponsor_in
    from jaring.sponsors.targets import current_target_in
    from jaring.targeting.budget import premiums

    out = []
    with db.reading() as conn:
        for row in conn.execute(sponsors.select().order_by(sponsors.c.code)):
            found = sponsor_in(conn, int(row.id))
            target = current_target_in(conn, found)
            cost = sum(premiums(found, target.package, Month.parse(START), MONTHS).values())
            out.append((found, target, cost))
    return out


def _budgets(plan: list[dict[str, Any]]) -> dict[str, int]:
    return {s["code"]: int(s["budget"]) for s in plan}


def freeze(args: dict[str, Any]) -> dict[str, Any]:
    """The membership a round judges against, frozen from the store to Parquet; the baseline
    is a plain SELECT of the same two columns through the driver."""
    from jaring.kit import db
    from jaring.kit.periods import Month
    from jaring.targeting.service import _membership

    began = time.perf_counter()
    with db.store().connect() as conn:
        rows = conn.connection.driver_connection.execute("SELECT id, nik_index FROM members").fetchall()
    plain = time.perf_counter() - began
    began = time.perf_counter()
    _membership(None, Month.parse(START), Path(args["out"]))
    return {"seconds": time.perf_counter() - began, "plain_seconds": plain, "rows": len(rows)}


def floor(args: dict[str, Any]) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    began = time.perf_counter()
    for path, columns in ((args["persons"], PERSONS_COLUMNS), (args["members"], MEMBERS_COLUMNS)):
        con.sql(
            "SELECT count(*), " + ", ".join(f"max({c})" for c in columns) + f" FROM read_parquet('{path}')"
        ).fetchall()
    return {"seconds": time.perf_counter() - began}


def jaring(args: dict[str, Any]) -> dict[str, Any]:
    from jaring.batch.engine import engine as batch_engine
    from jaring.kit.periods import Month
    from jaring.targeting.budget import breakdowns
    from jaring.targeting.rules import HAZARD
    from jaring.targeting.service import classify_round, ranked_digest

    entries = _entries()
    budgets = _budgets(args["plan"])
    work = Path(args["work"]) / f"round-{args['engine']}"
    work.mkdir()
    if args["engine"] == "spark":
        with batch_engine("spark"):
            pass  # the process's one Spark session starts here, outside the timing
    began = time.perf_counter()
    targets = [(key, target) for key, (_, target, _) in enumerate(entries, start=1)]
    with batch_engine(args["engine"]) as batch:
        round_ = classify_round(
            batch,
            Path(args["persons"]),
            Path(args["members"]),
            HAZARD,
            targets,
            Month.parse(START),
            work,
            lambda *_: None,
        )
    allocated = {}
    for key, (found, target, cost) in enumerate(entries, start=1):
        affordable = budgets[found.code] // cost
        eligible, last, _ = breakdowns(round_.ranked[key], target.rule.desil_max, affordable)
        allocated[found.code] = (min(affordable, eligible), last)
    seconds = time.perf_counter() - began
    check = {
        found.code: {
            "reasons": {k: v for k, v in round_.by_reason[key].items() if v},
            "digest": ranked_digest(round_.ranked[key]),
            "funded": allocated[found.code][0],
        }
        for key, (found, _, _) in enumerate(entries, start=1)
    }
    return {"seconds": seconds, "check": check}


def pandas_job(args: dict[str, Any]) -> dict[str, Any]:
    """The same rules, order and allocation in plain pandas, written as an analyst would."""
    import numpy as np
    import pandas as pd

    from jaring.targeting.rules import DEFAULT_HAZARD, HAZARD
    from jaring.targeting.service import NIK_WARNING_MASK, ranked_digest

    entries = _entries()
    budgets = _budgets(args["plan"])
    work = Path(args["work"]) / "round-pandas"
    work.mkdir()
    began = time.perf_counter()
    on = date.fromisoformat(START + "-01")
    p = pd.read_parquet(args["persons"], columns=PERSONS_COLUMNS)
    m = pd.read_parquet(args["members"])
    born = pd.to_datetime(p["birth_date"])
    p["age"] = (
        on.year - born.dt.year - ((born.dt.month * 100 + born.dt.day) > (on.month * 100 + on.day)).astype(int)
    )
    # A merge, not isin(set): isin turns the bytes into a NumPy "S" array, which drops
    # trailing zero bytes and so misses about one family in 256.
    heads = p.loc[(p["relationship"] == 1) & (p["sex"] == "F"), ["kk_index"]].drop_duplicates()
    heads["female_head"] = 1
    p = p.merge(heads, on="kk_index", how="left")
    p["female_head"] = p["female_head"].fillna(0).astype(int)
    p["hazard"] = p["occupation"].map(HAZARD).fillna(DEFAULT_HAZARD).astype(int)
    p = p.merge(m, on="nik_index", how="left")
    p["covered"] = p["covered"].fillna(False).astype(bool)
    p["regency_code"] = p["village_code"].str[:4]
    p["province_code"] = p["village_code"].str[:2]
    names = [
        "deceased",
        "nik_unverified",
        "age_outside_limits",
        "formal_worker",
        "not_working",
        "desil_above_cutoff",
        "occupation_not_targeted",
        "sex_not_targeted",
        "already_covered",
    ]
    key_values = {
        "desil": lambda e: e["desil"],
        "hazard": lambda e: -e["hazard"],
        "female_head": lambda e: -e["female_head"],
        "older": lambda e: -e["age"],
        "younger": lambda e: e["age"],
    }
    check = {}
    for key, (found, target, cost) in enumerate(entries, start=1):
        rule = target.rule
        s = p[p["village_code"].str.startswith(tuple(target.scope))]
        conditions = [
            s["deceased"],
            (s["warning_flags"] & NIK_WARNING_MASK) != 0,
            (s["age"] < rule.age_min) | (s["age"] > rule.age_max),
            s["employment_status"].isin([3, 4, 5]) & (rule.employment == "informal"),
            (s["employment_status"] == 0) & (rule.employment != "any"),
            s["desil"] > rule.desil_max,
            ~s["occupation"].isin(rule.occupations or []) & (rule.occupations is not None),
            (s["sex"] != rule.sex) & bool(rule.sex),
            s["covered"],
        ]
        reason = np.select(conditions, names, default="")
        counts = pd.Series(reason).value_counts().to_dict()
        e = s[reason == ""].copy()
        order = []
        for i, name in enumerate(target.priority, start=1):
            e[f"k{i}"] = key_values[name](e)
            order.append(f"k{i}")
        for i in range(len(target.priority) + 1, 5):
            e[f"k{i}"] = 0
        e = e.sort_values([*order, "nik_index"])
        e["rank"] = np.arange(1, len(e) + 1)
        columns = [
            "rank",
            "nik_index",
            "member_id",
            "sex",
            "age",
            "village_code",
            "regency_code",
            "province_code",
            "desil",
            "occupation",
            "hazard",
            "female_head",
            "k1",
            "k2",
            "k3",
            "k4",
        ]
        path = work / f"{key}.parquet"
        e[columns].to_parquet(path, index=False)
        funded = min(budgets[found.code] // cost, len(e))
        top = e.head(funded)
        for column in ("regency_code", "sex", "desil"):
            e.groupby(column).size()
            top.groupby(column).size()
        check[found.code] = {
            "reasons": {k or "": int(v) for k, v in counts.items()},
            "path": str(path),
            "funded": funded,
        }
    seconds = time.perf_counter() - began
    for item in check.values():
        item["digest"] = ranked_digest(Path(item.pop("path")))
    return {"seconds": seconds, "check": check}


def product(args: dict[str, Any]) -> dict[str, Any]:
    """The whole round through the product: membership frozen from the store, 50 runs saved
    and audited, one scenario simulated and kept per sponsor."""
    from jaring.kit.auth import system
    from jaring.kit.periods import Month
    from jaring.targeting.budget import Scenario, simulate
    from jaring.targeting.service import run_round

    budgets = _budgets(args["plan"])
    began = time.perf_counter()
    reports = run_round(
        principal=system("bench"), sponsors=None, snapshot=args["snapshot"], start_month=Month.parse(START)
    )
    check = {}
    for report in reports:
        [scenario] = simulate(
            principal=system("bench"),
            sponsor=report.sponsor,
            run_id=report.run_id,
            scenarios=[Scenario(budget=budgets[report.sponsor], months=MONTHS)],
        )
        reasons = {k: v for k, v in report.excluded.items() if v}
        if report.eligible:
            reasons[""] = report.eligible
        check[report.sponsor] = {
            "reasons": reasons,
            "digest": report.output_sha256,
            "funded": scenario.funded,
        }
    return {"seconds": time.perf_counter() - began, "check": check}


STEPS = {
    "setup": setup,
    "freeze": freeze,
    "floor": floor,
    "jaring": jaring,
    "pandas": pandas_job,
    "product": product,
}


def child(step: str, args: dict[str, Any]) -> None:
    result = STEPS[step](args)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result, default=str))


# ------------------------------------------------------------------ the parent


def run(step: str, env: dict[str, str], **args: Any) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", step, json.dumps(args)], env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"{step} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _agree(reference: dict[str, Any], other: dict[str, Any]) -> list[str]:
    wrong = []
    for code, item in reference.items():
        theirs = other.get(code)
        for field in ("reasons", "digest", "funded"):
            if theirs is None or theirs[field] != item[field]:
                wrong.append(f"{code} {field}: {item[field]} vs {None if theirs is None else theirs[field]}")
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,4000000,10000000")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument("--keep", type=Path, help="Work in this folder and keep it (for a look afterwards)")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    table: list[tuple[int, str, float, float, str]] = []
    growth: list[tuple[int, float]] = []
    failures: list[str] = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="jaring-bench-targeting-") as tmp:
            work = Path(tmp) if options.keep is None else options.keep / str(n)
            work.mkdir(parents=True, exist_ok=options.keep is None)
            env = {
                **os.environ,
                "JARING_DATA_DIR": str(work / "var"),
                "JARING_DATABASE_URL": f"sqlite:///{work / 'jaring.db'}",
                "JARING_LANG": "en",
            }
            subprocess.run(
                [str(Path(sys.executable).with_name("jaring")), "db", "upgrade"],
                env=env,
                check=True,
                capture_output=True,
            )
            began = time.perf_counter()
            made = run("setup", env, n=n, work=str(work))
            print(
                f"[{n:,}] set up in {time.perf_counter() - began:.0f} s: {made['members']:,} members, "
                f"{made['sponsors']} sponsors, {made['regencies']} regencies",
                file=sys.stderr,
            )
            members = str(work / "members.parquet")
            frozen = run("freeze", env, out=members)
            common = {"persons": made["persons"], "members": members, "plan": made["plan"], "work": str(work)}
            scan = run("floor", env, **common)
            ours = run("jaring", env, engine="duckdb", **common)
            others = {"product": run("product", env, snapshot=made["snapshot"], **common)}
            if not options.no_pandas:
                others["pandas"] = run("pandas", env, **common)
            if not options.no_spark:
                others["spark"] = run("jaring", env, engine="spark", **common)
            for name, result in others.items():
                failures += [f"[{n:,}] {name}: {w}" for w in _agree(ours["check"], result["check"])]
            base = scan["seconds"]
            table.append((n, "floor: DuckDB scan of the columns read", base, scan["peak_mib"], "1.00x"))
            table.append(
                (
                    n,
                    "jaring round + allocation (DuckDB)",
                    ours["seconds"],
                    ours["peak_mib"],
                    f"{ours['seconds'] / base:.2f}x floor",
                )
            )
            growth.append((n, ours["seconds"]))
            if "pandas" in others:
                pandas_s = others["pandas"]["seconds"]
                table.append(
                    (
                        n,
                        "pandas, same logic",
                        pandas_s,
                        others["pandas"]["peak_mib"],
                        f"{pandas_s / ours['seconds']:.1f}x slower than jaring",
                    )
                )
            if "spark" in others:
                spark_s = others["spark"]["seconds"]
                table.append(
                    (
                        n,
                        "jaring round + allocation (Spark local[2])",
                        spark_s,
                        others["spark"]["peak_mib"],
                        f"{spark_s / ours['seconds']:.1f}x jaring/DuckDB",
                    )
                )
            table.append(
                (
                    n,
                    "freeze membership (SQLite -> Parquet)",
                    frozen["seconds"],
                    frozen["peak_mib"],
                    f"plain SELECT {frozen['plain_seconds']:.2f} s",
                )
            )
            table.append(
                (
                    n,
                    "product: run_round + 50 x simulate",
                    others["product"]["seconds"],
                    others["product"]["peak_mib"],
                    f"{others['product']['seconds'] / base:.2f}x floor",
                )
            )
    print("\n| persons | step | seconds | peak RSS MiB | ratio |")
    print("|---:|---|---:|---:|---|")
    for n, step, seconds, peak, ratio in table:
        print(f"| {n:,} | {step} | {seconds:.2f} | {peak:,.0f} | {ratio} |")
    if len(growth) > 1:
        per = ", ".join(f"{n / 1e6:g}M: {s / (n / 1e6):.3f} s per million" for n, s in growth)
        print(f"\ngrowth of the DuckDB round: {per}")
    print(
        "\noutputs agree (counts by reason, ranked lists by digest, funded counts): "
        + ("yes, for every sponsor" if not failures else "NO")
    )
    for failure in failures[:20]:
        print("  " + failure)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], json.loads(sys.argv[3]))
    else:
        main()
