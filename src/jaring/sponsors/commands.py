"""CLI: `jaring sponsors create|list`, `jaring sponsors budget add|list`, `jaring sponsors
target` (whom a sponsor funds, in what order, with what package)."""

from __future__ import annotations

import json
from typing import Any

import click

from jaring.kit.auth import system
from jaring.kit.i18n import language
from jaring.kit.money import format_rupiah as rupiah
from jaring.kit.money import parse_rupiah
from jaring.kit.periods import Month, parse_date
from jaring.sponsors import cliffs, drift
from jaring.sponsors.budgets import add_budget, list_budgets
from jaring.sponsors.ledger import budget_ledger
from jaring.sponsors.model import BUDGET_STAGES, DRIFT_DECISIONS, SPONSOR_KINDS, TRANSITIONS
from jaring.sponsors.service import FUNDINGS, create_sponsor, list_sponsors
from jaring.sponsors.targets import get_target, set_target
from jaring.targeting.rules import EMPLOYMENT_KINDS, PRIORITY_KEYS


@click.group()
def sponsors() -> None:
    """Sponsors (Pemberi dana): who pays members' contributions from a budget."""


@sponsors.command("create")
@click.option("--code", required=True, help="Short code, e.g. KAB-MALANG.")
@click.option("--name", required=True, help="The sponsor's name.")
@click.option("--kind", type=click.Choice(SPONSOR_KINDS), required=True)
@click.option("--region", "region_code", required=True, help="Its region, e.g. 3507.")
@click.option(
    "--funding",
    type=click.Choice(FUNDINGS),
    help="apbd/apbn (no PP 50/2025 relief) or self; default apbd for governments, self otherwise.",
)
def sponsors_create(code: str, name: str, kind: str, region_code: str, funding: str | None) -> None:
    """Register a sponsor."""
    made = create_sponsor(
        principal=system(), code=code, name=name, kind=kind, region_code=region_code, funding=funding
    )
    label = "Pemberi dana" if language() == "id" else "Sponsor"
    click.echo(f"{label} {made.id}: {made.code} ({made.kind}, {made.region_code}, {made.funding})")


@sponsors.command("list")
@click.option("--json", "as_json", is_flag=True)
def sponsors_list(as_json: bool) -> None:
    """Every sponsor."""
    found = list_sponsors(principal=system())
    if as_json:
        click.echo(json.dumps([s.to_json() for s in found], ensure_ascii=False, indent=2))
        return
    for s in found:
        click.echo(f"{s.id:>5}  {s.code:<20} {s.kind:<9} {s.region_code:<10} {s.funding:<5} {s.name}")


@sponsors.group("budget")
def budget() -> None:
    """Fiscal-year budgets (APBD, APBD-P) of a sponsor."""


@budget.command("add")
@click.argument("sponsor")
@click.option("--year", "fiscal_year", type=int, required=True, help="Fiscal year (the calendar year).")
@click.option("--amount", required=True, help="Rupiah, e.g. 2016000000 or 2.016.000.000.")
@click.option("--stage", type=click.Choice(BUDGET_STAGES), default="apbd", show_default=True)
@click.option("--from", "first", help="First funded month, YYYY-MM (default: January).")
@click.option("--to", "last", help="Last funded month, YYYY-MM (default: December).")
@click.option("--document", default="", help="The budget document, e.g. the DPA number.")
def budget_add(
    sponsor: str,
    fiscal_year: int,
    amount: str,
    stage: str,
    first: str | None,
    last: str | None,
    document: str,
) -> None:
    """Record a sponsor's budget for a fiscal year."""
    made = add_budget(
        principal=system(),
        sponsor=sponsor,
        fiscal_year=fiscal_year,
        amount=parse_rupiah(amount),
        stage=stage,
        first_month=Month.parse(first) if first else None,
        last_month=Month.parse(last) if last else None,
        document=document,
    )
    click.echo(
        f"{made.fiscal_year} {made.stage}: {rupiah(made.amount)} "
        f"({made.from_month} – {made.to_month.plus(-1)}, {made.months} months)"
    )


