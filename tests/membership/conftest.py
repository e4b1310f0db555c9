"""Principals, NIKs and sponsors for the membership tests (each test on SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from jaring.kit.auth import AUDITOR, NATIONAL_ADMIN, REGENCY_OFFICER, Principal
from jaring.membership import service
from jaring.registry.codes import EXTRACT_COLUMNS
from jaring.registry.generate import generate
from jaring.registry.service import import_snapshot
from jaring.sponsors.service import Sponsor, create_sponsor

ADMIN = Principal("admin", NATIONAL_ADMIN)
# Jakarta Selatan (31.74) and Aceh Selatan (11.01): two regencies, two officers.
JAKSEL = Principal("sari", REGENCY_OFFICER, region_code="3174")
ACEH = Principal("teuku", REGENCY_OFFICER, region_code="1101")
AUDIT = Principal("ani", AUDITOR)
TEBET_BARAT = "3174011001"
KEUDE_BAKONGAN = "1101012001"


def nik(born: date, serial: int, *, woman: bool = False, district: str = "317401") -> str:
    """A NIK laid out as PP 40/2019 says: district, DDMMYY (+40 on the day for women), serial."""
    day = born.day + 40 if woman else born.day
    return f"{district}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


@pytest.fixture
def url(store_url: str, jaring_env: Path) -> str:
    """A fresh store, with the data dir (and so the protection key) private to the test."""
    return store_url


def enrol(url: str, serial: int, *, principal: Principal = JAKSEL, **changes: object) -> service.MemberView:
    born = date(1990, 8, 17)
    values: dict[str, object] = {
        "nik": nik(born, serial, woman=True),
        "name": f"Siti Aminah {serial}",
        "birth_date": born,
        "region_code": TEBET_BARAT,
        "category": "street_vendor",
        "registered_on": date(2026, 1, 15),
    }
    values.update(changes)
    return service.enrol(principal=principal, url=url, **values)  # type: ignore[arg-type]


def sponsor(url: str, code: str, region_code: str = "3174") -> Sponsor:
    return create_sponsor(
        principal=ADMIN, code=code, name=f"Pemda {code}", kind="regency", region_code=region_code, url=url
    )


@dataclass(frozen=True)
class Snapshot:
    id: str
    persons: list[dict[str, str]]  # the extract's rows, NIKs in clear
    officer: Principal  # a regency officer of the regency with most persons

    def pick(self, *, inside: bool, deceased: bool = False) -> list[dict[str, str]]:
        return [
            p
            for p in self.persons
            if p["village_code"].startswith(self.officer.region_code or "") == inside
            and (p["deceased"] == "1") == deceased
        ]


@pytest.fixture
def snapshot(url: str, tmp_path: Path) -> Snapshot:
    extract = tmp_path / "extract.csv"
    generate(persons=240, seed=11, out=extract, provinces=["31"])
    with extract.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    regency = Counter(r["village_code"][:4] for r in rows).most_common(1)[0][0]
    # Two persons of the officer's regency recorded as deceased, whatever the generator drew.
    for row in rows:
        row["deceased"] = "0"
    for row in [r for r in rows if r["village_code"].startswith(regency)][-2:]:
        row["deceased"] = "1"
    with extract.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(EXTRACT_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    result = import_snapshot(path=extract, snapshot_date=date(2026, 9, 30), url=url)
    assert result.accepted == len(rows)
    officer = Principal("rina", REGENCY_OFFICER, region_code=regency)
    return Snapshot(result.snapshot_id, rows, officer)
