"""CLI: `jaring claims kinds | report-accident | file | documents | verify | approve | reject |
pay | show | list`.

The console operator acts as the national admin unless `--user NAME` (or `JARING_USER`) names
an account; its password is asked for, or read from `JARING_PASSWORD` in scripts. Maker-checker
holds here too: whoever verified a claim cannot approve it, so approving at the console takes
a second account.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from jaring.kit.auth import Principal, system
from jaring.kit.errors import BadInput
from jaring.kit.i18n import language
from jaring.kit.money import format_rupiah
from jaring.kit.periods import PeriodError, parse_date

TEXT: dict[str, tuple[str, str]] = {
    "claim": ("Klaim", "Claim"),
    "status": ("Status", "Status"),
    "member": ("Peserta", "Member"),
    "event": ("Tanggal kejadian", "Event date"),
    "total": ("Jumlah manfaat", "Benefit"),
    "now": ("Dibayar sekarang", "Payable now"),
    "rest": ("Setelah tunggakan dilunasi", "After the arrears are paid"),
    "documents": ("Dokumen", "Documents"),
    "received": ("diterima", "received"),
    "missing": ("belum", "missing"),
    "due": ("Batas bayar", "Payout due"),
    "working_days": ("hari kerja setelah dokumen lengkap", "working days after complete documents"),
    "overdue": ("Terlambat {days} hari; ganti rugi sejauh ini {amount}",
                "{days} days late; compensation so far {amount}"),
    "rejected": ("Ditolak ({code}): {reason}", "Rejected ({code}): {reason}"),
    "duplicate": ("Duplikat dari klaim {first}", "Duplicate of claim {first}"),
    "payout": ("Dibayar {paid_on}: {benefit} + ganti rugi {compensation} ({late} hari terlambat), ref {ref}",
               "Paid {paid_on}: {benefit} + compensation {compensation} ({late} days late), ref {ref}"),
    "report": ("Laporan kecelakaan {id}: {at}, batas laporan {deadline}{late}",
               "Accident report {id}: {at}, report due by {deadline}{late}"),
    "late": (" — TERLAMBAT", " — LATE"),
    "component": ("Komponen", "Component"),
    "amount": ("Jumlah", "Amount"),
    "reference": ("Dasar hukum", "Legal basis"),
    "none": ("Tidak ada klaim.", "No claims."),
}  # fmt: skip


def _t(key: str, **values: Any) -> str:
    pair = TEXT[key]
    return (pair[0] if language() == "id" else pair[1]).format(**values)


def _principal(user: str | None) -> Principal:
    """The console operator, or the named account after its password."""
    name = user or os.environ.get("JARING_USER")
    if not name:
        return system()
    from jaring.accounts.service import authenticate

    password = os.environ.get("JARING_PASSWORD") or click.prompt(f"Password for {name}", hide_input=True)
    return authenticate(username=name, password=password)


USER = click.option("--user", help="Act as this account (password asked, or JARING_PASSWORD).")
JSON = click.option("--json", "as_json", is_flag=True, help="Print the claim as JSON.")


def _date(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except PeriodError as error:
        raise BadInput(str(error), field=what) from None


def _details(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"--detail takes key=value, got {pair!r}", field="details")
        out[key.strip()] = value.strip()
    return out


def _rupiah(amount: int) -> str:
    return format_rupiah(amount)


def _show(view: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(view.to_json(), ensure_ascii=False, indent=2, default=str))
        return
    console = Console()
    click.echo(f"{_t('claim')} {view.id}: {view.kind_label} — {view.status_label}")
    click.echo(f"{_t('member')}: {view.participant_number}   {_t('event')}: {view.event_date}")
    if view.rejection:
        click.echo(_t("rejected", code=view.rejection["code"], reason=view.rejection["reason"]))
        if view.duplicate_of:
            click.echo(_t("duplicate", first=view.duplicate_of))
    if view.calculation and view.amount_total:
        table = Table(box=None)
        table.add_column(_t("component"))
        table.add_column(_t("amount"), justify="right")
        table.add_column(_t("reference"))
        for line in view.calculation["lines"]:
            table.add_row(line["label"], _rupiah(line["amount"]), line["reference"])
        console.print(table)
        click.echo(f"{_t('total')}: {_rupiah(view.amount_total)}   {_t('now')}: {_rupiah(view.amount_now)}")
        if view.amount_rest:
            click.echo(f"{_t('rest')}: {_rupiah(view.amount_rest)}")
        for note in view.calculation.get("notes", []):
            click.echo(f"  {note}")
    marks = [f"{d['code']} ({_t('received') if d['received'] else _t('missing')})" for d in view.documents]
    click.echo(f"{_t('documents')}: " + ", ".join(marks))
    clock = view.clock
    if clock.get("due_on"):
        click.echo(f"{_t('due')}: {clock['due_on']} ({clock['working_days']} {_t('working_days')})")
        if clock.get("overdue_days"):
            amount = _rupiah(int(clock.get("compensation_so_far", 0)))
            click.echo(_t("overdue", days=clock["overdue_days"], amount=amount))
    for p in view.payouts:
        click.echo(
            _t(
                "payout", paid_on=p["paid_on"], benefit=_rupiah(p["benefit"]),
                compensation=_rupiah(p["compensation"]), late=p["late_days"], ref=p["transfer_ref"],
            )
        )  # fmt: skip


@click.group()
def claims() -> None:
    """Claims and benefits (Klaim): JKK, JKM, JHT, JKP and PMI, from report to payout."""


@claims.command("kinds")
def claims_kinds() -> None:
    """The claim types and the documents each needs."""
    from jaring.claims.kinds import DOCUMENTS, KINDS

    index = 0 if language() == "id" else 1
    for kind in KINDS.values():
        click.echo(f"{kind.code:<15} {kind.label[index]}")
        click.echo("                " + ", ".join(f"{d} ({DOCUMENTS[d][index]})" for d in kind.documents))


@claims.command("report-accident")
@click.option("--participant", required=True, help="The member's participant number.")
@click.option("--at", "accident_at", required=True, help="When it happened, e.g. '2026-04-10 08:30' (WIB).")
@click.option("--reporter", type=click.Choice(["member", "family", "employer", "other"]), required=True)
@click.option("--kind", type=click.Choice(["accident", "disease"]), default="accident", show_default=True)
@USER
@JSON
def claims_report(
    participant: str, accident_at: str, reporter: str, kind: str, user: str | None, as_json: bool
) -> None:
    """Stage-I report of a work accident (due within 2 × 24 hours), or a suspected one."""
    from jaring.claims.reports import report_accident

    try:
        moment = datetime.fromisoformat(accident_at.strip())
    except ValueError:
        raise BadInput("--at is a date and time such as 2026-04-10 08:30", field="accident_at") from None
    report = report_accident(
        principal=_principal(user),
        participant_number=participant,
        accident_at=moment,
        reporter=reporter,
        kind=kind,
    )
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    late = _t("late") if report.late else ""
    click.echo(_t("report", id=report.id, at=report.accident_at, deadline=report.deadline, late=late))


@claims.command("file")
@click.option("--participant", required=True, help="The member's participant number.")
@click.option("--kind", required=True, help="A claim type (jaring claims kinds).")
@click.option("--event-date", help="Death, dismissal, retirement ... (YYYY-MM-DD); JKK: from the report.")
@click.option("--report", "report_id", type=int, help="JKK: the stage-I accident report.")
@click.option("--detail", "details", multiple=True, help="key=value the type needs, e.g. cost=7500000.")
@click.option("--claimant-relationship", help="spouse, child, parent, sibling ..., funeral_handler.")
@click.option("--claimant-name", help="The claimant's name.")
@click.option("--heir", "heirs", multiple=True, help="The relationship of every known heir (repeat).")
@click.option("--document", "documents", multiple=True, help="A document handed in with the claim (repeat).")
@USER
@JSON
def claims_file(
    participant: str,
    kind: str,
    event_date: str | None,
    report_id: int | None,
    details: tuple[str, ...],
    claimant_relationship: str | None,
    claimant_name: str | None,
    heirs: tuple[str, ...],
    documents: tuple[str, ...],
    user: str | None,
    as_json: bool,
) -> None:
    """File a claim; what the rules refuse is recorded as rejected, with the reason."""
    from jaring.claims.service import file_claim

    claimant = None
    if claimant_relationship or claimant_name:
        claimant = {"relationship": claimant_relationship or "", "name": claimant_name or ""}
    view = file_claim(
        principal=_principal(user),
        participant_number=participant,
        kind=kind,
        event_date=_date(event_date, "event_date"),
        report_id=report_id,
        details=_details(details),
        claimant=claimant,
        heirs_known=list(heirs),
        documents=list(documents),
        language=language(),
    )
    _show(view, as_json)


@claims.command("documents")
@click.argument("claim_id", type=int)
@click.argument("codes", nargs=-1, required=True)
@USER
@JSON
def claims_documents(claim_id: int, codes: tuple[str, ...], user: str | None, as_json: bool) -> None:
    """Record documents handed in; the last one starts the payout clock."""
    from jaring.claims.service import receive_documents

    _show(
        receive_documents(
            principal=_principal(user), claim_id=claim_id, codes=list(codes), language=language()
        ),
        as_json,
    )


@claims.command("verify")
@click.argument("claim_id", type=int)
@USER
@JSON
def claims_verify(claim_id: int, user: str | None, as_json: bool) -> None:
    """Verify a claim whose documents are complete."""
    from jaring.claims.service import verify

    _show(verify(principal=_principal(user), claim_id=claim_id, language=language()), as_json)


@claims.command("approve")
@click.argument("claim_id", type=int)
@USER
@JSON
def claims_approve(claim_id: int, user: str | None, as_json: bool) -> None:
    """Approve a verified claim (not by the one who verified it)."""
    from jaring.claims.service import approve

    _show(approve(principal=_principal(user), claim_id=claim_id, language=language()), as_json)


@claims.command("reject")
@click.argument("claim_id", type=int)
@click.option("--reason", required=True, help="What the claimant will read.")
@USER
@JSON
def claims_reject(claim_id: int, reason: str, user: str | None, as_json: bool) -> None:
    """Reject an open claim with a reason."""
    from jaring.claims.service import reject

    _show(reject(principal=_principal(user), claim_id=claim_id, reason=reason, language=language()), as_json)


@claims.command("pay")
@click.argument("claim_id", type=int)
@click.option("--transfer-ref", required=True, help="The bank transfer's reference.")
@click.option("--paid-on", help="YYYY-MM-DD (default: today).")
@USER
@JSON
def claims_pay(
    claim_id: int, transfer_ref: str, paid_on: str | None, user: str | None, as_json: bool
) -> None:
    """Post the next payable part of an approved claim (late payouts add the compensation)."""
    from jaring.claims.service import pay

    view = pay(
        principal=_principal(user), claim_id=claim_id, transfer_ref=transfer_ref,
        paid_on=_date(paid_on, "paid_on"), language=language(),
    )  # fmt: skip
    _show(view, as_json)


@claims.command("show")
@click.argument("claim_id", type=int)
@USER
@JSON
def claims_show(claim_id: int, user: str | None, as_json: bool) -> None:
    """One claim: amounts with their legal basis, documents, the payout clock."""
    from jaring.claims.service import get_claim

    _show(get_claim(principal=_principal(user), claim_id=claim_id, language=language()), as_json)


@claims.command("list")
@click.option(
    "--status", help="submitted, documents_complete, verified, approved, partly_paid, paid, rejected."
)
@click.option("--participant", help="One member's claims.")
@click.option("--limit", type=int, default=200, show_default=True)
@USER
@click.option("--json", "as_json", is_flag=True)
def claims_list(
    status: str | None, participant: str | None, limit: int, user: str | None, as_json: bool
) -> None:
    """The claims queue, newest first."""
    from jaring.claims.service import list_claims

    found = list_claims(
        principal=_principal(user), status=status, participant_number=participant, limit=limit
    )
    if as_json:
        click.echo(json.dumps([c.to_json() for c in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo(_t("none"))
    for c in found:
        due = c.due_on or "-"
        click.echo(
            f"{c.id:>6}  {c.participant_number}  {c.kind:<15} {c.event_date}  {c.status:<19} "
            f"{_rupiah(c.amount_total):>16}  {due}"
        )
