"""CLI: `jaring db upgrade` and `jaring audit verify`."""

from __future__ import annotations

import json
import sys

import click

from jaring.kit.i18n import language


@click.group()
def db() -> None:
    """The store: schema migrations (Penyimpanan: migrasi skema)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the store's schema to the newest migration (safe to repeat)."""
    from jaring.kit import config
    from jaring.kit import db as store

    store.store()
    url = config.database_url()
    where = url.split("@")[-1] if "@" in url else url
    click.echo(("Skema mutakhir: " if language() == "id" else "Schema is up to date: ") + where)


@click.group()
def audit() -> None:
    """The audit trail (Jejak audit)."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def audit_verify(as_json: bool) -> None:
    """Recompute the hash chain of every audit event and name the first broken link.
    Exits 1 when the chain does not hold."""
    from jaring.kit.audit import verify

    verdict = verify()
    if as_json:
        click.echo(json.dumps(verdict.to_json()))
    elif verdict.intact:
        click.echo(
            f"Rantai audit utuh: {verdict.events} kejadian."
            if language() == "id"
            else f"The audit chain holds: {verdict.events} events."
        )
    else:
        click.echo(
            f"Rantai audit putus pada kejadian {verdict.broken_at}: {verdict.reason} "
            f"({verdict.events} kejadian sebelumnya utuh)."
            if language() == "id"
            else f"The audit chain breaks at event {verdict.broken_at}: {verdict.reason} "
            f"({verdict.events} events before it hold).",
            err=True,
        )
    if not verdict.intact:
        sys.exit(1)
