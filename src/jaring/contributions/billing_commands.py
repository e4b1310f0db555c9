"""CLI: `jaring billing run | prepay | charges | invoice | invoices`.

The console operator acts as the national admin (`kit.auth.system`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jaring.kit.auth import system
from jaring.kit.i18n import language
from jaring.kit.money import format_rupiah
from jaring.kit.periods import Month, PeriodError

TEXT: dict[str, tuple[str, str]] = {
    "billing": ("Penagihan", "Billing"),
    "run": ("Penagihan periode", "Billing run for"),
    "scope": ("Wilayah", "Scope"),
    "national": ("nasional", "national"),
    "rows_in": ("Peserta-bulan yang ditinjau", "Member-months considered"),
    "created": ("Tagihan dibuat", "Charges created"),
    "amount": ("Jumlah tagihan", "Amount billed"),
    "already": ("Sudah ditagih sebelumnya", "Already billed"),
    "self": ("Bayar sendiri", "Self-paid"),
    "sponsor": ("Pemberi dana", "Sponsored"),
    "invoices": ("Faktur", "Invoices"),
    "skipped": ("Tidak ditagih", "Not billed"),
    "tariffs": ("Tarif dipakai", "Tariffs used"),
    "duration": ("Durasi", "Duration"),
    "month": ("Bulan", "Month"),
    "payer": ("Pembayar", "Payer"),
    "invoice": ("Faktur", "Invoice"),
    "total": ("Total", "Total"),
    "participant": ("No. peserta", "Participant"),
    "region": ("Wilayah", "Region"),
    "members": ("Peserta", "Members"),
    "period": ("Periode", "Period"),
    "control": ("Total kendali dari tagihan", "Control totals from the charges"),
    "balanced": ("cocok", "balanced"),
    "unbalanced": ("TIDAK COCOK", "DO NOT MATCH"),
    "none": ("Tidak ada.", "None."),
    "more_lines": ("baris berikutnya: --offset", "next lines: --offset"),
    "progress": ("Menagih", "Billing"),
}
REASONS: dict[str, tuple[str, str]] = {
    "segment_not_billed_here": (
        "peserta penerima upah/PMI (ditagih lewat pemberi kerja)",
        "wage earners/migrant workers (billed through the employer)",
    ),
    "sponsor_outside_scope": ("pemberi dana di luar wilayah Anda", "sponsor outside your region"),
    "already_invoiced_period": (
        "ditambahkan setelah faktur periode ini terbit",
        "added after this period's invoice was issued",
    ),
    "income_not_accepted": ("penghasilan tidak sesuai tingkat yang berlaku", "income not an accepted level"),
    "programs_invalid": ("program tidak sah untuk BPU", "programs not valid for BPU"),
    "sector_invalid": ("sektor tidak dikenal", "unknown sector"),
    "funding_invalid": ("sumber dana tidak dikenal", "unknown funding"),
    "rules_not_in_force": ("aturan belum berlaku pada bulan itu", "no rules in force that month"),
}


def _t(key: str) -> str:
    return TEXT[key][0 if language() == "id" else 1]


def _reason(key: str) -> str:
    pair = REASONS.get(key)
    return f"{key} ({pair[0 if language() == 'id' else 1]})" if pair else key


def _count(value: int) -> str:
    return f"{value:,}".replace(",", "." if language() == "id" else ",")


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _console() -> Console:
    return Console(width=None if sys.stdout.isatty() else 140, soft_wrap=False)


def _month(_ctx: click.Context, param: click.Parameter, value: str | None) -> Month | None:
    if value is None:
        return None
    try:
        return Month.parse(value)
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param=param) from None


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar (one step per chunk or invoice) on a terminal; silent when piped."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = [TextColumn(_t("progress")), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("billing", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@click.group()
def billing() -> None:
    """Billing (Penagihan iuran): monthly runs, prepayments, sponsor invoices."""


@billing.command("run")
@click.option("--period", required=True, callback=_month, help="The month to bill, YYYY-MM.")
@click.option("--chunk", type=click.IntRange(min=1), default=200_000, show_default=True,
              help="Member ids per transaction.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def billing_run(period: Month, chunk: int, as_json: bool) -> None:
    """Bill every billable member-month of a period once (safe to repeat or resume)."""
    from jaring.contributions.billing import run_billing

    with _progress() as progress:
        report = run_billing(principal=system(), period=period, chunk=chunk, progress=progress)
    if as_json:
        _echo_json(report.to_json())
        return
    table = Table(title=f"{_t('run')} {report.period}", show_header=False)
    table.add_column()
    table.add_column(justify="right")
    table.add_row(_t("scope"), report.scope or _t("national"))
    table.add_row(_t("rows_in"), _count(report.rows_in))
    table.add_row(_t("created"), _count(report.charges_created))
    table.add_row(_t("amount"), format_rupiah(report.amount_total))
    for kind in ("self", "sponsor"):
        totals = report.by_payer[kind]
        table.add_row(f"  {_t(kind)}", f"{_count(totals.charges)} · {format_rupiah(totals.amount)}")
    table.add_row(_t("invoices"), _count(len(report.invoices)))
    table.add_row(_t("already"), _count(report.already_billed))
    for reason, value in report.skipped.items():
        table.add_row(f"{_t('skipped')}: {_reason(reason)}", _count(value))
    table.add_row(_t("tariffs"), _count(report.tariffs))
    table.add_row(_t("duration"), f"{report.duration_seconds:.1f} s")
    _console().print(table)
    for warning in report.warnings:
        click.echo(f"! {warning}", err=True)


def _charges_table(rows: list[Any], title: str) -> Table:
    table = Table(title=title)
    for name, justify in (("month", "left"), ("payer", "left"), ("invoice", "left"), ("total", "right")):
        table.add_column(_t(name), justify=justify)  # type: ignore[arg-type]
    for charge in rows:
        payer = charge.sponsor_code or _t("self")
        table.add_row(str(charge.month), payer, charge.invoice_number or "", format_rupiah(charge.amount))
    return table


@billing.command("prepay")
@click.option("--participant", required=True, help="Participant number (11 digits).")
@click.option("--months", type=int, required=True, help="How many months ahead: 3, 6 or 12.")
@click.option("--start", callback=_month, help="First month, YYYY-MM (default: the first uncharged one).")
@click.option("--json", "as_json", is_flag=True, help="Print the charges as JSON.")
def billing_prepay(participant: str, months: int, start: Month | None, as_json: bool) -> None:
    """Bill a self-paying BPU member several months ahead (months already billed are kept)."""
    from jaring.contributions.billing import prepay

    found = prepay(principal=system(), participant_number=participant, months=months, start=start)
    if as_json:
        _echo_json([c.to_json() for c in found])
        return
    table = _charges_table(found, participant)
    table.add_row(_t("total"), "", "", format_rupiah(sum(c.amount for c in found)))
    _console().print(table)


@billing.command("charges")
@click.option("--participant", required=True, help="Participant number (11 digits).")
@click.option("--json", "as_json", is_flag=True, help="Print the charges as JSON.")
def billing_charges(participant: str, as_json: bool) -> None:
    """A member's charges month by month (payments and arrears: `jaring coverage`)."""
    from jaring.contributions.billing import member_charges

    found = member_charges(principal=system(), participant_number=participant)
    if as_json:
        _echo_json(found.to_json())
        return
    if not found.charges:
        click.echo(_t("none"))
        return
    table = _charges_table(found.charges, found.participant_number)
    table.add_row(_t("total"), "", "", format_rupiah(found.total))
    _console().print(table)


