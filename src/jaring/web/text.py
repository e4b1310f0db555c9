"""The web app's words, Indonesian first; and how numbers, Rupiah and dates are written."""

from __future__ import annotations

from datetime import date

LANGUAGES = ("id", "en")
TEXT: dict[str, tuple[str, str]] = {
    "app": ("Jaring — Jaminan sosial ketenagakerjaan", "Jaring — Employment social security"),
    "login": ("Masuk", "Log in"),
    "logout": ("Keluar", "Log out"),
    "username": ("Nama pengguna", "Username"),
    "password": ("Kata sandi", "Password"),
    "login_failed": ("Nama pengguna atau kata sandi salah, atau akun terkunci.",
                     "Wrong username or password, or the account is locked."),
    "dashboard": ("Dasbor cakupan", "Coverage dashboard"),
    "claims": ("Klaim", "Claims"),
    "region": ("Wilayah", "Region"),
    "members": ("Peserta BPU", "BPU members"),
    "covered": ("Terlindungi (JKK+JKM)", "Protected (JKK+JKM)"),
    "coverage": ("Cakupan", "Coverage"),
    "universe": ("Semesta BPU", "BPU universe"),
    "vulnerable": ("Rentan (desil 1-4)", "Vulnerable (desil 1-4)"),
    "sponsored": ("Dibiayai pemberi dana", "Sponsored"),
    "self_paying": ("Bayar sendiri", "Self-paying"),
    "at_risk": ("Berisiko putus (menunggak 1-3 bulan)", "At risk of lapsing (1-3 months behind)"),
    "lapsed": ("Putus", "Lapsed"),
    "claims_filed": ("Klaim diajukan", "Claims filed"),
    "claims_open": ("Klaim menunggu keputusan", "Claims awaiting a decision"),
    "benefits_paid": ("Manfaat dibayar", "Benefits paid"),
    "target": ("Target nasional pekerja rentan terlindungi", "National target of vulnerable workers covered"),
    "progress": ("Capaian", "Progress"),
    "source": ("Sumber semesta", "Universe source"),
    "no_universe": ("Belum ada data registri: cakupan belum dapat dihitung.",
                    "No registry imported yet: coverage cannot be measured."),
    "legend": ("rb = ribu, jt = juta, M = miliar, T = triliun",
               "rb = thousand, jt = million, M = billion, T = trillion"),
    "as_of": ("Per tanggal", "As of"),
    "map": ("Peta cakupan", "Coverage map"),
    "chart": ("Terlindungi menurut wilayah", "Protected by region"),
    "national": ("Nasional", "National"),
    "not_found": ("Halaman tidak ditemukan", "Page not found"),
    "not_found_text": ("Wilayah atau halaman ini tidak ada, atau di luar wilayah akun Anda.",
                       "This region or page does not exist, or is outside your account's region."),
    "forbidden": ("Peran Anda tidak dapat membuka halaman ini.", "Your role may not open this page."),
    "language": ("English", "Bahasa Indonesia"),
    "nav_registry": ("Registri & penargetan", "Registry & targeting"),
    "nav_sponsors": ("Pemberi dana", "Sponsors"),
    "nav_members": ("Peserta", "Members"),
    "nav_bills": ("Tagihan & pembayaran", "Bills & payments"),
    "nav_claims": ("Klaim", "Claims"),
    "nav_reports": ("Laporan", "Reports"),
    "member_status_link": ("Peserta? Cek status kepesertaan Anda tanpa masuk",
                           "A member? Check your membership status without logging in"),
    "updating": ("Angka sedang diperbarui setelah banyak perubahan; muat ulang sebentar lagi.",
                 "The figures are being recounted after many changes; reload in a moment."),
    "bad_request": ("Permintaan tidak dapat diproses", "The request cannot be processed"),
    "export_csv": ("Unduh CSV", "Download CSV"),
    "export_xlsx": ("Unduh XLSX", "Download XLSX"),
    "no_rows": ("Tidak ada data.", "Nothing to show."),
    "rows_shown": ("baris", "rows"),
}  # fmt: skip

_MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
           "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}  # fmt: skip
_UNITS = ((10**12, "T"), (10**9, "M"), (10**6, "jt"), (10**3, "rb"))


def t(key: str, lang: str) -> str:
    pair = TEXT[key]
    return pair[1] if lang == "en" else pair[0]


def number(value: int | float | None, lang: str, decimals: int = 0) -> str:
    """1234567 → 1.234.567 (id) or 1,234,567 (en)."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang == "en":
        return text
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def compact(value: int | None, lang: str) -> str:
    """1250000 → 1,3 jt (the legend on every page explains the units)."""
    if value is None:
        return "–"
    for size, unit in _UNITS:
        if abs(value) >= size:
            return f"{number(value / size, lang, 1)} {unit}"
    return number(value, lang)


def rupiah(value: int | None, lang: str) -> str:
    return "–" if value is None else f"Rp {number(value, lang)}"


def long_date(day: date, lang: str) -> str:
    return f"{day.day} {_MONTHS[lang][day.month - 1]} {day.year}"


def add(words: dict[str, tuple[str, str]]) -> None:
    """A page module's own words (Indonesian, English), added when it is imported; a key may
    not mean two things."""
    for key, pair in words.items():
        if TEXT.get(key, pair) != pair:
            raise ValueError(f"web text {key!r} is defined twice with different words")
        TEXT[key] = pair
