"""Why a registry row is rejected, or accepted with a warning.

A row gets exactly one rejection reason: the first that applies, in the order below, so
counts by reason add up to the rejected rows. The order puts identity first because a
row without a usable NIK cannot be matched to anyone, whatever else is wrong with it.
"""

from __future__ import annotations

REJECTIONS: dict[str, tuple[str, str]] = {
    "row_malformed": ("Baris rusak (jumlah kolom salah)", "Malformed line (wrong number of fields)"),
    "nik_missing": ("NIK kosong", "NIK is empty"),
    "nik_non_digit": ("NIK memuat karakter selain angka", "NIK contains characters other than digits"),
    "nik_length": ("NIK tidak 16 digit", "NIK is not 16 digits long"),
    "nik_province_unknown": ("Kode provinsi NIK tidak dikenal", "NIK province code does not exist"),
    "nik_region_zero": ("Kode kabupaten/kecamatan NIK 00", "NIK regency or district digits are 00"),
    "nik_date_impossible": ("Tanggal lahir dalam NIK tidak mungkin", "NIK birth date is impossible"),
    "nik_serial_zero": ("Nomor urut NIK 0000", "NIK serial is 0000"),
    "nik_duplicate": ("NIK muncul lebih dari sekali", "NIK appears more than once in the file"),
    "kk_missing": ("Nomor KK kosong", "KK number is empty"),
    "kk_non_digit": ("Nomor KK memuat karakter selain angka", "KK number contains non-digits"),
    "kk_length": ("Nomor KK tidak 16 digit", "KK number is not 16 digits long"),
    "kk_province_unknown": ("Kode provinsi KK tidak dikenal", "KK province code does not exist"),
    "kk_date_impossible": ("Tanggal pencatatan KK tidak mungkin", "KK recording date is impossible"),
    "name_missing": ("Nama kosong", "Name is empty"),
    "sex_invalid": ("Jenis kelamin tidak dikenal", "Sex is not 1/2, L/P or M/F"),
    "birth_date_invalid": (
        "Tanggal lahir tidak valid",
        "Birth date is missing or not a real YYYY-MM-DD date",
    ),
    "birth_date_future": ("Tanggal lahir setelah tanggal snapshot", "Birth date is after the snapshot date"),
    "village_invalid": ("Kode desa tidak 10 digit", "Village code is not a 10-digit code"),
    "village_unknown": (
        "Kode desa tidak ada dalam referensi wilayah",
        "Village code is not in the region list",
    ),
    "relationship_invalid": ("Hubungan dengan kepala keluarga tidak dikenal", "Relationship is not 1-8"),
    "employment_invalid": ("Status pekerjaan tidak dikenal", "Employment status is not 0-8"),
    "occupation_unknown": ("Kode pekerjaan tidak dikenal", "Occupation is not a known code"),
    "desil_missing": ("Desil kosong", "Desil is empty"),
    "desil_invalid": ("Desil bukan 1-10", "Desil is not 1-10"),
    "deceased_invalid": ("Status meninggal tidak dikenal", "Deceased flag is not 0/1"),
    "jamsostek_invalid": ("Kode jamsostek tidak dikenal", "Jamsostek bitmask is not 0-31 or 99"),
}

# Accepted rows carry their warnings as a bitmask (`warning_flags`), bit i = i-th key here.
WARNINGS: dict[str, tuple[str, str]] = {
    "nik_region_retired": (
        "Kode kabupaten/kecamatan NIK sudah tidak ada (pemekaran)",
        "NIK regency/district code no longer exists (region split); NIKs never change",
    ),
    "nik_abroad": ("NIK WNI di luar negeri (awalan 99)", "NIK of a citizen abroad (prefix 99)"),
    "nik_birth_date_mismatch": (
        "Tanggal lahir berbeda dengan NIK",
        "Birth date differs from the date in the NIK",
    ),
    "nik_sex_mismatch": ("Jenis kelamin berbeda dengan NIK", "Sex differs from the NIK (day + 40 for women)"),
    "kk_region_retired": ("Kode wilayah KK sudah tidak ada", "KK region code no longer exists"),
}