@billing.command("invoice")
@click.argument("number")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True, help="Lines to show.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Lines to skip.")
@click.option("--json", "as_json", is_flag=True, help="Print the invoice as JSON.")
def billing_invoice(number: str, limit: int, offset: int, as_json: bool) -> None:
    """One sponsor invoice: its lines and its control totals recomputed from the charges."""
    from jaring.contributions.billing import get_invoice

    detail = get_invoice(principal=system(), number=number, limit=limit, offset=offset)
    if as_json:
        _echo_json(detail.to_json())
        return
    invoice = detail.invoice
    click.echo(f"{_t('invoice')} {invoice.number} · {invoice.sponsor_code} {invoice.sponsor_name}")
    click.echo(f"{_t('period')} {invoice.period} · {_t('region')} {invoice.region_code}")
    click.echo(f"{_t('members')} {_count(invoice.members)} · {_t('total')} {format_rupiah(invoice.total)}")
    verdict = _t("balanced") if detail.balanced else _t("unbalanced")
    control = f"{_count(detail.charged_members)} · {format_rupiah(detail.charged_total)}"
    click.echo(f"{_t('control')}: {control} ({verdict})")
    table = Table()
    for name, justify in (("participant", "left"), ("region", "left"), ("total", "right")):
        table.add_column(_t(name), justify=justify)  # type: ignore[arg-type]
    for line in detail.lines:
        table.add_row(line.participant_number, line.region_code, format_rupiah(line.amount))
    _console().print(table)
    shown = offset + len(detail.lines)
    if shown < invoice.members:
        click.echo(f"… {_count(invoice.members - shown)} {_t('more_lines')} {shown}")
    if not detail.balanced:
        sys.exit(1)


@billing.command("invoices")
@click.option("--sponsor", help="Only this sponsor's invoices (its code).")
@click.option("--period", callback=_month, help="Only this month, YYYY-MM.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def billing_invoices(sponsor: str | None, period: Month | None, as_json: bool) -> None:
    """Sponsor invoices, newest period first."""
    from jaring.contributions.billing import list_invoices

    found = list_invoices(principal=system(), sponsor=sponsor, period=period)
    if as_json:
        _echo_json([i.to_json() for i in found])
        return
    if not found:
        click.echo(_t("none"))
        return
    table = Table()
    for name, justify in (
        ("invoice", "left"),
        ("sponsor", "left"),
        ("period", "left"),
        ("region", "left"),
        ("members", "right"),
        ("total", "right"),
    ):
        table.add_column(_t(name), justify=justify)  # type: ignore[arg-type]
    for invoice in found:
        table.add_row(
            invoice.number,
            invoice.sponsor_code,
            str(invoice.period),
            invoice.region_code,
            _count(invoice.members),
            format_rupiah(invoice.total),
        )
    _console().print(table)
