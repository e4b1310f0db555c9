"""Integer codes for categorical columns, so a batch is a set of numpy arrays."""

from __future__ import annotations

from typing import Final

SEGMENTS: Final = ("bpu", "pu", "pmi")
SEGMENT_BPU, SEGMENT_PU, SEGMENT_PMI = 0, 1, 2

PROGRAMS: Final = ("jkk", "jkm", "jht", "jp")
JKK, JKM, JHT, JP = 1, 2, 4, 8
PROGRAM_BITS: Final = {"jkk": JKK, "jkm": JKM, "jht": JHT, "jp": JP}

RISK_CLASSES: Final = ("sangat-rendah", "rendah", "sedang", "tinggi", "sangat-tinggi")

SECTORS: Final = ("other", "transport")
SECTOR_OTHER, SECTOR_TRANSPORT = 0, 1

FUNDINGS: Final = ("self", "apbd", "apbn")
FUNDING_SELF, FUNDING_APBD, FUNDING_APBN = 0, 1, 2

RELIEFS: Final = (
    None,
    "relief.pp49_2020_jkk_jkm",
    "relief.pp7_2025_jkk",
    "relief.pp50_2025_transport",
    "relief.pp50_2025_other",
)
"""Relief programme per code; code 0 means none applied."""
RELIEF_NONE, RELIEF_PP49, RELIEF_PP7, RELIEF_PP50_TRANSPORT, RELIEF_PP50_OTHER = range(5)


def program_bits(names: list[str] | tuple[str, ...]) -> int:
    bits = 0
    for name in names:
        bits |= PROGRAM_BITS[name]
    return bits
