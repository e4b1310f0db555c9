"""CLI: `jaring payments`, `jaring channels`, `jaring coverage`, `jaring ledger`, `jaring reconcile`."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from jaring.kit.auth import system
from jaring.kit.errors import BadInput
from jaring.kit.i18n import language
from jaring.kit.money import format_rupiah


def _id() -> bool:
    return language() == "id"


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _date(value: str | None, name: str) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"--{name} {value!r} is not a date; write it as YYYY-MM-DD") from None


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"--{name} {value!r} is not a date and time; e.g. 2026-05-10T09:30:00+07:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@click.group()
def channels() -> None:
    """Payment channels (Kanal pembayaran): banks and aggregators that post payments."""


@channels.command("create")
@click.option("--code", required=True, help="Short code, e.g. BANK-JATIM.")
@click.option("--name", required=True, help="The channel's name.")
def channels_create(code: str, name: str) -> None:
    """Register a channel and print its HMAC secret (shown once; give it to the channel)."""
    from jaring.contributions.channels import create_channel

    made = create_channel(principal=system(), code=code, name=name)
    click.echo(f"{'Kanal' if _id() else 'Channel'} {made.code}: {made.name}")
    click.echo(
        ("Rahasia HMAC (hanya ditampilkan sekali): " if _id() else "HMAC secret (shown once): ") + made.secret
    )


@click.group()
def payments() -> None:
    """Payments (Pembayaran iuran)."""


@payments.command("record")
@click.option("--channel", required=True, help="The channel code the money came through.")
@click.option("--reference", required=True, help="Participant number, virtual account or invoice number.")
@click.option("--amount", type=int, required=True, help="Whole Rupiah.")
@click.option("--paid-at", help="When it was paid (default now), e.g. 2026-05-10T09:30:00+07:00.")
@click.option("--key", help="Idempotency key (default: a new one); repeat it to repeat safely.")
@click.option("--bank-ref", help="The bank's transaction id.")
@click.option("--json", "as_json", is_flag=True)
def payments_record(
    channel: str,
    reference: str,
    amount: int,
    paid_at: str | None,
    key: str | None,
    bank_ref: str | None,
    as_json: bool,
) -> None:
    """Record a payment received at a counter (the same path as the signed API)."""
    from jaring.contributions.payments import record_payment

    result = record_payment(
        channel=channel.strip().upper(),
        idempotency_key=key or f"cli-{uuid.uuid4()}",
        reference=reference,
        amount=amount,
        paid_at=_moment(paid_at, "paid-at") or datetime.now(UTC),
        bank_ref=bank_ref,
    )
    _show_payment(result.to_json(), as_json)


def _show_payment(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _echo_json(data)
        return
    label = "Pembayaran" if _id() else "Payment"
    if data["kind"] == "reversal":
        label = "Pembatalan" if _id() else "Reversal"
    click.echo(f"{label} {data['payment_id']} ({data['reference']}): {format_rupiah(data['amount'])}")
    click.echo(f"  {'dialokasikan' if _id() else 'allocated'}: {format_rupiah(data['allocated'])}")
    if data["months"]:
        click.echo(f"  {'bulan' if _id() else 'months'}: {', '.join(data['months'])}")
    if data["credit"]:
        click.echo(f"  {'saldo lebih' if _id() else 'credit'}: {format_rupiah(data['credit'])}")
    if data["replayed"]:
        click.echo(
            "  " + ("sudah tercatat sebelumnya; tidak ada yang berubah" if _id() else "already recorded")
        )


@payments.command("reverse")
@click.argument("payment_id", type=int)
@click.option("--reason", required=True, help="Why the money is taken back.")
@click.option("--json", "as_json", is_flag=True)
def payments_reverse(payment_id: int, reason: str, as_json: bool) -> None:
    """Reverse a payment (a new negative row; nothing is edited)."""
    from jaring.contributions.payments import reverse_payment

    result = reverse_payment(actor=system().actor, payment_id=payment_id, reason=reason)
    _show_payment(result.to_json(), as_json)


@payments.command("list")
@click.option("--reference", help="Only this participant or invoice number.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50)
@click.option("--json", "as_json", is_flag=True)
def payments_list(reference: str | None, limit: int, as_json: bool) -> None:
    """The latest payments."""
    from jaring.contributions.payments import list_payments

    found = [p.to_json() for p in list_payments(principal=system(), reference=reference, limit=limit)]
    if as_json:
        _echo_json(found)
        return
    for p in found:
        click.echo(
            f"{p['payment_id']:>8}  {p['paid_at'][:19]}  {p['channel']:<12} {p['reference']:<22} "
            f"{format_rupiah(p['amount']):>16}  {p['kind']}"
        )


@click.group()
def coverage() -> None:
    """Coverage (Status perlindungan): is a member protected on a date?"""


@coverage.command("check")
@click.option("--participant", required=True, help="The 11-digit participant number.")
@click.option("--date", "on", help="The date asked about (default today), YYYY-MM-DD.")
@click.option("--as-of", help="Count only payments received by then (default now).")
@click.option("--json", "as_json", is_flag=True)
def coverage_check(participant: str, on: str | None, as_of: str | None, as_json: bool) -> None:
    """Status on a date: not_started, active, arrears (up to 3 months) or lapsed."""
    from jaring.contributions.coverage import check

    found = check(
        principal=system(),
        participant_number=participant,
        on=_date(on, "date"),
        as_of=_moment(as_of, "as-of"),
    ).to_json()
    if as_json:
        _echo_json(found)
        return
    labels = {
        "not_started": (
            "belum mulai (terdaftar, iuran pertama belum lunas)",
            "not started (registered, unpaid)",
        ),
        "active": ("aktif", "active"),
        "arrears": ("menunggak", "in arrears"),
        "lapsed": ("tidak aktif (tunggakan lebih dari 3 bulan)", "lapsed (more than 3 months unpaid)"),
    }
    status = labels[found["status"]][0 if _id() else 1]
    click.echo(f"{found['participant_number']} {'pada' if _id() else 'on'} {found['date']}: {status}")
    click.echo(f"  {'lunas s.d.' if _id() else 'paid through'}: {found['paid_through'] or '-'}")
    click.echo(f"  {'bulan tertunggak' if _id() else 'months in arrears'}: {found['months_in_arrears']}")
    for name, detail in found["programs"].items():
        click.echo(f"  {name.upper()}: {json.dumps(detail, ensure_ascii=False)}")
    if found["lapses_on"]:
        click.echo(f"  {'nonaktif mulai' if _id() else 'lapses on'}: {found['lapses_on']} "
                   f"{'jika tidak dibayar' if _id() else 'unless paid'}")  # fmt: skip


@coverage.command("history")
@click.option("--participant", required=True)
@click.option("--json", "as_json", is_flag=True)
def coverage_history(participant: str, as_json: bool) -> None:
    """Month by month: charged, paid, and the status at each month's end."""
    from jaring.contributions.coverage import history

    records = [vars(r) for r in history(principal=system(), participant_number=participant)]
    if as_json:
        _echo_json(records)
        return
    for r in records:
        click.echo(
            f"{r['month']}  {format_rupiah(r['charged']):>12}  {format_rupiah(r['paid']):>12}  "
            f"{r['paid_on'] or '-':<10}  {r['status_at_month_end']}"
        )


