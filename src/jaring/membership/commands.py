"""CLI: `jaring members enrol | enrol-bulk | show | assign-payer`.

The console operator acts as the national admin (`kit.auth.system`). A NIK given with
`--nik -` is read from standard input, so it stays out of the shell history.
"""

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
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jaring.kit.errors import BadInput
from jaring.kit.i18n import language
from jaring.kit.money import MoneyError, format_rupiah, parse_rupiah
from jaring.kit.periods import Month, PeriodError, parse_date
from jaring.rules.formulas.codes import SECTORS, SEGMENTS

TEXT: dict[str, tuple[str, str]] = {
    "enrolled": ("Peserta terdaftar: {pn}", "Member registered: {pn}"),
    "registered_note": (
        "Terdaftar belum berarti terlindungi: perlindungan mulai saat iuran pertama dibayar lunas "
        "(PP 44/2015 Pasal 11).",
        "Registered is not covered: protection starts when the first contribution is paid in full "
        "(PP 44/2015 Art. 11).",
    ),
    "participant_number": ("No. peserta", "Participant number"),
    "nik_masked": ("NIK", "NIK"),
    "name": ("Nama", "Name"),
    "birth_date": ("Tanggal lahir", "Birth date"),
    "sex": ("Jenis kelamin", "Sex"),
    "segment": ("Segmen", "Segment"),
    "category": ("Kategori", "Category"),
    "sector": ("Sektor", "Sector"),
    "region_code": ("Wilayah", "Region"),
    "registered_on": ("Tanggal daftar", "Registered on"),
    "channel": ("Saluran", "Channel"),
    "status": ("Status", "Status"),
    "registered": ("terdaftar (belum tentu terlindungi)", "registered (not necessarily covered)"),
    "income": ("Penghasilan dilaporkan", "Declared income"),
    "programs": ("Program", "Programs"),
    "terms": ("Riwayat ketentuan", "Terms history"),
    "payers": ("Pemberi dana", "Sponsors of record"),
    "from": ("Dari", "From"),
    "to": ("Sampai sebelum", "Until before"),
    "open": ("berlaku", "open"),
    "self_paid": ("Bulan di luar daftar ini dibayar sendiri.", "Months outside this list are self-paid."),
    "self_paid_all": ("Tanpa pemberi dana: iuran dibayar sendiri.", "No sponsor: the member pays."),
    "sponsor": ("Pemberi dana", "Sponsor"),
    "rows_in": ("Baris masuk", "Rows in"),
    "accepted": ("Diterima", "Accepted"),
    "enrolled_rows": ("Peserta baru", "New members"),
    "assigned_existing": ("Peserta lama dialihkan ke pemberi dana", "Existing members moved to the sponsor"),
    "rejected": ("Ditolak", "Rejected"),
    "reason": ("Alasan", "Reason"),
    "rows": ("Baris", "Rows"),
    "range": ("Nomor peserta baru: {low} s.d. {high}", "New participant numbers: {low} to {high}"),
    "rejects": ("Baris yang ditolak beserta alasannya: {path}", "Rejected rows with their reasons: {path}"),
    "repeat": (
        "Berkas dan parameter ini sudah pernah diproses (batch {id}); tidak ada yang diubah.",
        "This file with these parameters was processed before (batch {id}); nothing changed.",
    ),
    "progress": ("Mendaftarkan", "Enrolling"),
    "assigned": (
        "Pemberi dana {code} membayar {members} peserta untuk {start} s.d. sebelum {end}: "
        "{assigned} dicatat baru, {unchanged} sudah tercatat.",
        "Sponsor {code} pays for {members} members from {start} until before {end}: "
        "{assigned} newly recorded, {unchanged} already recorded.",
    ),
}


def _t(key: str, **values: Any) -> str:
    pair = TEXT[key]
    return (pair[1] if language() == "en" else pair[0]).format(**values)


