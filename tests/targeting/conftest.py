"""A registry snapshot, a sponsor with a target, and members in every state, for the
targeting tests (each on SQLite and PostgreSQL); plus an independent expectation of the run,
computed row by row in Python from the extract itself."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from jaring.contributions import coverage
from jaring.contributions.payments import record_payment
from jaring.kit import protect
from jaring.kit.auth import NATIONAL_ADMIN, REGENCY_OFFICER, Principal
from jaring.kit.periods import Month
from jaring.membership import service as membership
from jaring.membership.numbers import serial_of
from jaring.registry.generate import generate
from jaring.registry.reasons import WARNINGS
from jaring.registry.service import get_snapshot, import_snapshot
from jaring.sponsors.service import Sponsor, create_sponsor

ADMIN = Principal("admin", NATIONAL_ADMIN)
START = Month(2026, 12)
HAZARD_EXPECTED = {  # written out again, not imported: the test states what it expects
    "fisher": 3, "construction_worker": 3, "farm_labourer": 3, "daily_labourer": 3,
    "platform_driver": 3, "transport_driver": 3, "courier": 3, "farmer": 2,
    "livestock_keeper": 2, "street_vendor": 2, "mechanic": 2, "domestic_worker": 2,
    "artisan": 2, "mosque_caretaker": 2,
}  # fmt: skip


@dataclass
class World:
    url: str
    snapshot_id: str
    persons: list[dict[str, str]]  # extract rows, NIKs in clear
    warnings: dict[str, int]  # nik → warning_flags as imported
    regency: str
    sponsor: Sponsor
    other: Sponsor
    officer: Principal
    covered: set[str]  # NIKs of members protected or sponsored in START
    members: dict[str, int]  # nik → member id, every member


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def expected(world: World, rule: dict[str, object], priority: list[str]) -> tuple[dict[str, int], list[str]]:
    """Row by row: each in-scope person's first exclusion reason, and the eligible persons'
    blind indexes in priority order."""
    on = START.first_day
    scope = [p for p in world.persons if p["village_code"].startswith(world.regency)]
    female_heads = {p["kk_number"] for p in world.persons if p["relationship"] == "1" and p["sex"] == "F"}
    mismatch = (1 << list(WARNINGS).index("nik_birth_date_mismatch")) | (
        1 << list(WARNINGS).index("nik_sex_mismatch")
    )
    reasons: Counter[str] = Counter()
    eligible = []
    for p in scope:
        age = age_on(date.fromisoformat(p["birth_date"]), on)
        status = int(p["employment_status"])
        occupations = rule.get("occupations")
        if p["deceased"] == "1":
            reason = "deceased"
        elif world.warnings[p["nik"]] & mismatch:
            reason = "nik_unverified"
        elif not int(rule.get("age_min", 15)) <= age <= int(rule.get("age_max", 65)):  # type: ignore[call-overload]
            reason = "age_outside_limits"
        elif status in (3, 4, 5):
            reason = "formal_worker"
        elif status == 0:
            reason = "not_working"
        elif int(p["desil"]) > int(rule.get("desil_max", 4)):  # type: ignore[call-overload]
            reason = "desil_above_cutoff"
        elif occupations is not None and p["occupation"] not in occupations:  # type: ignore[operator]
            reason = "occupation_not_targeted"
        elif rule.get("sex") and p["sex"] != rule["sex"]:
            reason = "sex_not_targeted"
        elif p["nik"] in world.covered:
            reason = "already_covered"
        else:
            reason = ""
        reasons[reason] += 1
        if not reason:
            keys = {
                "desil": int(p["desil"]),
                "hazard": -HAZARD_EXPECTED.get(p["occupation"], 1),
                "female_head": -(p["kk_number"] in female_heads),
                "older": -age,
                "younger": age,
            }
            index = protect.blind_index(p["nik"])
            eligible.append(([keys[k] for k in priority], bytes.fromhex(index), index))
    eligible.sort(key=lambda e: (e[0], e[1]))
    return dict(reasons), [e[2] for e in eligible]


def _member(url: str, person: dict[str, str], officer: Principal) -> int:
    view = membership.enrol(
        principal=officer,
        nik=person["nik"],
        name=person["name"],
        birth_date=date.fromisoformat(person["birth_date"]),
        sex=person["sex"],
        region_code=person["village_code"],
        category=person["occupation"] or "other",
        registered_on=date(2026, 6, 1),
        url=url,
    )
    return serial_of(view.participant_number)


@pytest.fixture
def world(store_url: str, jaring_env: Path, tmp_path: Path) -> World:
    url = store_url
    extract = tmp_path / "extract.csv"
    generate(persons=1500, seed=5, out=extract, provinces=["31"])
    with extract.open(encoding="utf-8", newline="") as handle:
        persons = list(csv.DictReader(handle))
    result = import_snapshot(path=extract, snapshot_date=date(2026, 9, 30), url=url)
    assert result.rejected == 0
    # The run reads the snapshot as imported (codes normalised: sex 1/2 is M/F); so does
    # the expectation, with each person's NIK put back from the extract.
    niks = {bytes.fromhex(protect.blind_index(p["nik"])): p["nik"] for p in persons}
    stored = pq.read_table(get_snapshot(result.snapshot_id, url).path).to_pylist()
    persons = [
        {
            "nik": niks[row["nik_index"]],
            "kk_number": row["kk_index"].hex(),
            "name": row["name"],
            "sex": row["sex"],
            "birth_date": row["birth_date"].isoformat(),
            "village_code": row["village_code"],
            "relationship": str(row["relationship"]),
            "employment_status": str(row["employment_status"]),
            "occupation": row["occupation"] or "",
            "desil": str(row["desil"]),
            "deceased": "1" if row["deceased"] else "0",
        }
        for row in stored
    ]
    warnings = {niks[row["nik_index"]]: int(row["warning_flags"]) for row in stored}
    regency = Counter(p["village_code"][:4] for p in persons).most_common(1)[0][0]
    officer = Principal("rina", REGENCY_OFFICER, region_code=regency)
    sponsor = create_sponsor(
        principal=ADMIN, code="KAB", name="Pemkab", kind="regency", region_code=regency, url=url
    )
    other = create_sponsor(
        principal=ADMIN, code="DESA", name="Dana Desa", kind="village", region_code=regency, url=url
    )
    # Members among the would-be eligible: sponsored elsewhere (covered), paid up (covered),
    # registered and never paid (not protected), paid long ago and lapsed (not protected).
    candidates = [
        p for p in persons
        if p["village_code"].startswith(regency) and p["deceased"] == "0" and int(p["desil"]) <= 4
        and p["employment_status"] not in ("0", "3", "4", "5")
        and 15 <= age_on(date.fromisoformat(p["birth_date"]), START.first_day) <= 65
    ][:8]  # fmt: skip
    assert len(candidates) == 8
    members: dict[str, int] = {}
    covered: set[str] = set()
    for person in candidates:
        members[person["nik"]] = _member(url, person, officer)
    for person in candidates[:2]:
        membership.assign_payer(
            principal=officer, sponsor_id=other.id, from_month=Month(2026, 10), months=6,
            member_ids=[members[person["nik"]]], url=url,
        )  # fmt: skip
        covered.add(person["nik"])
    for i, person in enumerate(candidates[2:4]):
        record_payment(
            channel="TEST", idempotency_key=f"paid-{i}", reference=_number(members[person["nik"]]),
            amount=16_800 * 7, paid_at=datetime(2026, 11, 20, tzinfo=UTC), url=url,
        )  # fmt: skip
    record_payment(
        channel="TEST", idempotency_key="lapsed", reference=_number(members[candidates[6]["nik"]]),
        amount=16_800, paid_at=datetime(2026, 6, 10, tzinfo=UTC), url=url,
    )  # fmt: skip
    # Who is protected on the first day is the coverage engine's answer, one member at a time.
    for person in candidates[2:]:
        status = coverage.check(
            principal=ADMIN, participant_number=_number(members[person["nik"]]), on=START.first_day, url=url
        ).status
        if status in ("active", "arrears"):
            covered.add(person["nik"])
    assert len(covered) >= 3  # two sponsored, and the paid-up ones
    return World(
        url, result.snapshot_id, persons, warnings, regency, sponsor, other, officer, covered, members
    )


def _number(member_id: int) -> str:
    from jaring.membership.numbers import participant_number

    return participant_number(member_id)