@coverage.command("warnings")
@click.option("--date", "on", help="Today (default), YYYY-MM-DD.")
@click.option("--within-days", type=click.IntRange(0, 366), default=60, help="Funding-end window.")
@click.option("--json", "as_json", is_flag=True)
def coverage_warnings(on: str | None, within_days: int, as_json: bool) -> None:
    """Members one month from lapsing; sponsored members whose funding ends soon."""
    from jaring.contributions.coverage import warnings

    found = warnings(principal=system(), on=_date(on, "date"), within_days=within_days).to_json()
    if as_json:
        _echo_json(found)
        return
    click.echo(
        f"{len(found['lapse_soon'])} "
        + (
            "peserta akan nonaktif dalam sebulan jika tidak membayar"
            if _id()
            else "members lapse within a month"
        )
    )
    for r in found["lapse_soon"][:20]:
        click.echo(
            f"  {r['participant_number']}  {r['region_code']}  {r['paid_through']}  -> {r['lapses_on']}"
        )
    click.echo(
        f"{len(found['funding_ending'])} "
        + ("peserta yang pendanaannya berakhir" if _id() else "sponsored members whose funding ends")
        + f" ({within_days} {'hari' if _id() else 'days'})"
    )


@click.group()
def ledger() -> None:
    """The ledger (Buku besar iuran)."""


