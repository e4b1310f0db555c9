"""`jaring registry …` and `jaring nik check`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from jaring.kit.errors import BadInput
from jaring.kit.i18n import language
from jaring.kit.nik import parse_kk, parse_nik
from jaring.kit.periods import PeriodError, parse_date
from jaring.registry.reasons import REJECTIONS, WARNINGS

LANG = click.option("--lang", type=click.Choice(["id", "en"]), help="Output language (default id).")
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")

TEXT = {
    "rows_in": ("Baris masuk", "Rows in"),
    "accepted": ("Diterima", "Accepted"),
    "rejected": ("Ditolak", "Rejected"),
    "reason": ("Alasan", "Reason"),
    "rows": ("Baris", "Rows"),
    "warning": ("Peringatan (baris tetap diterima)", "Warning (rows still accepted)"),
    "already": (
        "Berkas ini sudah pernah diimpor sebagai snapshot {id}; tidak ada yang diubah.",
        "This file was already imported as snapshot {id}; nothing changed.",
    ),
    "rejects": ("Baris yang ditolak beserta alasannya: {path}", "Rejected rows with their reasons: {path}"),
    "ignored": ("Kolom diabaikan: {cols}", "Ignored columns: {cols}"),
    "change": ("Perubahan", "Change"),
    "persons": ("Orang", "Persons"),
    "regency": ("Kab/kota", "Regency"),
}


def _t(key: str, lang: str) -> str:
    return TEXT[key][0 if lang == "id" else 1]


def _label(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    pair = table.get(key)
    return f"{key} — {pair[0 if lang == 'id' else 1]}" if pair else key


def _date(value: str, what: str) -> date:
    try:
        return parse_date(value)
    except PeriodError as exc:
        raise BadInput(f"{what}: {exc}") from None


@contextmanager
def _progress(label: str, total: int | None) -> Iterator[Callable[[int], None] | None]:
    """A Rich progress bar on a terminal; silent when output is piped or in tests."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = [SpinnerColumn(), TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _counts_table(title: str, rows: dict[str, int], labels: dict[str, tuple[str, str]], lang: str) -> Table:
    table = Table(title=None, show_header=True)
    table.add_column(title)
    table.add_column(_t("rows", lang), justify="right")
    for key, count in rows.items():
        table.add_row(_label(labels, key, lang), f"{count:,}".replace(",", "." if lang == "id" else ","))
    return table


@click.group()
def registry() -> None:
    """Registry snapshots (DTSEN-like extracts): import, list, diff, generate."""


@registry.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--snapshot-date", required=True, help="Date of the registry edition, YYYY-MM-DD.")
@JSON
@LANG
def import_command(file: Path, snapshot_date: str, as_json: bool, lang: str | None) -> None:
    """Import FILE (CSV or Parquet; columns in docs/registry-format.md) as a snapshot."""
    from jaring.registry.service import import_snapshot

    lang = lang or language()
    with _progress("Mengimpor" if lang == "id" else "Importing", None) as progress:
        result = import_snapshot(
            path=file, snapshot_date=_date(snapshot_date, "--snapshot-date"), progress=progress
        )
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        return
    console = Console()
    if result.already_imported:
        console.print(_t("already", lang).format(id=result.snapshot_id))
    console.print(f"Snapshot [bold]{result.snapshot_id}[/bold] ({result.snapshot_date.isoformat()})")
    summary = {"rows_in": result.rows_in, "accepted": result.accepted, "rejected": result.rejected}
    console.print(_counts_table("", summary, {k: (_t(k, "id"), _t(k, "en")) for k in summary}, lang))
    if result.by_reason:
        console.print(_counts_table(_t("reason", lang), result.by_reason, REJECTIONS, lang))
        console.print(_t("rejects", lang).format(path=result.rejects_path))
    if result.warnings:
        console.print(_counts_table(_t("warning", lang), result.warnings, WARNINGS, lang))
    if result.extra_columns:
        console.print(_t("ignored", lang).format(cols=", ".join(result.extra_columns)))


@registry.command("list")
@JSON
def list_command(as_json: bool) -> None:
    """List the imported snapshots."""
    from jaring.registry.service import list_snapshots

    snapshots = list_snapshots()
    if as_json:
        click.echo(json.dumps([s.to_json() for s in snapshots], ensure_ascii=False))
        return
    table = Table("snapshot", "date", "rows_in", "accepted", "rejected")
    for s in snapshots:
        table.add_row(
            s.snapshot_id, s.snapshot_date.isoformat(), str(s.rows_in), str(s.accepted), str(s.rejected)
        )
    Console().print(table)


