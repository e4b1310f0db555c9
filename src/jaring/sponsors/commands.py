"""CLI: `jaring sponsors create|list` (budgets, targets and packages come with the sponsors'
workflow; the core needs a sponsor to name as payer of record)."""

from __future__ import annotations

import json

import click

from jaring.kit.auth import system
from jaring.kit.i18n import language
from jaring.sponsors.model import SPONSOR_KINDS
from jaring.sponsors.service import FUNDINGS, create_sponsor, list_sponsors


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
