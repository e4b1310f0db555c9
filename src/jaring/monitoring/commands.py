"""CLI: `jaring monitoring refresh`: bring the dashboard's roll-ups up to date now, closing the
month that ended into the coverage history. Pages do this themselves on their first view of a
month; a daily scheduled run (cron, a systemd timer) makes sure no month goes unrecorded even
when nobody looks, and that the first reader of a month does not wait for the rebuild."""

from __future__ import annotations

import json

import click
from rich.console import Console

from jaring.kit.i18n import language

TEXT = {
    "none": ("Ringkasan cakupan sudah mutakhir.", "The coverage roll-up is up to date."),
    "regencies": ("{n} kabupaten/kota dihitung ulang.", "{n} regencies recounted."),
    "full": ("Ringkasan dibangun ulang untuk {month}: {n} kabupaten/kota.",
             "The roll-up was rebuilt for {month}: {n} regencies."),
    "closed": ("Bulan {month} ditutup ke riwayat cakupan.", "{month} was closed into the coverage history."),
}  # fmt: skip


def _t(key: str, **values: object) -> str:
    pair = TEXT[key]
    return (pair[1] if language() == "en" else pair[0]).format(**values)


@click.group()
def monitoring() -> None:
    """Coverage monitoring (Pemantauan cakupan): the dashboard's roll-ups and history."""


@monitoring.command("refresh")
@click.option("--full", is_flag=True, help="Rebuild everything, not only the regencies marked as changed.")
@click.option("--json", "as_json", is_flag=True)
def monitoring_refresh(full: bool, as_json: bool) -> None:
    """Recount what changed; in a new month, close the old one first."""
    from jaring.monitoring import rollup

    before = rollup.state()
    done = rollup.refresh(full=full)
    after = rollup.state()
    closed = before.month if before.month is not None and before.month != after.month else None
    if as_json:
        click.echo(
            json.dumps(
                {
                    "kind": done.kind,
                    "regencies": done.regencies,
                    "month": None if after.month is None else after.month.isoformat()[:7],
                    "closed": None if closed is None else closed.isoformat()[:7],
                }
            )
        )
        return
    console = Console()
    if closed is not None:
        console.print(_t("closed", month=closed.isoformat()[:7]))
    month = "" if after.month is None else after.month.isoformat()[:7]
    console.print(_t(done.kind, n=done.regencies, month=month))