@ledger.command("check")
@click.option("--json", "as_json", is_flag=True)
def ledger_check(as_json: bool) -> None:
    """Check billed = paid + outstanding, received = allocated + credit, and claim payouts
    against their decisions; exit 1 if not."""
    from jaring.contributions.ledger import check

    result = check(principal=system())
    if as_json:
        _echo_json(result.to_json())
    else:
        rows = [
            ("ditagih" if _id() else "billed", result.billed),
            ("diterima" if _id() else "received", result.received),
            ("dialokasikan" if _id() else "allocated", result.allocated),
            ("terutang" if _id() else "outstanding", result.outstanding),
            ("saldo lebih" if _id() else "credit", result.credit),
            ("manfaat dibayar" if _id() else "benefits paid", result.benefits_paid),
            ("ganti rugi" if _id() else "compensation", result.compensation_paid),
        ]
        for label, value in rows:
            click.echo(f"{label:<16}{format_rupiah(value):>22}")
        if result.holds:
            click.echo("Buku besar seimbang." if _id() else "The ledger balances.")
        for problem in result.problems:
            click.echo(f"  ! {problem}")
    if not result.holds:
        sys.exit(1)


@click.group()
def reconcile() -> None:
    """Bank-statement reconciliation (Rekonsiliasi rekening koran)."""


@reconcile.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--channel", required=True, help="The channel whose statement this is.")
@click.option("--json", "as_json", is_flag=True)
def reconcile_import(file: Path, channel: str, as_json: bool) -> None:
    """Match a statement CSV (bank_ref,date,reference,amount) against recorded payments."""
    from jaring.contributions.reconciliation import import_statement

    report = import_statement(principal=system(), path=file, channel=channel).to_json()
    if as_json:
        _echo_json(report)
        return
    for key in ("rows", "matched", "posted", "exceptions"):
        click.echo(f"{key:<12}{report[key]:>10}")
    for kind, n in report["by_kind"].items():
        click.echo(f"  {kind:<20}{n:>8}")
    if report["repeat"]:
        click.echo("Berkas ini sudah diimpor; tidak ada yang berubah." if _id() else "Already imported.")


@reconcile.command("exceptions")
@click.option("--all", "show_all", is_flag=True, help="Resolved ones too.")
@click.option("--json", "as_json", is_flag=True)
def reconcile_exceptions(show_all: bool, as_json: bool) -> None:
    """The exception queue."""
    from jaring.contributions.reconciliation import list_exceptions

    found = [e.to_json() for e in list_exceptions(principal=system(), open_only=not show_all)]
    if as_json:
        _echo_json(found)
        return
    for e in found:
        click.echo(
            f"{e['id']:>6}  {e['kind']:<18} {e['bank_ref'] or '-':<20} {e['reference'] or '-':<20} "
            f"{e['status']:<9} {e['detail']}"
        )


@reconcile.command("resolve")
@click.argument("exception_id", type=int)
@click.option("--note", required=True, help="What was done about it.")
def reconcile_resolve(exception_id: int, note: str) -> None:
    """Close an exception with a note (audited)."""
    from jaring.contributions.reconciliation import resolve_exception

    resolve_exception(principal=system(), exception_id=exception_id, note=note)
    click.echo("Selesai." if _id() else "Resolved.")
