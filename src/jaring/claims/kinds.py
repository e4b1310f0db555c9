"""The claim types: which program pays, what each needs as input, which documents complete it,
and what makes two claims the same event.

The document checklists follow jamsostek-rules.md §5 (PP 44/2015 Art. 40(3), 43-44; Permenaker
4/2022 for JHT). They are what an officer ticks off; the payout clock starts when the last one
is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from jaring.kit.errors import BadInput
from jaring.kit.money import MoneyError, parse_rupiah
from jaring.rules.formulas.benefits import JHT_REASONS

DOCUMENTS: dict[str, tuple[str, str]] = {
    "kartu_peserta": ("Kartu peserta BPJS Ketenagakerjaan", "BPJS Ketenagakerjaan membership card"),
    "ktp": ("KTP / identitas", "Identity card (KTP)"),
    "surat_permohonan": ("Surat permohonan klaim", "Claim application letter"),
    "surat_dokter": (
        "Surat keterangan dokter pemeriksa/penasihat",
        "Treating or advising doctor's statement",
    ),
    "kuitansi_perawatan": ("Kuitansi biaya perawatan", "Treatment receipts"),
    "kuitansi_transport": ("Kuitansi biaya transportasi", "Transport receipts"),
    "akta_kematian": ("Akta / surat keterangan kematian", "Death certificate"),
    "surat_ahli_waris": ("Surat keterangan ahli waris", "Heir certificate"),
    "surat_pengunduran_diri": (
        "Surat keterangan berhenti bekerja",
        "Resignation statement from the employer",
    ),
    "bukti_phk": ("Bukti PHK (tanda terima laporan Disnaker, PB atau putusan PHI)", "Proof of dismissal"),
    "bukti_kontrak_berakhir": ("Bukti berakhirnya PKWT", "Proof that the fixed-term contract ended"),
    "bukti_iuran_pmi": ("Bukti pembayaran iuran PMI", "Proof of the PMI contribution"),
    "formulir_beasiswa": ("Formulir pengajuan beasiswa", "Scholarship application form"),
    "akta_kelahiran_anak": ("Akta kelahiran anak", "The child's birth certificate"),
    "kartu_keluarga": ("Kartu keluarga", "Family card (KK)"),
    "surat_keterangan_sekolah": ("Surat keterangan aktif sekolah / kuliah", "Proof of enrolment at school"),
}

JKK_MODES = ("darat", "laut", "udara")  # land/river/lake, sea, air (jkk.transport_ceiling)


@dataclass(frozen=True)
class Kind:
    code: str
    program: str  # jkk | jkm | jht | jkp | pmi
    label: tuple[str, str]
    documents: tuple[str, ...]
    needs_report: bool = False  # a JKK claim is the stage II of an accident report
    death: bool = False  # claimed by heirs, in statutory order
    covered: bool = True  # needs coverage (JKK, JKM) on the event date
    yearly: bool = False  # a scholarship year, claimed on the death or disability claim it follows


_CARD = ("kartu_peserta", "ktp")
KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("jkk_medical", "jkk", ("Perawatan medis JKK", "JKK medical care"),
             (*_CARD, "surat_dokter", "kuitansi_perawatan"), needs_report=True),
        Kind("jkk_transport", "jkk", ("Penggantian biaya transportasi JKK", "JKK transport reimbursement"),
             (*_CARD, "kuitansi_transport"), needs_report=True),
        Kind("jkk_stmb", "jkk", ("STMB (santunan tidak mampu bekerja)", "STMB (temporary incapacity)"),
             (*_CARD, "surat_dokter"), needs_report=True),
        Kind("jkk_disability", "jkk", ("Santunan cacat JKK", "JKK disability benefit"),
             (*_CARD, "surat_dokter"), needs_report=True),
        Kind("jkk_death", "jkk", ("Santunan kematian akibat kecelakaan kerja", "JKK death benefit"),
             (*_CARD, "surat_dokter", "akta_kematian", "surat_ahli_waris"), needs_report=True, death=True),
        Kind("jkm_death", "jkm", ("Santunan kematian (JKM)", "JKM death benefit"),
             ("surat_permohonan", "kartu_peserta", "akta_kematian", "surat_ahli_waris"), death=True),
        Kind("jht", "jht", ("Jaminan hari tua (JHT)", "Old-age savings (JHT)"), _CARD, covered=False),
        Kind("jkp", "jkp", ("Jaminan kehilangan pekerjaan (JKP)", "Job-loss benefit (JKP)"),
             (*_CARD, "bukti_phk"), covered=False),
        Kind("pmi_jkm", "pmi", ("Santunan kematian PMI", "PMI death benefit"),
             ("kartu_peserta", "akta_kematian", "surat_ahli_waris", "bukti_iuran_pmi"), death=True,
             covered=False),
        Kind("scholarship", "", ("Beasiswa pendidikan anak", "Children's scholarship"),
             ("formulir_beasiswa", "akta_kelahiran_anak", "kartu_keluarga", "surat_keterangan_sekolah"),
             covered=False, yearly=True),
    )
}  # fmt: skip

# What the JHT reason adds to the card and ID (Permenaker 4/2022, jamsostek-rules.md §5).
JHT_DOCUMENTS = {
    "resignation": ("surat_pengunduran_diri",),
    "dismissal": ("bukti_phk",),
    "contract_end": ("bukti_kontrak_berakhir",),
    "death": ("akta_kematian", "surat_ahli_waris"),
    "disability": ("surat_dokter",),
}
DEATH_DEPENDENT = ("death",)  # JHT reasons claimed by heirs


def kind_of(code: str) -> Kind:
    found = KINDS.get(code)
    if found is None:
        raise BadInput(f"claim type {code!r} is not known; use one of: {', '.join(KINDS)}", field="kind")
    return found


def documents_for(kind: Kind, details: dict[str, Any]) -> tuple[str, ...]:
    if kind.code == "jht":
        return kind.documents + JHT_DOCUMENTS.get(str(details.get("reason")), ())
    return kind.documents


def claimed_by_heirs(kind: Kind, details: dict[str, Any]) -> bool:
    return kind.death or (kind.code == "jht" and details.get("reason") in DEATH_DEPENDENT)


# ------------------------------------------------------------------ details


def _rupiah(raw: dict[str, Any], key: str, *, required: bool = True, positive: bool = True) -> int | None:
    if raw.get(key) in (None, ""):
        if required:
            raise BadInput(f"{key} is needed for this claim type (whole Rupiah)", field=f"details.{key}")
        return None
    try:
        value = parse_rupiah(raw[key], what=key)
    except MoneyError as error:
        raise BadInput(str(error), field=f"details.{key}") from None
    if positive and value <= 0:
        raise BadInput(f"{key} must be more than Rp0", field=f"details.{key}")
    return value


def _whole(raw: dict[str, Any], key: str, low: int, high: int, *, required: bool = True) -> int | None:
    value = raw.get(key)
    if value in (None, ""):
        if required:
            raise BadInput(f"{key} is needed for this claim type", field=f"details.{key}")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise BadInput(f"{key} must be a whole number from {low} to {high}", field=f"details.{key}")
    number = int(str(value).strip())
    if not low <= number <= high:
        raise BadInput(f"{key} must be from {low} to {high}, got {number}", field=f"details.{key}")
    return number


def _text(raw: dict[str, Any], key: str, *, max_length: int = 60, required: bool = True) -> str | None:
    value = raw.get(key)
    if value in (None, ""):
        if required:
            raise BadInput(f"{key} is needed for this claim type", field=f"details.{key}")
        return None
    text = str(value).strip()
    if not text or len(text) > max_length or any(ord(c) < 32 for c in text):
        raise BadInput(f"{key} must be 1 to {max_length} printable characters", field=f"details.{key}")
    return text


def _percent(raw: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value in (None, ""):
        if required:
            raise BadInput(
                f"{key} is needed for this claim type (a percentage, e.g. 35)", field=f"details.{key}"
            )
        return None
    return str(value)


_ALLOWED = {
    "jkk_medical": {"cost", "invoice"},
    "jkk_transport": {"mode", "cost", "invoice"},
    "jkk_stmb": {"months", "wage"},
    "jkk_disability": {"percent", "function_loss_percent", "wage"},
    "jkk_death": {"wage"},
    "jkm_death": set(),
    "jht": {"reason", "return_amount"},
    "jkp": {"wage", "contribution_months", "consecutive_months"},
    "pmi_jkm": set(),
    "scholarship": {"parent_claim", "child_order", "child_birth_date", "level", "school_year"},
}
SCHOOL_LEVELS = ("TK-SD", "SMP", "SMA", "PT")


def read_details(kind: Kind, raw: dict[str, Any] | None) -> dict[str, Any]:
    """The claim type's input, checked and normalised (amounts as whole Rupiah); a wrong or
    missing value is BadInput naming `details.<key>`."""
    raw = dict(raw or {})
    unknown = sorted(set(raw) - _ALLOWED[kind.code])
    if unknown:
        allowed = ", ".join(sorted(_ALLOWED[kind.code])) or "nothing"
        raise BadInput(
            f"{', '.join(unknown)} is not part of a {kind.code} claim (it takes {allowed})",
            field=f"details.{unknown[0]}",
        )
    out: dict[str, Any] = {}
    if kind.code in ("jkk_medical", "jkk_transport"):
        out["cost"] = _rupiah(raw, "cost")
        out["invoice"] = _text(raw, "invoice")
        if kind.code == "jkk_transport":
            mode = str(raw.get("mode") or "").strip().lower()
            if mode not in JKK_MODES:
                raise BadInput(f"mode must be one of {', '.join(JKK_MODES)}", field="details.mode")
            out["mode"] = mode
    elif kind.code == "jkk_stmb":
        out["months"] = _whole(raw, "months", 1, 120)
    elif kind.code == "jkk_disability":
        out["percent"] = _percent(raw, "percent")
        loss = _percent(raw, "function_loss_percent", required=False)
        if loss is not None:
            out["function_loss_percent"] = loss
    elif kind.code == "jht":
        reason = str(raw.get("reason") or "").strip()
        if reason not in JHT_REASONS:
            raise BadInput(f"reason must be one of {', '.join(JHT_REASONS)}", field="details.reason")
        out["reason"] = reason
        extra = _rupiah(raw, "return_amount", required=False, positive=False)
        if extra:
            out["return_amount"] = extra
    elif kind.code == "jkp":
        out["wage"] = _rupiah(raw, "wage")
        out["contribution_months"] = _whole(raw, "contribution_months", 0, 24)
        consecutive = _whole(raw, "consecutive_months", 0, 24, required=False)
        if consecutive is not None:
            out["consecutive_months"] = consecutive
    elif kind.code == "scholarship":
        out.update(_scholarship(raw))
    if kind.program == "jkk" and kind.code not in ("jkk_medical", "jkk_transport"):
        wage = _rupiah(raw, "wage", required=False)
        if wage is not None:
            out["wage"] = wage
    return out


def _scholarship(raw: dict[str, Any]) -> dict[str, Any]:
    """A child named by birth order and birth date only: a name adds nothing the heir
    certificate does not hold, and a child's data is specific personal data (UU 27/2022)."""
    level = str(raw.get("level") or "").strip().upper()
    if level not in SCHOOL_LEVELS:
        raise BadInput(f"level must be one of {', '.join(SCHOOL_LEVELS)}", field="details.level")
    born = str(raw.get("child_birth_date") or "").strip()
    try:
        birth = date.fromisoformat(born)
    except ValueError:
        raise BadInput("child_birth_date is a date, YYYY-MM-DD", field="details.child_birth_date") from None
    return {
        "parent_claim": _whole(raw, "parent_claim", 1, 2_147_483_647),
        "child_order": _whole(raw, "child_order", 1, 30),
        "child_birth_date": birth.isoformat(),
        "level": level,
        "school_year": _whole(raw, "school_year", 2000, 2100),
    }


def event_key(kind: Kind, member_id: int, event: str, details: dict[str, Any], report_id: int | None) -> str:
    """What makes two claims the same: a person dies once (whatever program pays), an accident
    is claimed once per benefit (bills and transport once per receipt), JHT is withdrawn in full
    once and in part once, JKP once per dismissal."""
    if kind.death:
        return f"{member_id}:death"
    if kind.code in ("jkk_medical", "jkk_transport"):
        return f"{member_id}:{kind.code}:{report_id}:{details['invoice'].lower()}"[:120]
    if kind.needs_report:
        return f"{member_id}:{kind.code}:{report_id}"
    if kind.yearly:
        child = f"{details['child_order']}:{details['child_birth_date']}"
        return f"{member_id}:scholarship:{child}:{details['school_year']}"
    if kind.code == "jht":
        return (
            f"{member_id}:jht_partial"
            if str(details["reason"]).startswith("partial_")
            else f"{member_id}:jht"
        )
    return f"{member_id}:{kind.code}:{event}"
