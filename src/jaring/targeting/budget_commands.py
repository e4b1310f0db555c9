"""CLI: `jaring budget simulate|show`: what a sponsor's budget buys, scenarios side by side."""

from __future__ import annotations

import itertools
import json

import click

from jaring.kit.auth import system
from jaring.kit.i18n import language
from jaring.kit.money import format_rupiah, parse_rupiah
from jaring.targeting import budget as simulation
from jaring.targeting.rules import parse_package


@click.group()
def budget() -> None:
    """Budget simulation (Simulasi anggaran): from a budget to a funded list and a waitlist."""


@budget.command("simulate")
@click.option("--sponsor", required=True, help="Sponsor code or id.")
@click.option("--budget", "budgets", multiple=True, required=True, help="Rupiah; repeat for scenarios.")
@click.option("--months", "months", multiple=True, type=int, default=(12,), show_default=True)
@click.option("--package", "packages", multiple=True, help="e.g. jkk,jkm or jkk,jkm,jht; repeat to compare.")
@click.option("--desil-max", "desils", multiple=True, type=int, help="A tighter desil cut-off; repeatable.")
@click.option("--run", "run_id", type=int, help="Targeting run (default: the sponsor's latest).")
@click.option("--json", "as_json", is_flag=True)
def simulate(
    sponsor: str,
    budgets: tuple[str, ...],
    months: tuple[int, ...],
    packages: tuple[str, ...],
    desils: tuple[int, ...],
    run_id: int | None,
    as_json: bool,
) -> None:
    """Every combination of the values given is one scenario; they are kept and shown side by side."""
    scenarios = [
        simulation.Scenario(
            budget=parse_rupiah(b),
            months=m,
            package=parse_package({"programs": p}) if p else None,
            desil_max=d,
        )
        for b, m, p, d in itertools.product(budgets, months, packages or (None,), desils or (None,))
    ]
    results = simulation.simulate(principal=system(), sponsor=sponsor, scenarios=scenarios, run_id=run_id)
    if as_json:
        click.echo(json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=2))
        return
    rows = [
        (("Skenario", "Scenario"), [f"{r.name} (#{r.scenario_id})" for r in results]),
        (("Anggaran", "Budget"), [format_rupiah(r.budget) for r in results]),
        (("Bulan", "Months"), [f"{r.months} / {r.first_month}" for r in results]),
        (("Paket", "Package"), [",".join(r.package["programs"]) for r in results]),
        (("Batas desil", "Desil cut-off"), [str(r.desil_max) for r in results]),
        (("Biaya per orang", "Cost a person"), [format_rupiah(r.cost_per_person) for r in results]),
        (("Memenuhi syarat", "Eligible"), [f"{r.eligible:,}" for r in results]),
        (("Didanai", "Funded"), [f"{r.funded:,}" for r in results]),
        (("Daftar tunggu", "Waitlist"), [f"{r.waitlist:,}" for r in results]),
        (("Total biaya", "Total cost"), [format_rupiah(r.total_cost) for r in results]),
        (("Sisa anggaran", "Budget left"), [format_rupiah(r.budget_left) for r in results]),
        (("Biaya semua", "Cover everyone"), [format_rupiah(r.cost_to_cover_all) for r in results]),
    ]
    english = language() != "id"
    width = max(len(v) for _, values in rows for v in values) + 2
    for label, values in rows:
        click.echo(f"{label[english]:<16}" + "".join(v.rjust(width) for v in values))
    for r in results:
        if r.warning:
            click.echo(f"! {r.name}: {r.warning}")


@budget.command("show")
@click.argument("scenario_id", type=int)
def show(scenario_id: int) -> None:
    """A kept scenario, with its breakdown by region, sex and desil."""
    found = simulation.get_scenario(principal=system(), scenario_id=scenario_id)
    click.echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))


ENROL_WORDS = (
    ("terdaftar", "peserta lama, kini didanai", "ditolak", "sudah pernah, tidak ada yang diubah"),
    ("enrolled", "already members, now sponsored", "rejected", "a repeat, nothing changed"),
)


@budget.command("enrol")
@click.argument("scenario_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def enrol(scenario_id: int, as_json: bool) -> None:
    """Enrol a scenario's funded list, the sponsor paying for the funded months."""
    report = simulation.enrol_scenario(principal=system(), scenario_id=scenario_id)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    words = ENROL_WORDS[language() != "id"]
    click.echo(
        f"batch {report.batch_id}: {report.enrolled:,} {words[0]}, {report.assigned_existing:,} {words[1]}, "
        f"{report.rejected:,} {words[2]}" + (f" ({words[3]})" if report.repeat else "")
    )
    for reason, count in report.by_reason.items():
        click.echo(f"  - {reason}: {count:,}")


@budget.command("backfill")
@click.argument("scenario_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def backfill(scenario_id: int, as_json: bool) -> None:
    """Give the places funded members left to the next persons on the waitlist."""
    result = simulation.backfill(principal=system(), scenario_id=scenario_id)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(
        f"scenario {result.scenario_id}: {result.still_funded:,} of {result.funded:,} places still funded; "
        f"{result.freed:,} freed"
        + (f", filled from {result.from_month} for {result.months} months" if result.report else "")
    )
