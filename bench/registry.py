"""Registry benchmark: generator speed, import vs the DuckDB read floor, diff, peak memory.

Each measured step runs in a fresh subprocess so its peak RSS is its own. The baseline in
the same run is the floor of merely reading the same columns of the same file with DuckDB.

    .venv/bin/python bench/registry.py [--sizes 1000000,4000000,10000000] [--format csv]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from datetime import date
    from pathlib import Path
    step, args = sys.argv[1], json.loads(sys.argv[2])
    began = time.perf_counter()
    out = {}
    if step == "generate":
        from jaring.registry.generate import generate
        s = generate(persons=args["n"], seed=args["seed"], out=Path(args["out"]),
                     snapshot_date=date.fromisoformat(args["date"]))
        out = {"rows": s.persons, "max_serial": s.max_nik_serial}
    elif step == "extra":
        from jaring.registry.generate import generate
        from jaring.registry.evolve import evolve
        extra = Path(args["out"]).with_name("extra.parquet")
        generate(persons=max(args["n"] // 100, 1), seed=args["seed"] + 1, out=extra,
                 snapshot_date=date.fromisoformat(args["date"]), serial_offset=args["max_serial"])
        evolve(old=Path(args["old"]), extra=extra, out=Path(args["out"]), seed=args["seed"])
    elif step == "floor":
        import duckdb
        cols = ["nik","kk_number","name","sex","birth_date","village_code","relationship",
                "employment_status","occupation","desil","deceased","jamsostek"]
        con = duckdb.connect(); con.execute("SET enable_progress_bar=false")
        src = args["file"]
        reader = (f"read_parquet('{src}')" if src.endswith(".parquet")
                  else f"read_csv('{src}', header=true, all_varchar=true)")
        out = {"rows": con.sql("SELECT count(*), " + ", ".join(f"max({c})" for c in cols)
                               + f" FROM {reader}").fetchall()[0][0]}
    elif step == "import":
        from jaring.registry.service import import_snapshot
        r = import_snapshot(path=Path(args["file"]), snapshot_date=date.fromisoformat(args["date"]))
        out = {"rows": r.rows_in, "accepted": r.accepted, "snapshot": r.snapshot_id}
    elif step == "diff":
        from jaring.registry.diff import diff_snapshots
        r = diff_snapshots(old=args["old"], new=args["new"])
        out = {"rows": sum(r.counts.values()), "counts": r.counts}
    out["seconds"] = time.perf_counter() - began
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
    """
)


def run(step: str, env: dict[str, str], **args: object) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, step, json.dumps(args)], env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"{step} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _row(step: str, n: int, result: dict[str, Any], note: str) -> tuple[str, int, float, float, str]:
    return step, n, float(result["seconds"]), float(result["peak_mib"]), note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000000,4000000,10000000")
    parser.add_argument("--format", default="csv", choices=["csv", "parquet"])
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    rows: list[tuple[str, int, float, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="jaring-bench-") as tmp:
        for n in sizes:
            work = Path(tmp) / str(n)
            work.mkdir()
            env = dict(os.environ, JARING_DATA_DIR=str(work / "var"))
            env.pop("JARING_DATABASE_URL", None)
            old = work / f"old.{options.format}"
            old_parquet = work / "old.parquet"
            # The generator's own speed is measured on Parquet, its fastest format; a CSV
            # input is then generated (and timed) from the same seed.
            gen = run("generate", env, n=n, seed=1, out=str(old_parquet), date="2026-06-30")
            rows.append(_row("generate (Parquet)", n, gen, f"{n / gen['seconds']:,.0f} persons/s"))
            if options.format == "csv":
                csv_gen = run("generate", env, n=n, seed=1, out=str(old), date="2026-06-30")
                rows.append(_row("generate (CSV)", n, csv_gen, f"{n / csv_gen['seconds']:,.0f} persons/s"))
            os.sync()  # the new files' write-back must not land inside the timed reads
            # The floor is read before and after the import; the faster read counts, so
            # cache effects favour the baseline, not the import.
            floor_before = run("floor", env, file=str(old))
            imp = run("import", env, file=str(old), date="2026-06-30")
            floor_after = run("floor", env, file=str(old))
            floor = min(floor_before, floor_after, key=lambda r: float(r["seconds"]))
            ratio = float(imp["seconds"]) / float(floor["seconds"])
            rows.append(_row("read floor (DuckDB)", n, floor, "1.00×"))
            rows.append(_row("import + validate", n, imp, f"{ratio:.2f}× floor"))
            new = work / "new.parquet"
            run(
                "extra",
                env,
                n=n,
                seed=1,
                old=str(old_parquet),
                out=str(new),
                date="2026-06-30",
                max_serial=gen["max_serial"],
            )
            imp2 = run("import", env, file=str(new), date="2026-09-30")
            diff = run("diff", env, old=str(imp["snapshot"]), new=str(imp2["snapshot"]))
            rows.append(_row("diff", n, diff, f"{diff['rows']:,} changes"))
    print(f"\nRegistry benchmark ({options.format} input, {os.cpu_count()} cores)\n")
    print(f"{'step':<22}{'persons':>12}{'seconds':>10}{'peak MiB':>10}  note")
    for step, n, seconds, peak, note in rows:
        print(f"{step:<22}{n:>12,}{seconds:>10.2f}{peak:>10.0f}  {note}")


if __name__ == "__main__":
    main()
