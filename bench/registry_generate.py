"""Benchmark: the synthetic registry generator (`jaring registry generate`).

    .venv/bin/python bench/registry_generate.py                  # 1M, 4M, 10M to Parquet; 1M to CSV
    .venv/bin/python bench/registry_generate.py --sizes 1000000 --csv-sizes 1000000,4000000

Each case runs in a child process of its own, so its peak memory (VmHWM) is its own. The
baseline in the same run is the *write floor*: the same number of rows, as the very
tables the generator hands to its writer, written by the same writer from memory, so
`gen/floor` says how close generating comes to merely writing. Targets (issue): at least
2 million persons per second to Parquet on a 2-core machine, and peak memory that does
not grow with the number of persons.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

SUFFIX = {"parquet": ".parquet", "csv": ".csv", "csv.gz": ".csv.gz"}


def peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, persons: int, fmt: str, folder: Path, chunk_size: int, seed: int) -> dict[str, float]:
    from jaring.registry import generate as gen

    # Region lists and statistics load once per process; not part of either timing.
    ref = gen._reference()
    out = folder / f"{mode}-{persons}{SUFFIX[fmt]}"
    cpu0, t0 = time.process_time(), time.perf_counter()
    if mode == "generate":
        gen.generate(persons=persons, seed=seed, out=out, chunk_size=chunk_size)
        seconds = time.perf_counter() - t0
    else:  # floor: write prebuilt chunk tables, the same rows the generator writes
        plan = gen._plan(
            persons=persons,
            seed=seed,
            faults=0.0,
            chunk_size=gen.effective_chunk_size(persons, chunk_size),
            snapshot_date=gen.DEFAULT_SNAPSHOT,
            provinces=(),
            ref=ref,
        )
        tables = [gen._make_chunk(plan, 0).table]
        if plan.chunks > 1:
            tables.append(gen._make_chunk(plan, plan.chunks - 1).table)
        cpu0, t0 = time.process_time(), time.perf_counter()
        sink = gen._ParquetSink(out) if fmt == "parquet" else gen._CsvSink(out, gzip=fmt == "csv.gz")
        for index in range(plan.chunks):
            table = tables[0] if index < plan.chunks - 1 or len(tables) == 1 else tables[1]
            sink.write(sink.encode(table))
        sink.close()
        seconds = time.perf_counter() - t0
    result = {
        "seconds": seconds,
        "cpu": time.process_time() - cpu0,
        "peak_mb": peak_rss_mb(),
        "file_mb": out.stat().st_size / 1e6,
    }
    out.unlink()
    return result


def run(mode: str, persons: int, fmt: str, folder: Path, chunk_size: int, seed: int) -> dict[str, float]:
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--persons",
        str(persons),
        "--format",
        fmt,
        "--folder",
        str(folder),
        "--chunk-size",
        str(chunk_size),
        "--seed",
        str(seed),
    ]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000000,4000000,10000000", help="persons, Parquet")
    parser.add_argument("--csv-sizes", default="1000000", help="persons, CSV (and .csv.gz at the first size)")
    parser.add_argument("--chunk-size", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", choices=["generate", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--persons", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--format", default="parquet", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(
            json.dumps(child(args.child, args.persons, args.format, args.folder, args.chunk_size, args.seed))
        )
        return

    cases = [("parquet", int(s)) for s in args.sizes.split(",") if s]
    csv_sizes = [int(s) for s in args.csv_sizes.split(",") if s]
    cases += [("csv", s) for s in csv_sizes]
    cases += [("csv.gz", csv_sizes[0])] if csv_sizes else []
    load = os.getloadavg()[0]
    print(
        f"registry generate — {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {load:.2f} at start, {date.today()}"
    )
    header = (
        f"{'format':8} {'persons':>11} {'seconds':>8} {'persons/s':>11} {'cpu s':>7} {'peak RSS':>9} "
        f"{'file MB':>8} │ {'floor s':>8} {'floor p/s':>11} {'gen/floor':>9}"
    )
    print(header)
    print("─" * len(header))
    with tempfile.TemporaryDirectory(prefix="jaring-bench-") as tmp:
        folder = Path(tmp)
        for fmt, persons in cases:
            gen = run("generate", persons, fmt, folder, args.chunk_size, args.seed)
            floor = run("floor", persons, fmt, folder, args.chunk_size, args.seed)
            rate, floor_rate = persons / gen["seconds"], persons / floor["seconds"]
            print(
                f"{fmt:8} {persons:>11,} {gen['seconds']:>8.2f} {rate:>11,.0f} {gen['cpu']:>7.2f} "
                f"{gen['peak_mb']:>6,.0f} MB {gen['file_mb']:>8,.1f} │ {floor['seconds']:>8.2f} "
                f"{floor_rate:>11,.0f} {rate / floor_rate:>9.2f}",
                flush=True,
            )
    print(
        "persons/s: wall clock, output file complete. cpu s: user+system of the whole process "
        "(generation runs on worker threads beside the writer). peak RSS: VmHWM of that process, "
        "with Python, numpy, Arrow and the region lists loaded. floor: the same chunk tables "
        "written from memory by the same writer. Target: ≥ 2,000,000 persons/s to Parquet."
    )


if __name__ == "__main__":
    main()
