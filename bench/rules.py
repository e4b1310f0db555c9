"""Benchmark: contributions for 10 million member-months through the vectorised
engine, against a plain per-person Python loop on a sample, in the same process.

    make bench            # or: .venv/bin/python bench/rules.py --rows 10000000

Prints member-months per second and the ratio. Targets (issue 2): at least 50×
the loop and at least 5 million member-months per second.
"""

from __future__ import annotations

import argparse
import platform
import time
import tracemalloc

import numpy as np

from jaring.kit.periods import Month, day_number, from_day_number
from jaring.rules.engine import RuleBook, Usage, default_rulebook
from jaring.rules.formulas.codes import JHT, JKK, JKM, JP, RISK_CLASSES, SEGMENT_BPU, SEGMENT_PU
from jaring.rules.formulas.contributions import ContributionColumns, contributions
from rules_loop import MemberMonth
from rules_loop import contribution as loop_contribution

FIRST, LAST = Month(2020, 1), Month(2027, 6)  # spans PP 49/2020, PP 7/2025 and PP 50/2025


def synthetic(rows: int, seed: int) -> ContributionColumns:
    """Mixed BPU/PU member-months across the relief periods."""
    rng = np.random.default_rng(seed)
    span = (LAST.year - FIRST.year) * 12 + LAST.month - FIRST.month + 1
    month_days = np.array([day_number(FIRST.plus(i).first_day) for i in range(span)], dtype=np.int64)
    segment = np.where(rng.random(rows) < 0.6, SEGMENT_BPU, SEGMENT_PU).astype(np.int8)
    bpu = segment == SEGMENT_BPU
    bpu_income = rng.integers(1_000, 20_700, rows, dtype=np.int64) * 1_000
    pu_wage = rng.integers(2_000_000, 25_000_000, rows, dtype=np.int64)
    bpu_programs = np.where(rng.random(rows) < 0.3, JKK | JKM | JHT, JKK | JKM)
    return ContributionColumns(
        month=month_days[rng.integers(0, span, rows)],
        segment=segment,
        base=np.where(bpu, bpu_income, pu_wage),
        programs=np.where(bpu, bpu_programs, JKK | JKM | JHT | JP).astype(np.int8),
        risk_class=rng.integers(0, len(RISK_CLASSES), rows, dtype=np.int8),
        sector=(rng.random(rows) < 0.25).astype(np.int8),
        funding=np.where(rng.random(rows) < 0.5, 0, 1).astype(np.int8),
        jkp_registered=rng.random(rows) < 0.5,
        labour_intensive=rng.random(rows) < 0.2,
        relief=np.ones(rows, dtype=bool),
        months_late=np.where(rng.random(rows) < 0.05, rng.integers(1, 4, rows), 0).astype(np.int64),
    )


def as_rows(cols: ContributionColumns, limit: int) -> list[MemberMonth]:
    names = {JKK: "jkk", JKM: "jkm", JHT: "jht", JP: "jp"}
    rows = []
    for i in range(limit):
        bits = int(cols.programs[i])
        rows.append(
            MemberMonth(
                month=from_day_number(int(cols.month[i])),
                segment="bpu" if cols.segment[i] == SEGMENT_BPU else "pu",
                base=int(cols.base[i]),
                programs=frozenset(n for b, n in names.items() if bits & b),
                risk_class=RISK_CLASSES[int(cols.risk_class[i])],
                sector="transport" if cols.sector[i] else "other",
                funding="self" if cols.funding[i] == 0 else "apbd",
                relief=bool(cols.relief[i]),
                labour_intensive=bool(cols.labour_intensive[i]),
                months_late=int(cols.months_late[i]),
            )
        )
    return rows


def chunks(cols: ContributionColumns, size: int) -> list[ContributionColumns]:
    fields = cols.__dataclass_fields__
    return [
        ContributionColumns(**{f: getattr(cols, f)[start : start + size] for f in fields})
        for start in range(0, len(cols), size)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--loop-rows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=262_144)
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()

    rules: RuleBook = default_rulebook()
    usage = Usage(allow_unconfirmed=True)  # the 2026 JP cap is provisional; see warnings below
    print(f"Generating {args.rows:,} member-months ({FIRST} … {LAST}) …", flush=True)
    cols = synthetic(args.rows, args.seed)

    sample = as_rows(cols, args.loop_rows)
    start = time.perf_counter()
    loop_totals = [sum(loop_contribution(row, rules, usage).values()) for row in sample]
    loop_seconds = time.perf_counter() - start

    tracemalloc.start()
    start = time.perf_counter()
    grand_total = 0
    first_totals = None
    for part in chunks(cols, args.chunk):
        result = contributions(part, rules, usage, income_mode="any")
        totals = result.total
        if first_totals is None:
            first_totals = totals
        grand_total += int(totals.sum())
    vector_seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert first_totals is not None
    agree = np.array_equal(first_totals[: args.loop_rows], np.array(loop_totals, dtype=np.int64))
    loop_rate = args.loop_rows / loop_seconds
    vector_rate = args.rows / vector_seconds
    print()
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    print(f"{'engine':<34}{'member-months':>15}{'seconds':>10}{'mm/s':>14}{'ratio':>9}")
    print(
        f"{'per-person Python loop (baseline)':<34}{args.loop_rows:>15,}{loop_seconds:>10.2f}"
        f"{loop_rate:>14,.0f}{1:>9.1f}"
    )
    print(
        f"{'vectorised engine (numpy int64)':<34}{args.rows:>15,}{vector_seconds:>10.2f}"
        f"{vector_rate:>14,.0f}{vector_rate / loop_rate:>9.1f}"
    )
    print()
    print(f"peak traced memory of the vectorised run: {peak / 2**20:,.0f} MiB (chunks of {args.chunk:,})")
    print(f"grand total billed: Rp{grand_total:,}".replace(",", "."))
    print(f"loop and engine agree on the {args.loop_rows:,}-row sample: {'yes' if agree else 'NO'}")
    print(
        f"targets: ≥50× loop → {'met' if vector_rate / loop_rate >= 50 else 'NOT met'}; "
        f"≥5,000,000 mm/s → {'met' if vector_rate >= 5_000_000 else 'NOT met'}"
    )
    for warning in usage.warnings(rules):
        print(f"warning: {warning}")
    if not agree:
        raise SystemExit("the vectorised engine and the loop disagree")


if __name__ == "__main__":
    main()