@registry.command("diff")
@click.argument("old")
@click.argument("new")
@JSON
@LANG
def diff_command(old: str, new: str, as_json: bool, lang: str | None) -> None:
    """What changed per person between snapshots OLD and NEW (ids, id prefixes or dates)."""
    from jaring.registry.diff import CHANGES, diff_snapshots

    lang = lang or language()
    result = diff_snapshots(old=old, new=new)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        return
    console = Console()
    console.print(f"{result.old_snapshot_id} → {result.new_snapshot_id}")
    console.print(_counts_table(_t("change", lang), result.counts, CHANGES, lang))
    top = sorted(result.by_region.items(), key=lambda kv: -sum(kv[1].values()))[:10]
    table = Table(_t("regency", lang), *CHANGES)
    for regency, changes in top:
        table.add_row(regency, *(str(changes.get(change, 0)) for change in CHANGES))
    console.print(table)


@registry.command("generate")
@click.option("--persons", type=click.IntRange(min=1), required=True, help="Number of persons.")
@click.option("--seed", type=int, required=True, help="Random seed; the same seed gives the same file.")
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="Output .parquet, .csv or .csv.gz."
)
@click.option("--provinces", help="Comma list of province codes, e.g. 32,33 (default all).")
@click.option("--faults", type=float, default=0.0, show_default=True, help="Share of rows given one fault.")
@click.option("--snapshot-date", help="Registry date the data describes (YYYY-MM-DD).")
@JSON
def generate_command(
    persons: int,
    seed: int,
    out: Path,
    provinces: str | None,
    faults: float,
    snapshot_date: str | None,
    as_json: bool,
) -> None:
    """Write a synthetic DTSEN-like registry extract (docs/synthetic-registry.md)."""
    from jaring.registry.generate import generate

    options: dict[str, Any] = {}
    if snapshot_date:
        options["snapshot_date"] = _date(snapshot_date, "--snapshot-date")
    chosen = [p.strip() for p in provinces.split(",") if p.strip()] if provinces else None
    with _progress("Membuat registri" if language() == "id" else "Generating", persons) as progress:
        summary = generate(
            persons=persons, seed=seed, out=out, provinces=chosen, faults=faults, progress=progress, **options
        )
    payload = {
        "path": str(summary.path),
        "persons": summary.persons,
        "families": summary.families,
        "format": summary.format,
        "seed": summary.seed,
        "faults_by_kind": summary.faults_by_kind,
        "expected_rejections": summary.expected_rejections,
        "seconds": round(summary.seconds, 2),
    }
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        rate = summary.persons / summary.seconds if summary.seconds else 0
        click.echo(
            f"{summary.persons:,} persons in {summary.families:,} families → {summary.path} "
            f"({summary.seconds:.1f} s, {rate:,.0f} persons/s)"
        )
        if summary.faults_by_kind:
            click.echo("faults: " + ", ".join(f"{k} {v}" for k, v in summary.faults_by_kind.items()))


@click.group()
def nik() -> None:
    """NIK (national identity number) tools."""


@nik.command("check")
@click.argument("number")
@click.option("--on", "on", help="Reference date for the birth century (default today).")
@JSON
def nik_check(number: str, on: str | None, as_json: bool) -> None:
    """Parse and validate one NIK; exit code 1 when it is invalid."""
    from jaring.reference.stats import known_codes

    reference = _date(on, "--on") if on else date.today()
    result = parse_nik(number, reference_date=reference, known=known_codes())
    if as_json:
        click.echo(json.dumps(result.to_json()))
    elif result.valid:
        district = result.district_code or ""
        click.echo(
            f"valid: region {district[:2]}.{district[2:4]}.{district[4:]}"
            f", born {result.birth_date}, sex {result.sex}"
            + (f" (warnings: {', '.join(result.warnings)})" if result.warnings else "")
        )
    else:
        click.echo(f"invalid: {result.reason}")
    if not result.valid:
        sys.exit(1)


@nik.command("check-kk")
@click.argument("number")
@click.option("--on", "on", help="Reference date for the recording century (default today).")
def kk_check(number: str, on: str | None) -> None:
    """Parse and validate one family card (KK) number."""
    from jaring.reference.stats import known_codes

    reference = _date(on, "--on") if on else date.today()
    result = parse_kk(number, reference_date=reference, known=known_codes())
    click.echo(
        json.dumps(
            {
                "valid": result.valid,
                "reason": result.reason,
                "district_code": result.district_code,
                "recorded_on": result.recorded_on.isoformat() if result.recorded_on else None,
                "warnings": list(result.warnings),
            }
        )
    )
    if not result.valid:
        sys.exit(1)
