"""Code lists of the registry extract (see docs/registry-format.md).

Relationship and employment status use the BPS Regsosek 2022 questionnaire codes
(rincian 409 and 418) that DTSEN inherits; occupations are Jaring's own list of the work
the pekerja rentan programme is about, because DTSEN only records the industry (417).
"""

from __future__ import annotations

# The extract layout (docs/registry-format.md), in file order.
REQUIRED_COLUMNS = (
    "nik",
    "kk_number",
    "name",
    "sex",
    "birth_date",
    "village_code",
    "relationship",
    "employment_status",
    "occupation",
    "desil",
    "deceased",
)
OPTIONAL_COLUMNS = ("jamsostek",)
EXTRACT_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

SEXES = {"M": ("Laki-laki", "Male"), "F": ("Perempuan", "Female")}
# Accepted spellings in an extract → canonical M/F. Regsosek 405 codes 1/2 come first.
SEX_SPELLINGS = {"1": "M", "2": "F", "l": "M", "p": "F", "m": "M", "f": "F"}

# Regsosek rincian 409, hubungan dengan kepala keluarga.
RELATIONSHIPS = {
    1: ("Kepala keluarga", "Head of family"),
    2: ("Istri/suami", "Spouse"),
    3: ("Anak", "Child"),
    4: ("Menantu", "Child-in-law"),
    5: ("Cucu", "Grandchild"),
    6: ("Orang tua/mertua", "Parent or parent-in-law"),
    7: ("Pembantu/sopir", "Household help or driver"),
    8: ("Lainnya", "Other"),
}
HEAD_OF_FAMILY = 1

# Regsosek rincian 418 (status in the main job), plus 0 for "not working" (416a = 2).
EMPLOYMENT_STATUSES = {
    0: ("Tidak bekerja", "Not working"),
    1: ("Berusaha sendiri", "Own-account worker"),
    2: ("Berusaha dibantu buruh tidak tetap/tidak dibayar", "Employer with temporary or unpaid help"),
    3: ("Berusaha dibantu buruh tetap/dibayar", "Employer with permanent paid workers"),
    4: ("Buruh/karyawan/pegawai swasta", "Private employee"),
    5: ("PNS/TNI/Polri/BUMN/BUMD/pejabat negara", "Civil servant, military, police, state enterprise"),
    6: ("Pekerja bebas pertanian", "Casual worker in agriculture"),
    7: ("Pekerja bebas non-pertanian", "Casual worker outside agriculture"),
    8: ("Pekerja keluarga/tidak dibayar", "Unpaid family worker"),
}
NOT_WORKING = 0
# BPS convention: 3, 4 and 5 are formal work; the rest is informal.
FORMAL_STATUSES = frozenset({3, 4, 5})

# Occupations; "" (empty) means none recorded, which is right for people not working.
OCCUPATIONS = {
    "farmer": ("Petani", "Farmer"),
    "farm_labourer": ("Buruh tani", "Farm labourer"),
    "fisher": ("Nelayan", "Fisher"),
    "livestock_keeper": ("Peternak", "Livestock keeper"),
    "trader": ("Pedagang", "Trader"),
    "street_vendor": ("Pedagang kaki lima", "Street vendor"),
    "platform_driver": ("Mitra pengemudi ojek/taksi daring", "Platform driver"),
    "courier": ("Kurir", "Courier"),
    "transport_driver": ("Sopir angkutan", "Transport driver"),
    "daily_labourer": ("Buruh harian lepas", "Daily labourer"),
    "construction_worker": ("Pekerja konstruksi", "Construction worker"),
    "domestic_worker": ("Pekerja rumah tangga", "Domestic worker"),
    "artisan": ("Perajin", "Artisan"),
    "tailor": ("Penjahit", "Tailor"),
    "mechanic": ("Montir/bengkel", "Mechanic"),
    "rt_rw_head": ("Ketua RT/RW", "Neighbourhood head (RT/RW)"),
    "religious_teacher": ("Guru ngaji/pengajar agama", "Religious teacher"),
    "mosque_caretaker": ("Marbot/pengurus rumah ibadah", "Place-of-worship caretaker"),
    "posyandu_cadre": ("Kader posyandu", "Posyandu health cadre"),
    "village_official": ("Perangkat desa", "Village official"),
    "honorary_teacher": ("Guru honorer", "Honorary teacher"),
    "private_employee": ("Karyawan swasta", "Private employee"),
    "civil_servant": ("PNS/TNI/Polri", "Civil servant"),
    "other": ("Lainnya", "Other"),
}

# Regsosek rincian 431f: BPJS Ketenagakerjaan programmes held, as a bitmask; 99 = unknown.
JAMSOSTEK_BITS = {"jkk": 1, "jkm": 2, "jht": 4, "jp": 8, "other_pension": 16}
JAMSOSTEK_UNKNOWN = 99
JAMSOSTEK_MAX = 31

DESILS = range(1, 11)
