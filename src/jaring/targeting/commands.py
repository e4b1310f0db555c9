"""CLI: `jaring target run|show|explain|rerun`: from a registry snapshot to a sponsor's
ranked list of the persons it may fund."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from jaring.kit.auth import system
from jaring.kit.i18n import language
from jaring.kit.periods import Month
from jaring.targeting import service
from jaring.targeting.rules import EXCLUSIONS

STAGE_LABELS = {
    "membership": ("Membaca kepesertaan", "Reading membership"),
    "classify": ("Memilah registri", "Classifying the registry"),
    "rank": ("Mengurutkan prioritas", "Ranking"),
    "save": ("Menyimpan", "Saving"),
}


def _t(pair: tuple[str, str]) -> str:
    return pair[0] if language() == "id" else pair[1]


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None] | None]:
    """A Rich progress bar by stage on a terminal; silent when piped."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = [TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(_t(STAGE_LABELS["membership"]), total=len(service.STAGES))

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=_t(STAGE_LABELS[stage]), completed=done, total=total)

        yield update


@click.group()
def target() -> None:
    """Targeting (Penyasaran): rank the persons a sponsor may fund from a registry snapshot."""


@target.command("run")
@click.option(
    "--sponsor",
    "sponsor_codes",
    multiple=True,
    help="Sponsor code or id; repeat it (or use commas) for a round.",
)
@click.option("--all", "every", is_flag=True, help="Every sponsor that has a target, in one round.")
@click.option("--snapshot", required=True, help="Snapshot id, unique prefix or date.")
@click.option("--start-month", help="When funding would begin, YYYY-MM (default: next month).")
@click.option("--engine", type=click.Choice(service.ENGINES), default="duckdb", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def target_run(
    sponsor_codes: tuple[str, ...],
    every: bool,
    snapshot: str,
    start_month: str | None,
    engine: str,
    as_json: bool,
) -> None:
    """Run sponsors' current targets over a snapshot and freeze one run per sponsor.

    Several sponsors (or --all) run as one round: the snapshot is read once for all of them."""
    named = [code.strip() for text in sponsor_codes for code in text.split(",") if code.strip()]
    if bool(named) == every:
        raise click.UsageError("give --sponsor (one or more) or --all")
    with _progress() as progress:
        reports = service.run_round(
            principal=system(),
            sponsors=None if every else list(named),
            snapshot=snapshot,
            start_month=Month.parse(start_month) if start_month else None,
            engine=engine,
            progress=progress,
        )
    if as_json:
        data: object = reports[0].to_json() if len(named) == 1 else [r.to_json() for r in reports]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for report in reports:
        _echo(report)


def _echo(report: service.TargetingReport) -> None:
    english = language() != "id"
    click.echo(
        f"{'Run' if english else 'Penyasaran'} {report.run_id}: {report.sponsor}, "
        f"snapshot {report.snapshot_id}, "
        f"{'from' if english else 'mulai'} {report.start_month} ({report.engine}, {report.seconds:.1f} s)"
    )
    click.echo(f"  {'in scope' if english else 'dalam wilayah':<28}{report.in_scope:>12,}")
    click.echo(
        f"  {'eligible, ranked' if english else 'memenuhi syarat, berperingkat':<28}{report.eligible:>12,}"
    )
    for reason, count in report.excluded.items():
        click.echo(f"  - {_t(EXCLUSIONS[reason]):<60}{count:>12,}")
    if report.warning:
        click.echo(f"  ! {report.warning}")


@target.command("show")
@click.argument("run_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def target_show(run_id: int, as_json: bool) -> None:
    """A frozen run: its counts and everything it was computed from."""
    run = service.get_run(principal=system(), run_id=run_id)
    data = {
        "run_id": run.id,
        "snapshot_id": run.snapshot_id,
        "start_month": str(run.start_month),
        "engine": run.engine,
        "in_scope": run.in_scope,
        "eligible": run.eligible,
        "excluded": run.excluded,
        "output_sha256": run.output_sha256,
        "frozen": run.parameters,
    }
    click.echo(json.dumps(data, ensure_ascii=False, indent=2 if as_json else 1, default=str))


@target.command("explain")
@click.argument("run_id", type=int)
@click.option("--nik", prompt=True, hide_input=True, help="The person's NIK (asked for when not given).")
@click.option("--json", "as_json", is_flag=True)
def target_explain(run_id: int, nik: str, as_json: bool) -> None:
    """Why a person has their rank in a run, or why they are not in it."""
    found = service.explain(principal=system(), run_id=run_id, nik=nik)
    if as_json:
        click.echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
        return
    if found.status == "not_in_scope":
        click.echo("not in the sponsor's scope in this snapshot")
    elif found.status == "excluded":
        click.echo(f"excluded: {found.reason} ({_t(EXCLUSIONS[found.reason or ''])})")
    else:
        click.echo(f"rank {found.rank:,} of {found.of:,}")
        for key in found.keys:
            click.echo(f"  {key['key']:<12} {key['value']}")
        for step in found.ahead:
            click.echo(f"  {step['persons_ahead']:>10,} ahead: {step['rule']}")


@target.command("rerun")
@click.argument("run_id", type=int)
@click.option("--engine", type=click.Choice(service.ENGINES), default="duckdb", show_default=True)
def target_rerun(run_id: int, engine: str) -> None:
    """Recompute a frozen run from its frozen inputs; exit 1 unless identical."""
    result = service.rerun(principal=system(), run_id=run_id, engine=engine)
    verdict = "identical" if result.identical else "DIFFERENT"
    click.echo(f"run {run_id} on {engine}: {verdict} (sha256 {result.rerun_sha256[:16]}…)")
    if not result.identical:
        sys.exit(1)