@budget.command("list")
@click.argument("sponsor")
@click.option("--json", "as_json", is_flag=True)
def budget_list(sponsor: str, as_json: bool) -> None:
    """A sponsor's budgets."""
    found = list_budgets(principal=system(), sponsor=sponsor)
    if as_json:
        click.echo(json.dumps([b.to_json() for b in found], ensure_ascii=False, indent=2))
        return
    for b in found:
        click.echo(
            f"{b.fiscal_year}  {b.stage:<7} {rupiah(b.amount):>20}  "
            f"{b.from_month} – {b.to_month.plus(-1)}  {b.document}"
        )


@sponsors.command("target")
@click.argument("sponsor")
@click.option("--scope", help="Region codes where its people live, comma-separated (default: its region).")
@click.option("--desil-max", type=int, help="Highest desil funded (default 4).")
@click.option("--occupations", help="Occupation codes, comma-separated (default: any).")
@click.option("--sex", type=click.Choice(["M", "F"]), help="Only this sex (default: both).")
@click.option("--age-min", type=int, help="Youngest age funded (default 15).")
@click.option("--age-max", type=int, help="Oldest age funded (default 65).")
@click.option("--employment", type=click.Choice(EMPLOYMENT_KINDS), help="Default informal.")
@click.option("--priority", help=f"Order keys, comma-separated, from: {', '.join(PRIORITY_KEYS)}.")
@click.option("--programs", help="jkk,jkm (default) or jkk,jkm,jht.")
@click.option("--income", help="Declared income level in Rupiah (default 1.000.000).")
@click.option("--show", is_flag=True, help="Show the current target instead of setting one.")
@click.option("--json", "as_json", is_flag=True)
def sponsors_target(sponsor: str, show: bool, as_json: bool, **given: Any) -> None:
    """Set (a new version of) whom a sponsor funds, in what order, with what package."""
    if show:
        target = get_target(principal=system(), sponsor=sponsor)
    else:
        rule = {
            k: v
            for k, v in {
                "desil_max": given["desil_max"],
                "occupations": given["occupations"],
                "sex": given["sex"],
                "age_min": given["age_min"],
                "age_max": given["age_max"],
                "employment": given["employment"],
            }.items()
            if v is not None
        }
        package: dict[str, Any] = {}
        if given["programs"]:
            package["programs"] = given["programs"]
        if given["income"]:
            package["income"] = parse_rupiah(given["income"])
        target = set_target(
            principal=system(),
            sponsor=sponsor,
            scope=given["scope"],
            rule=rule,
            priority=given["priority"],
            package=package,
        )
    if as_json:
        click.echo(json.dumps(target.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(f"version {target.version}: scope {', '.join(target.scope)}")
    click.echo(f"  rule      {json.dumps(target.rule.to_json(), ensure_ascii=False)}")
    click.echo(f"  priority  {', '.join(target.priority)}")
    click.echo(f"  package   {', '.join(target.package.programs)} at {rupiah(target.package.income)}")


@sponsors.command("ledger")
@click.argument("sponsor")
@click.option("--year", "fiscal_year", type=int, required=True, help="Fiscal year.")
@click.option("--json", "as_json", is_flag=True)
def sponsors_ledger(sponsor: str, fiscal_year: int, as_json: bool) -> None:
    """Allocated → committed → billed → paid, month by month, with the burn-rate projection."""
    ledger = budget_ledger(principal=system(), sponsor=sponsor, fiscal_year=fiscal_year)
    if as_json:
        click.echo(json.dumps(ledger.to_json(), ensure_ascii=False, indent=2))
        return
    english = language() != "id"
    allocated = "—" if ledger.allocated is None else rupiah(ledger.allocated)
    click.echo(f"{ledger.sponsor} {ledger.fiscal_year}: {'allocated' if english else 'pagu'} {allocated}")
    header = (
        ("month", "members", "committed", "billed", "paid")
        if english
        else ("bulan", "peserta", "komitmen", "ditagih", "dibayar")
    )
    click.echo(f"{header[0]:<9}{header[1]:>9}{header[2]:>20}{header[3]:>20}{header[4]:>20}")
    for m in ledger.months:
        click.echo(
            f"{m.month:<9}{m.members:>9,}{rupiah(m.committed):>20}{rupiah(m.billed):>20}{rupiah(m.paid):>20}"
        )
    click.echo(
        f"{'total':<18}{rupiah(ledger.committed):>20}{rupiah(ledger.billed):>20}{rupiah(ledger.paid):>20}"
    )
    click.echo(
        f"{'burn a month' if english else 'serapan per bulan'}: {rupiah(ledger.burn_per_month)}; "
        f"{'projected by year end' if english else 'proyeksi akhir tahun'}: {rupiah(ledger.projected_paid)}"
    )
    for warning in ledger.warnings:
        click.echo(f"! {warning}")


@sponsors.command("cliffs")
@click.argument("sponsor")
@click.option("--within-days", type=int, default=120, show_default=True)
@click.option("--date", "on", help="As of this day, YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True)
def sponsors_cliffs(sponsor: str, within_days: int, on: str | None, as_json: bool) -> None:
    """Where the sponsor's funding ends, how many members lose their payer, and who is undecided."""
    report = cliffs.cliffs(
        principal=system(), sponsor=sponsor, on=parse_date(on) if on else None, within_days=within_days
    )
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    english = language() != "id"
    for m in report.months:
        decided = ", ".join(f"{k} {v:,}" for k, v in m.decided.items()) or "-"
        click.echo(
            f"{m.ends_on}: {m.members:,} {'members' if english else 'peserta'}; "
            f"{'undecided' if english else 'belum diputuskan'} {m.undecided:,}; "
            f"{'decided' if english else 'diputuskan'} {decided}; "
            f"{'lapse from' if english else 'nonaktif mulai'} {m.lapse_from}"
        )
    if not report.months:
        click.echo("no funding ends in the window" if english else "tidak ada pendanaan yang berakhir")


@sponsors.command("transition")
@click.argument("sponsor")
@click.option("--ends-on", required=True, help="The first unfunded month, YYYY-MM.")
@click.option("--action", type=click.Choice(TRANSITIONS), required=True)
@click.option("--months", type=int, help="For renew and handover: how many months the payer pays on.")
@click.option("--to", "to_sponsor", help="For handover: the sponsor taking over.")
@click.option(
    "--participant", "participants", multiple=True, help="Only these members (default: all undecided)."
)
def sponsors_transition(
    sponsor: str,
    ends_on: str,
    action: str,
    months: int | None,
    to_sponsor: str | None,
    participants: tuple[str, ...],
) -> None:
    """Decide what happens to members whose funding ends: renew, hand over, or self-pay."""
    decision = cliffs.decide(
        principal=system(),
        sponsor=sponsor,
        ends_on=Month.parse(ends_on),
        action=action,
        participant_numbers=list(participants) or None,
        to_sponsor=to_sponsor,
        months=months,
    )
    click.echo(
        f"{decision.sponsor} {decision.ends_on} {decision.action}: {decision.decided:,} decided"
        f" ({decision.already_decided:,} had a decision already)"
    )


@sponsors.command("drift")
@click.argument("sponsor")
@click.option("--old", required=True, help="The earlier snapshot.")
@click.option("--new", required=True, help="The newer snapshot.")
@click.option("--json", "as_json", is_flag=True)
def sponsors_drift(sponsor: str, old: str, new: str, as_json: bool) -> None:
    """Sponsored members a new snapshot says died, left, moved away or rose above the cut-off."""
    review = drift.review_drift(principal=system(), sponsor=sponsor, old=old, new=new)
    if as_json:
        click.echo(json.dumps(review.to_json(), ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"{review.sponsor} {review.diff_id}: {review.counts}; undecided {review.undecided:,}")
    for item in review.items:
        click.echo(
            f"  #{item.id:<6} {item.participant_number}  {item.change:<20} funded to {item.funded_to}"
            f"  {item.decision or '-'}  {json.dumps(item.details, ensure_ascii=False)}"
        )


@sponsors.command("drift-decide")
@click.argument("sponsor")
@click.option("--item", "items", type=int, multiple=True, required=True, help="Review item id; repeatable.")
@click.option("--decision", type=click.Choice(DRIFT_DECISIONS), required=True)
def sponsors_drift_decide(sponsor: str, items: tuple[int, ...], decision: str) -> None:
    """Keep to the end of the funded period, or end the sponsorship from next month."""
    decided = drift.decide_drift(principal=system(), sponsor=sponsor, item_ids=list(items), decision=decision)
    click.echo(f"{decided:,} decided ({decision})")