def _rupiah(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_rupiah(value, what=what)
    except MoneyError as exc:
        raise BadInput(str(exc)) from None


def _month(value: str | None, what: str) -> Month | None:
    if value is None:
        return None
    try:
        return Month.parse(value)
    except PeriodError as exc:
        raise BadInput(f"{what}: {exc}") from None


def _date(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except PeriodError as exc:
        raise BadInput(f"{what}: {exc}") from None


def _programs(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(",") if p.strip())


def _sponsor_id(code: str) -> int:
    from jaring.kit.auth import system
    from jaring.sponsors.service import get_sponsor

    return get_sponsor(principal=system(), code_or_id=code).id


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar on a terminal; silent when output is piped or in tests."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


@click.group()
def members() -> None:
    """Members: enrolment, one member, the sponsor of record (Peserta)."""


@members.command("enrol")
@click.option("--nik", required=True, help="The worker's NIK (16 digits); '-' reads it from standard input.")
@click.option("--name", required=True, help="Full name as on the KTP.")
@click.option("--birth-date", required=True, help="YYYY-MM-DD; must agree with the NIK.")
@click.option("--region", required=True, help="Village (10 digits) or regency (4) code of residence.")
@click.option("--category", default="other", show_default=True, help="Occupation or sponsored group.")
@click.option("--segment", type=click.Choice(SEGMENTS), default="bpu", show_default=True)
@click.option("--sector", type=click.Choice(SECTORS), default="other", show_default=True)
@click.option("--programs", default="jkk,jkm", show_default=True, help="Comma list: jkk,jkm[,jht][,jp].")
@click.option("--income", default="1000000", show_default=True, help="Declared monthly income, Rupiah.")
@click.option("--sex", type=click.Choice(["L", "P"]), help="Default: from the NIK.")
@click.option("--registered-on", help="YYYY-MM-DD (default today).")
@json_option
def enrol_command(**opts: Any) -> None:
    """Register one worker. Registered is not covered: protection starts with the first payment."""
    from jaring.kit.auth import system
    from jaring.membership.service import enrol

    nik = sys.stdin.readline().strip() if opts["nik"] == "-" else opts["nik"]
    view = enrol(
        principal=system(),
        nik=nik,
        name=opts["name"],
        birth_date=_date(opts["birth_date"], "--birth-date") or date.today(),
        region_code=opts["region"],
        category=opts["category"],
        segment=opts["segment"],
        sector=opts["sector"],
        programs=_programs(opts["programs"]),
        income=_rupiah(opts["income"], "income") or 0,
        registered_on=_date(opts["registered_on"], "--registered-on"),
        sex=opts["sex"],
    )
    if opts["as_json"]:
        click.echo(json.dumps(view.to_json(), ensure_ascii=False))
        return
    console = Console()
    console.print(_t("enrolled", pn=view.participant_number))
    _print_member(console, view.to_json())
    console.print(_t("registered_note"))


def _print_member(console: Console, data: dict[str, Any]) -> None:
    table = Table(show_header=False)
    table.add_column()
    table.add_column()
    for key in (
        "participant_number", "nik_masked", "name", "birth_date", "sex", "segment", "category", "sector",
        "region_code", "registered_on", "channel",
    ):  # fmt: skip
        table.add_row(_t(key), str(data[key] if data[key] is not None else "-"))
    table.add_row(_t("status"), _t("registered"))
    table.add_row(_t("income"), format_rupiah(int(data["income"])))
    table.add_row(_t("programs"), ", ".join(p.upper() for p in data["programs"]))
    console.print(table)
    terms = Table(title=_t("terms"))
    for key in ("from", "to", "income", "programs"):
        terms.add_column(_t(key))
    for row in data["terms"]:
        terms.add_row(
            row["from_month"],
            row["to_month"] or _t("open"),
            format_rupiah(int(row["income"])),
            ", ".join(p.upper() for p in row["programs"]),
        )
    console.print(terms)
    if data["payers"]:
        payers = Table(title=_t("payers"))
        for key in ("sponsor", "from", "to"):
            payers.add_column(_t(key))
        for row in data["payers"]:
            payers.add_row(row["sponsor_code"], row["from_month"], row["to_month"])
        console.print(payers)
        console.print(_t("self_paid"))
    else:
        console.print(_t("self_paid_all"))


@members.command("show")
@click.argument("participant_number")
@json_option
def show_command(participant_number: str, as_json: bool) -> None:
    """One member (the NIK masked) with the terms history and sponsors of record."""
    from jaring.kit.auth import system
    from jaring.membership.service import get_member

    view = get_member(principal=system(), participant_number=participant_number)
    if as_json:
        click.echo(json.dumps(view.to_json(), ensure_ascii=False))
        return
    _print_member(Console(), view.to_json())


@members.command("enrol-bulk")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--snapshot", required=True, help="Registry snapshot id, id prefix or date (persons' details).")
@click.option("--category", required=True, help="Occupation or sponsored group of everyone in the file.")
@click.option("--segment", type=click.Choice(SEGMENTS), default="bpu", show_default=True)
@click.option("--sector", type=click.Choice(SECTORS), default="other", show_default=True)
@click.option("--programs", default="jkk,jkm", show_default=True, help="Comma list: jkk,jkm[,jht][,jp].")
@click.option("--income", default="1000000", show_default=True, help="Declared monthly income, Rupiah.")
@click.option("--sponsor", help="Sponsor code: becomes the payer of record (with --from-month, --months).")
@click.option("--from-month", help="YYYY-MM, the first month the sponsor pays.")
@click.option("--months", type=click.IntRange(min=1), help="How many months the sponsor pays.")
@click.option("--registered-on", help="YYYY-MM-DD (default today).")
@json_option
def enrol_bulk_command(**opts: Any) -> None:
    """Enrol everyone in FILE (a CSV with a 'nik' column) from a registry snapshot; every row is
    enrolled or rejected with a reason. Repeating the same file and options changes nothing."""
    from jaring.kit.auth import system
    from jaring.membership.bulk import REASONS, enrol_bulk

    with _progress(_t("progress")) as progress:
        report = enrol_bulk(
            principal=system(),
            nik_file=opts["file"],
            snapshot=opts["snapshot"],
            category=opts["category"],
            segment=opts["segment"],
            sector=opts["sector"],
            programs=_programs(opts["programs"]),
            income=_rupiah(opts["income"], "income") or 0,
            sponsor_id=_sponsor_id(opts["sponsor"]) if opts["sponsor"] else None,
            from_month=_month(opts["from_month"], "--from-month"),
            months=opts["months"],
            registered_on=_date(opts["registered_on"], "--registered-on"),
            progress=progress,
        )
    if opts["as_json"]:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    console = Console()
    lang = language()
    if report.repeat:
        console.print(_t("repeat", id=report.batch_id))
    summary = Table(show_header=False)
    summary.add_column()
    summary.add_column(justify="right")
    for key, value in (
        ("rows_in", report.rows_in),
        ("accepted", report.accepted),
        ("enrolled_rows", report.enrolled),
        ("assigned_existing", report.assigned_existing),
        ("rejected", report.rejected),
    ):
        summary.add_row(_t(key), f"{value:,}".replace(",", "." if lang == "id" else ","))
    console.print(summary)
    if report.by_reason:
        reasons = Table()
        reasons.add_column(_t("reason"))
        reasons.add_column(_t("rows"), justify="right")
        for reason, count in report.by_reason.items():
            label = REASONS.get(reason, (reason, reason))
            reasons.add_row(f"{reason} — {label[1] if lang == 'en' else label[0]}", str(count))
        console.print(reasons)
        console.print(_t("rejects", path=report.rejects_path))
    if report.first_participant_number:
        console.print(_t("range", low=report.first_participant_number, high=report.last_participant_number))
    console.print(_t("registered_note"))


@members.command("assign-payer")
@click.argument("participant_numbers", nargs=-1, required=True)
@click.option("--sponsor", required=True, help="Sponsor code.")
@click.option("--from-month", required=True, help="YYYY-MM, the first month the sponsor pays.")
@click.option("--months", type=click.IntRange(min=1), required=True, help="How many months.")
@json_option
def assign_payer_command(
    participant_numbers: tuple[str, ...], sponsor: str, from_month: str, months: int, as_json: bool
) -> None:
    """Make a sponsor the payer of record of PARTICIPANT_NUMBERS. Refused when another sponsor
    already pays any of those months; repeating it changes nothing."""
    from jaring.kit.auth import system
    from jaring.membership.service import assign_payer

    report = assign_payer(
        principal=system(),
        participant_numbers=list(participant_numbers),
        sponsor_id=_sponsor_id(sponsor),
        from_month=_month(from_month, "--from-month") or Month.of(date.today()),
        months=months,
    )
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    click.echo(
        _t(
            "assigned",
            code=report.sponsor_code,
            members=report.members,
            start=report.from_month,
            end=report.to_month,
            assigned=report.assigned,
            unchanged=report.unchanged,
        )
    )
