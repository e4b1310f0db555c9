"""Step 5: a few claims in Jawa Timur, filed by the demo claims officer and approved by the
demo supervisor (maker-checker), dated in the last months so that each is judged on the
coverage known on its event date: a JKM death paid, a JKK medical bill approved, a JKK STMB
verified, a JHT verified, a JKM death still waiting for documents, and one the rules refuse
(a lapsed member) kept as rejected."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from jaring.claims.payout_clock import WIB
from jaring.demo.plan import Loaded, account, habit_of
from jaring.kit.auth import CLAIMS_OFFICER, CLAIMS_SUPERVISOR
from jaring.membership import numbers

Note = Callable[[str], None]
HEIRS: dict[str, Any] = {
    "claimant": {"relationship": "spouse", "name": "Sri Wahyuni"},
    "heirs_known": ["spouse", "child"],
}


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=WIB)


class _Desk:
    """The claims desk of Jawa Timur: the officer files and verifies, the supervisor approves
    and pays."""

    def __init__(self) -> None:
        self.officer = account(CLAIMS_OFFICER).principal()
        self.supervisor = account(CLAIMS_SUPERVISOR).principal()
        self.statuses: list[str] = []

    def file(self, number: str, kind: str, day: date, *, complete: bool = True, **kw: Any) -> int:
        from jaring.claims import kinds, service

        details = kw.get("details") or {}
        documents = list(kinds.documents_for(kinds.KINDS[kind], details)) if complete else ["kartu_peserta"]
        claim = service.file_claim(
            principal=self.officer, participant_number=number, kind=kind, filed_at=_at(day),
            documents=documents, **kw,
        )  # fmt: skip
        return claim.id

    def verify(self, claim_id: int, day: date) -> None:
        from jaring.claims import service

        service.verify(principal=self.officer, claim_id=claim_id, at=_at(day, 11))

    def approve(self, claim_id: int, day: date) -> None:
        from jaring.claims import service

        service.approve(principal=self.supervisor, claim_id=claim_id, at=_at(day, 13))

    def pay(self, claim_id: int, day: date) -> None:
        from jaring.claims import service

        service.pay(
            principal=self.supervisor, claim_id=claim_id, transfer_ref=f"BANK-JATIM-{claim_id:05d}",
            paid_on=day, at=_at(day, 14),
        )  # fmt: skip

    def report(self, number: str, day: date) -> int:
        from jaring.claims.reports import report_accident

        made = report_accident(
            principal=self.officer, participant_number=number, accident_at=_at(day, 8), reporter="family",
            reported_at=_at(day, 15),
        )  # fmt: skip
        return made.id


def _savers(loaded: Loaded, habit: str) -> list[str]:
    return [n for n in loaded.jht_savers if habit_of(numbers.serial_of(n)).name == habit]


def file_claims(loaded: Loaded, note: Note) -> str:
    jatim = loaded.sponsor_members.get("PROV-JATIM", [])
    paid_up, lapsed = _savers(loaded, "paid_up"), _savers(loaded, "lapsed")
    if len(jatim) < 3 or not paid_up or not lapsed:
        return "terlalu sedikit peserta untuk klaim contoh"
    months = loaded.timeline.months
    # The three months before the current one: every date is in the past.
    ago3, ago2, ago1 = months[8], months[9], months[10]
    desk = _Desk()
    note("JKM: meninggal dunia, dibayar")
    death = desk.file(jatim[0], "jkm_death", ago3.day(15), event_date=ago3.day(12), **HEIRS)
    desk.verify(death, ago3.day(16))
    desk.approve(death, ago3.day(17))
    desk.pay(death, ago3.day(17))
    note("JKK: laporan kecelakaan, biaya rawat disetujui, STMB diverifikasi")
    report = desk.report(jatim[1], ago2.day(6))
    bill = {"cost": 4_250_000, "invoice": "RSUD-0917"}
    medical = desk.file(jatim[1], "jkk_medical", ago2.day(9), report_id=report, details=bill)
    desk.verify(medical, ago2.day(10))
    desk.approve(medical, ago2.day(13))
    stmb = desk.file(jatim[1], "jkk_stmb", ago2.day(27), report_id=report, details={"months": 2})
    desk.verify(stmb, ago1.day(2))
    note("JHT: berhenti sebagai BPU, diverifikasi")
    stopped = {"reason": "bpu_stopped"}
    jht = desk.file(paid_up[0], "jht", ago1.day(20), event_date=ago1.day(16), details=stopped)
    desk.verify(jht, ago1.day(23))
    note("JKM menunggu dokumen; klaim peserta nonaktif ditolak")
    desk.file(jatim[2], "jkm_death", ago1.day(24), complete=False, event_date=ago1.day(21), **HEIRS)
    desk.file(lapsed[0], "jkm_death", ago1.day(25), event_date=ago1.day(22), **HEIRS)
    loaded.counts["claims"] = 6
    return "6 klaim: dibayar, disetujui, diverifikasi (2), menunggu dokumen, ditolak"
