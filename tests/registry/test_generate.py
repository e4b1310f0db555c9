"""The synthetic registry generator (`jaring.registry.generate`).

Rows are checked by an independent oracle written here from docs/registry-format.md and
PP 40/2019 (NIK layout), not by the generator's own code: a tiny importer that reports the
first rejection reason in the order of `reasons.REJECTIONS`, and NIK/KK consistency checks.
"""

from __future__ import annotations

import csv
import gzip
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from jaring.kit import config
from jaring.kit.errors import BadInput
from jaring.kit.nik import parse_kk, parse_nik
from jaring.registry import codes, synth_names
from jaring.registry import generate as gen_module
from jaring.registry.codes import EXTRACT_COLUMNS
from jaring.registry.generate import FAULT_KINDS, GenerateSummary, generate
from jaring.registry.reasons import REJECTIONS

SNAPSHOT = date(2026, 9, 30)
COLUMNS = list(EXTRACT_COLUMNS)


# ---------------------------------------------------------------------------------------
# Reading and the independent oracle


def read(path: Path) -> pa.Table:
    if path.name.endswith(".parquet"):
        return pq.read_table(path)
    options = pcsv.ConvertOptions(column_types=dict.fromkeys(COLUMNS, pa.string()))
    return pcsv.read_csv(path, convert_options=options)


def rows(path: Path) -> list[dict[str, str]]:
    return read(path).to_pylist()  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Known:
    provinces: frozenset[str]
    regencies: frozenset[str]
    districts: frozenset[str]
    villages: frozenset[str]


@cache
def known() -> Known:
    area = config.area_data_dir()

    def codes_of(name: str) -> frozenset[str]:
        with (area / name).open(encoding="utf-8") as f:
            return frozenset(row["code"].replace(".", "") for row in csv.DictReader(f))

    return Known(
        provinces=codes_of("provinces.csv"),
        regencies=codes_of("regencies.csv"),
        districts=codes_of("districts.csv"),
        villages=codes_of("villages.csv"),
    )


def real_date(yy: int, month: int, day: int) -> bool:
    for year in (1900 + yy, 2000 + yy):
        try:
            date(year, month, day)
            return True
        except ValueError:
            pass
    return False


def id_problem(text: str, prefix: str) -> str | None:
    """NIK/KK checks in the importer's order: missing, non-digit, length, province, zero region, date."""
    if text == "":
        return f"{prefix}_missing"
    if not re.fullmatch(r"[0-9]*", text):
        return f"{prefix}_non_digit"
    if len(text) != 16:
        return f"{prefix}_length"
    k = known()
    if prefix == "nik" and text[:2] == "99":
        return None
    if text[:2] not in k.provinces:
        return f"{prefix}_province_unknown"
    if text[2:4] == "00" or text[4:6] == "00":
        return "nik_region_zero" if prefix == "nik" else "kk_province_unknown"
    day = int(text[6:8])
    if prefix == "nik" and day > 40:
        day -= 40
    if not real_date(int(text[10:12]), int(text[8:10]), day):
        return f"{prefix}_date_impossible"
    if prefix == "nik" and text[12:] == "0000":
        return "nik_serial_zero"
    return None


def iso_date(text: str) -> date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def all_problems(row: dict[str, str], nik_count: Counter[str]) -> list[str]:
    """Every rejection reason that applies to the row, in REJECTIONS order."""
    found = []
    nik = id_problem(row["nik"], "nik")
    if nik:
        found.append(nik)
    elif nik_count[row["nik"]] > 1:
        found.append("nik_duplicate")
    kk = id_problem(row["kk_number"], "kk")
    if kk:
        found.append(kk)
    if row["name"].strip() == "":
        found.append("name_missing")
    if row["sex"].strip().lower() not in codes.SEX_SPELLINGS:
        found.append("sex_invalid")
    born = iso_date(row["birth_date"])
    if born is None:
        found.append("birth_date_invalid")
    elif born > SNAPSHOT:
        found.append("birth_date_future")
    village = row["village_code"].replace(".", "")
    if not re.fullmatch(r"\d{10}", village):
        found.append("village_invalid")
    elif village not in known().villages:
        found.append("village_unknown")
    if row["relationship"] not in {str(c) for c in codes.RELATIONSHIPS}:
        found.append("relationship_invalid")
    if row["employment_status"] not in {str(c) for c in codes.EMPLOYMENT_STATUSES}:
        found.append("employment_invalid")
    if row["occupation"] not in {"", *codes.OCCUPATIONS}:
        found.append("occupation_unknown")
    if row["desil"] == "":
        found.append("desil_missing")
    elif row["desil"] not in {str(d) for d in codes.DESILS}:
        found.append("desil_invalid")
    if row["deceased"] not in {"0", "1"}:
        found.append("deceased_invalid")
    valid_jamsostek = {str(i) for i in range(codes.JAMSOSTEK_MAX + 1)} | {str(codes.JAMSOSTEK_UNKNOWN)}
    if row["jamsostek"] not in valid_jamsostek:
        found.append("jamsostek_invalid")
    order = list(REJECTIONS)
    assert all(f in REJECTIONS for f in found)
    return sorted(found, key=order.index)


def nik_matches(row: dict[str, str]) -> bool:
    """The NIK's date and sex agree with birth_date and sex (day + 40 for women)."""
    nik, born = row["nik"], date.fromisoformat(row["birth_date"])
    day = born.day + (40 if row["sex"] == "2" else 0)
    return nik[6:12] == f"{day:02d}{born.month:02d}{born.year % 100:02d}" and nik[:6] in known().districts


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def kk_date(kk: str) -> date:
    """The KK recording date: the latest century that does not put it after the snapshot."""
    yy, mm, dd = int(kk[10:12]), int(kk[8:10]), int(kk[6:8])
    for year in (2000 + yy, 1900 + yy):
        try:
            recorded = date(year, mm, dd)
        except ValueError:
            continue
        if recorded <= SNAPSHOT:
            return recorded
    raise AssertionError(f"KK {kk} has no real recording date")


# ---------------------------------------------------------------------------------------
# Files shared by several tests (generated once per module)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[GenerateSummary, list[dict[str, str]]]:
    """30,000 persons in 5 chunks: uniqueness must hold across chunks."""
    out = tmp_path_factory.mktemp("clean") / "clean.parquet"
    summary = generate(persons=30_000, seed=7, out=out, chunk_size=6_500)
    return summary, rows(out)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> tuple[GenerateSummary, list[dict[str, str]]]:
    out = tmp_path_factory.mktemp("faulty") / "faulty.csv"
    summary = generate(persons=21_001, seed=3, out=out, faults=0.0717, chunk_size=5_000)
    return summary, rows(out)


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> tuple[GenerateSummary, pa.Table]:
    """A big national sample for the distributions."""
    out = tmp_path_factory.mktemp("national") / "national.parquet"
    summary = generate(persons=300_000, seed=11, out=out)
    return summary, pq.read_table(out)


# ---------------------------------------------------------------------------------------
# Determinism


@pytest.mark.parametrize("suffix", [".parquet", ".csv.gz"])
def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path, suffix: str) -> None:
    args: dict[str, Any] = {"persons": 12_000, "faults": 0.02, "chunk_size": 2_500}
    a = generate(seed=5, out=tmp_path / f"a{suffix}", **args)
    b = generate(seed=5, out=tmp_path / f"b{suffix}", **args)
    generate(seed=6, out=tmp_path / f"c{suffix}", **args)
    assert a.chunks == 5
    assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()
    assert (tmp_path / f"a{suffix}").read_bytes() != (tmp_path / f"c{suffix}").read_bytes()
    assert a.faults_by_kind == b.faults_by_kind


def test_csv_parquet_and_gzip_hold_the_same_rows(tmp_path: Path) -> None:
    args: dict[str, Any] = {"persons": 8_000, "seed": 9, "faults": 0.05, "chunk_size": 3_000}
    generate(out=tmp_path / "r.parquet", **args)
    generate(out=tmp_path / "r.csv", **args)
    generate(out=tmp_path / "r.csv.gz", **args)
    parquet, plain, zipped = (
        read(tmp_path / "r.parquet"),
        read(tmp_path / "r.csv"),
        read(tmp_path / "r.csv.gz"),
    )
    assert parquet.column_names == COLUMNS
    assert all(t == pa.string() for t in parquet.schema.types)  # every column is text, as in the CSV
    assert parquet.equals(plain)
    assert plain.equals(zipped)
    with gzip.open(tmp_path / "r.csv.gz", "rt", encoding="utf-8") as f:
        assert f.readline().rstrip("\n") == ",".join(COLUMNS)
    assert (tmp_path / "r.csv").read_bytes() == gzip.decompress((tmp_path / "r.csv.gz").read_bytes())


# ---------------------------------------------------------------------------------------
# Clean output


def test_counts_and_families(clean: tuple[GenerateSummary, list[dict[str, str]]]) -> None:
    summary, data = clean
    assert summary.persons == len(data) == 30_000
    assert summary.chunks == 5
    assert summary.faults_by_kind == {}
    assert summary.rejected_rows == 0
    families = {r["kk_number"] for r in data}
    assert summary.families == len(families)
    assert 2.8 < summary.persons / summary.families < 3.3  # DTSEN: 286 M persons in 94 M families


def test_every_clean_row_passes_the_importer_checks(
    clean: tuple[GenerateSummary, list[dict[str, str]]],
) -> None:
    _, data = clean
    nik_count = Counter(r["nik"] for r in data)
    problems = Counter(p for r in data for p in all_problems(r, nik_count))
    assert problems == Counter()


def test_nik_unique_and_consistent_across_chunks(clean: tuple[GenerateSummary, list[dict[str, str]]]) -> None:
    summary, data = clean
    niks = [r["nik"] for r in data]
    assert len(set(niks)) == len(niks)
    assert all(nik_matches(r) for r in data)
    k = known()
    for r in data[:: len(data) // 2000]:  # the kit's parser agrees: valid, no warning
        result = parse_nik(r["nik"], reference_date=SNAPSHOT, known=k)
        assert result.valid, (r["nik"], result)
        assert not result.warnings, (r["nik"], result)
        assert result.birth_date == date.fromisoformat(r["birth_date"])
        assert result.sex == ("F" if r["sex"] == "2" else "M")
    # Serials: 0001 upwards, and persons sharing district + birth date + sex are told apart
    # by the chunk they came from (serial ≡ chunk + 1 modulo the number of chunks).
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for nik in niks:
        by_prefix[nik[:12]].append(int(nik[12:]))
    shared = [s for s in by_prefix.values() if len(s) > 1]
    assert shared, "a sample this size has persons sharing a NIK prefix"
    assert {s % summary.chunks for serials in by_prefix.values() for s in serials} == set(
        range(summary.chunks)
    )
    # Most people keep the NIK of the district they live in; some registered elsewhere first.
    moved = sum(r["nik"][:6] != r["village_code"][:6] for r in data) / len(data)
    assert 0.01 < moved < 0.10


def test_family_structure(clean: tuple[GenerateSummary, list[dict[str, str]]]) -> None:
    _, data = clean
    families: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in data:
        families[r["kk_number"]].append(r)
    kk_seen_districts = set()
    for kk, members in families.items():
        heads = [m for m in members if m["relationship"] == "1"]
        assert len(heads) == 1, kk
        assert sum(m["relationship"] == "2" for m in members) <= 1
        head = heads[0]
        assert len({m["desil"] for m in members}) == 1  # desil is the family's
        assert len({m["village_code"] for m in members}) == 1
        head_born = date.fromisoformat(head["birth_date"])
        assert age_on(head_born, SNAPSHOT) >= 17
        # KK: the family's district, recorded after the head turned 17, not after the snapshot.
        assert kk[:6] == head["village_code"][:6]
        assert parse_kk(kk, reference_date=SNAPSHOT, known=known()).valid
        recorded = kk_date(kk)
        assert age_on(head_born, recorded) >= 17
        assert recorded <= SNAPSHOT
        kk_seen_districts.add(kk[:6])
        parents = [m for m in members if m["relationship"] in ("1", "2")]
        for m in members:
            born = date.fromisoformat(m["birth_date"])
            if m["relationship"] == "3":  # children younger than both parents
                assert all(born > date.fromisoformat(p["birth_date"]) for p in parents), kk
            elif m["relationship"] == "5":
                assert age_on(head_born, born) >= 30, kk  # a grandchild: two generations down
            elif m["relationship"] == "6":
                assert born < head_born, kk
    assert len(kk_seen_districts) > 500


def test_codes_and_plausible_people(clean: tuple[GenerateSummary, list[dict[str, str]]]) -> None:
    _, data = clean
    for r in data:
        born = date.fromisoformat(r["birth_date"])
        age = age_on(born, SNAPSHOT)
        assert 0 <= age < 100
        status = int(r["employment_status"])
        if status == 0:
            assert r["occupation"] == ""
        else:
            assert r["occupation"] != ""
            assert age >= 15
        if status in codes.FORMAL_STATUSES:
            assert r["jamsostek"] in {"0", "7", "15", "99"}
        if r["jamsostek"] not in ("0", "99"):
            assert status != 0
        assert re.fullmatch(r"[A-Z][A-Za-z]*( [A-Za-z]+)*", r["name"]), r["name"]
    names = Counter(r["name"] for r in data)
    assert len(names) > 3_000
    single = sum(" " not in r["name"] for r in data) / len(data)
    assert 0.15 < single < 0.6  # many Indonesians have one name


# ---------------------------------------------------------------------------------------
# Distributions (a national sample)


def column(table: pa.Table, name: str) -> np.ndarray[Any, Any]:
    return np.asarray(table[name].to_numpy(zero_copy_only=False))


def test_desil_deciles_are_equal_nationally_and_follow_poverty(
    national: tuple[GenerateSummary, pa.Table],
) -> None:
    summary, table = national
    desil = column(table, "desil").astype(int)
    shares = np.bincount(desil, minlength=11)[1:] / len(desil)
    assert np.all(np.abs(shares - 0.1) < 0.012), shares  # ten equal population groups

    poverty_file = config.reference_dir() / "stats" / "regency_poverty_bps_2025.csv"
    if not poverty_file.is_file():
        pytest.skip("no regency poverty table: deciles are drawn without a regional link")
    assert summary.poverty_source.startswith(str(poverty_file.resolve()))
    with poverty_file.open(encoding="utf-8") as f:
        rate = {r["regency_code"]: float(r["poverty_rate_pct_2025_03"]) for r in csv.DictReader(f)}
    regency = np.array([v[:4] for v in column(table, "village_code")])
    ranked = sorted(rate, key=rate.__getitem__)
    poorest, richest = set(ranked[-60:]), set(ranked[:60])
    poor_mean = desil[np.isin(regency, list(poorest))].mean()
    rich_mean = desil[np.isin(regency, list(richest))].mean()
    assert poor_mean + 1.5 < rich_mean, (poor_mean, rich_mean)


def test_work_and_insurance_roughly_match_national_figures(
    national: tuple[GenerateSummary, pa.Table],
) -> None:
    _, table = national
    status = column(table, "employment_status").astype(int)
    jamsostek = column(table, "jamsostek").astype(int)
    desil = column(table, "desil").astype(int)
    deceased = column(table, "deceased").astype(int)
    working = status > 0
    formal = np.isin(status, list(codes.FORMAL_STATUSES))
    informal = working & ~formal
    insured = np.isin(jamsostek, [3, 7, 15])
    assert 0.42 < working.mean() < 0.58  # 145 M employed of 285 M people
    assert 0.33 < formal.sum() / working.sum() < 0.50  # 42 % formal (Aug 2024)
    assert 0.07 < insured[informal].mean() < 0.16  # 9.6 M BPU of 84 M informal workers
    assert 0.32 < insured[formal].mean() < 0.55  # 26.3 M PU of 61 M formal workers
    assert insured[working & (desil <= 3)].mean() < insured[working & (desil >= 8)].mean()
    assert informal[desil <= 3].sum() / working[desil <= 3].sum() > 0.75  # informal work dominates the poor
    assert 0.003 < (jamsostek == 99).mean() < 0.03
    assert 0.001 < deceased.mean() < 0.01
    occupations = Counter(column(table, "occupation")[informal].tolist())
    for typical in ("farmer", "trader", "farm_labourer", "daily_labourer", "platform_driver", "fisher"):
        assert occupations[typical] > 0, typical
    assert Counter(column(table, "occupation")[formal].tolist()).most_common(1)[0][0] == "private_employee"


def desil_by_province(path: Path) -> tuple[np.ndarray[Any, Any], dict[str, float]]:
    table = pq.read_table(path, columns=["desil", "village_code"])
    desil = column(table, "desil").astype(int)
    province = np.array([v[:2] for v in column(table, "village_code")])
    return desil, {p: float(desil[province == p].mean()) for p in ("31", "95")}


def test_without_statistics_regions_are_uniform_and_deciles_unlinked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "reference" / "stats").mkdir(parents=True)
    monkeypatch.setenv("JARING_REFERENCE_DIR", str(tmp_path / "reference"))
    summary = generate(persons=60_000, seed=3, out=tmp_path / "r.parquet")
    assert summary.population_source == "uniform over villages"
    assert summary.poverty_source == "none"
    desil, mean = desil_by_province(tmp_path / "r.parquet")
    assert np.all(np.abs(np.bincount(desil, minlength=11)[1:] / len(desil) - 0.1) < 0.02)
    # Uniform over villages: Papua Pegunungan (2,600 villages, 1.5 M people) gets far more
    # people than its share of the population; DKI (267 villages, 11 M people) far fewer.
    villages = np.array([v[:2] for v in column(pq.read_table(tmp_path / "r.parquet"), "village_code")])
    assert (villages == "95").sum() > (villages == "31").sum()
    assert abs(mean["31"] - mean["95"]) < 1.0


def test_province_poverty_is_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = config.reference_dir() / "stats" / "province_poverty_bps.csv"
    if not source.is_file():
        pytest.skip("no province poverty table")
    (tmp_path / "reference" / "stats").mkdir(parents=True)
    (tmp_path / "reference" / "stats" / source.name).write_bytes(source.read_bytes())
    monkeypatch.setenv("JARING_REFERENCE_DIR", str(tmp_path / "reference"))
    summary = generate(persons=60_000, seed=3, out=tmp_path / "r.parquet")
    assert summary.poverty_source.endswith("province_poverty_bps.csv")
    _, mean = desil_by_province(tmp_path / "r.parquet")
    assert mean["95"] + 1.5 < mean["31"]  # Papua Pegunungan is far poorer than Jakarta


# ---------------------------------------------------------------------------------------
# Faults


def test_faults_are_exact_and_each_is_the_named_rejection(
    faulty: tuple[GenerateSummary, list[dict[str, str]]],
) -> None:
    summary, data = faulty
    expected_total = round(0.0717 * 21_001)
    assert summary.faulted_rows == expected_total == 1506
    assert set(summary.faults_by_kind) == set(FAULT_KINDS)
    assert max(summary.faults_by_kind.values()) - min(summary.faults_by_kind.values()) <= 1
    assert summary.expected_rejections["nik_duplicate"] == 2 * summary.faults_by_kind["nik_duplicate"]

    nik_count = Counter(r["nik"] for r in data)
    reported: Counter[str] = Counter()
    for r in data:
        problems = all_problems(r, nik_count)
        if problems:
            assert len(problems) == 1, (problems, r)  # one fault, nothing else wrong in the row
            reported[problems[0]] += 1
        else:
            assert nik_matches(r), r  # untouched rows stay consistent
    assert dict(reported) == summary.expected_rejections
    assert (
        sum(reported.values())
        == summary.rejected_rows
        == expected_total + summary.faults_by_kind["nik_duplicate"]
    )
    # Every duplicated NIK appears exactly twice: the copy and its clean source.
    assert {c for c in nik_count.values() if c > 1} == {2}


def test_fault_shapes(faulty: tuple[GenerateSummary, list[dict[str, str]]]) -> None:
    _, data = faulty
    k = known()
    seen: defaultdict[str, set[str]] = defaultdict(set)
    for r in data:
        nik = r["nik"]
        if re.fullmatch(r"\d+", nik) and len(nik) != 16:
            seen["nik_length"].add(str(len(nik)))
        if r["sex"] not in ("1", "2"):
            seen["sex"].add(r["sex"])
        if r["desil"] not in {str(d) for d in range(1, 11)}:
            seen["desil"].add(r["desil"])
        if r["relationship"] not in {str(c) for c in range(1, 9)}:
            seen["relationship"].add(r["relationship"])
        if r["employment_status"] not in {str(c) for c in range(9)}:
            seen["employment"].add(r["employment_status"])
        if iso_date(r["birth_date"]) is None:
            seen["birth_date"].add("dmy" if "/" in r["birth_date"] else r["birth_date"][4:] or "empty")
        if len(r["kk_number"]) != 16:
            seen["kk_length"].add(str(len(r["kk_number"])))
        if r["village_code"] not in k.villages:
            assert re.fullmatch(r"\d{10}", r["village_code"])
            assert r["village_code"][:6] in k.districts
        if re.fullmatch(r"\d{16}", nik) and nik[:2] not in k.provinces:
            assert nik[:2] != "99"  # 99 is a citizen abroad: valid
    assert seen["nik_length"] == {"15", "17"}
    assert seen["kk_length"] == {"15", "17"}
    assert seen["sex"] == {"3", "X"}
    assert seen["desil"] == {"", "0", "11"}
    assert seen["relationship"] == {"0", "9"}
    assert seen["employment"] == {"9"}
    assert seen["birth_date"] == {"dmy", "-02-30", "empty"}


def test_nik_faults_agree_with_the_kit_parser(faulty: tuple[GenerateSummary, list[dict[str, str]]]) -> None:
    _, data = faulty
    for r in data:
        mine = id_problem(r["nik"], "nik")
        theirs = parse_nik(r["nik"], reference_date=SNAPSHOT, known=known())
        assert theirs.reason == mine, r["nik"]


# ---------------------------------------------------------------------------------------
# Options and errors


def test_provinces_filter(tmp_path: Path) -> None:
    out = tmp_path / "jabar_jateng.csv"
    summary = generate(persons=6_000, seed=1, out=out, provinces=["33", "32"])
    assert summary.provinces == ("32", "33")
    data = rows(out)
    assert {r["village_code"][:2] for r in data} == {"32", "33"}
    assert {r["kk_number"][:2] for r in data} == {"32", "33"}
    assert generate(persons=10, seed=1, out=tmp_path / "x.csv", provinces="51").provinces == ("51",)


def test_regional_names(tmp_path: Path) -> None:
    generate(persons=3_000, seed=2, out=tmp_path / "bali.parquet", provinces=["51"])
    bali = rows(tmp_path / "bali.parquet")
    prefixed = sum(r["name"].startswith(("I ", "Ni ")) for r in bali) / len(bali)
    assert prefixed > 0.7
    assert all(r["name"].startswith("Ni ") for r in bali if r["name"].startswith("Ni ") and r["sex"] == "2")
    generate(persons=4_000, seed=2, out=tmp_path / "sumut.parquet", provinces=["12"])
    families: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows(tmp_path / "sumut.parquet"):
        families[r["kk_number"]].append(r)
    marga = set(synth_names.CLANS["batak"])
    checked = 0
    for members in families.values():
        head = next(m for m in members if m["relationship"] == "1")
        if head["name"].split()[-1] in marga:
            for child in (m for m in members if m["relationship"] == "3"):
                assert child["name"].split()[-1] == head["name"].split()[-1]
                checked += 1
    assert checked > 100


def test_progress_reports_persons_written_after_each_chunk(tmp_path: Path) -> None:
    seen: list[int] = []
    generate(persons=10_001, seed=1, out=tmp_path / "p.parquet", chunk_size=4_000, progress=seen.append)
    assert seen == [4_000, 8_000, 10_001]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"persons": 0}, "persons"),
        ({"persons": -5}, "persons"),
        ({"seed": -1}, "seed"),
        ({"faults": 1.0}, "faults"),
        ({"faults": -0.1}, "faults"),
        ({"faults": math.nan}, "faults"),
        ({"provinces": ["32", "10"]}, "unknown province code(s) 10"),
        ({"provinces": []}, "provinces is empty"),
        ({"out": "registry.xlsx"}, ".parquet, .csv or .csv.gz"),
        ({"out": "no/such/dir/r.csv"}, "does not exist"),
        ({"out": "."}, "must end in"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"persons": 100_000, "chunk_size": 10}, "larger chunk size"),
    ],
)
def test_bad_arguments(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"persons": 100, "seed": 1, "out": "r.csv", **change}
    args["out"] = tmp_path / args["out"]
    with pytest.raises(BadInput, match=re.escape(message)):
        generate(**args)
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(BadInput, match="is a directory"):
        generate(persons=10, seed=1, out=tmp_path / "d.csv")


def test_serial_overflow_is_a_clear_error_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With serials capped at 3 and 3 chunks, any two people sharing district, sex and birth
    # date within a chunk overflow; 30,000 people in one small province always have some.
    monkeypatch.setattr(gen_module, "MAX_SERIAL", 3)
    with pytest.raises(BadInput, match="NIK serials would reach"):
        generate(persons=30_000, seed=1, out=tmp_path / "r.parquet", provinces=["75"], chunk_size=10_000)
    assert list(tmp_path.iterdir()) == []


def test_headroom_for_a_crowded_region(tmp_path: Path) -> None:
    """200,000 people in Jakarta's 44 districts in 20 chunks: serials stay far below 9999."""
    summary = generate(
        persons=200_000, seed=1, out=tmp_path / "dki.parquet", provinces=["31"], chunk_size=10_000
    )
    assert summary.max_nik_serial < 200
    niks = read(tmp_path / "dki.parquet")["nik"]
    assert len(niks.unique()) == 200_000


def test_serial_offset_keeps_two_files_apart(tmp_path: Path) -> None:
    """Two files from different seeds share NIKs (serials restart at 0001) unless the second
    is generated with an offset of at least the first one's highest serial."""
    args: dict[str, Any] = {"persons": 40_000, "provinces": ["75"], "chunk_size": 20_000}
    first = generate(seed=1, out=tmp_path / "a.parquet", **args)
    generate(seed=2, out=tmp_path / "b.parquet", **args)
    later = generate(seed=2, out=tmp_path / "c.parquet", serial_offset=first.max_nik_serial, **args)
    a, b, c = (set(read(tmp_path / f"{x}.parquet")["nik"].to_pylist()) for x in "abc")
    assert a & b, "without an offset, two files share some NIKs"
    assert not a & c
    kk_a, kk_c = (set(read(tmp_path / f"{x}.parquet")["kk_number"].to_pylist()) for x in "ac")
    assert not kk_a & kk_c
    assert min(int(n[12:]) for n in c) > first.max_nik_serial
    assert later.max_nik_serial > first.max_nik_serial
    with pytest.raises(BadInput, match="serial_offset"):
        generate(seed=1, out=tmp_path / "d.csv", persons=10, serial_offset=9_999)


def test_replaces_an_existing_file_whole(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    out.write_text("old")
    generate(persons=50, seed=1, out=out)
    assert out.read_text().startswith("nik,kk_number,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def test_birth_dates_are_real_dates_on_or_before_the_snapshot(tmp_path: Path) -> None:
    snapshot = date(2024, 2, 29)
    generate(persons=5_000, seed=4, out=tmp_path / "r.csv", snapshot_date=snapshot)
    born = [date.fromisoformat(r["birth_date"]) for r in rows(tmp_path / "r.csv")]
    assert max(born) <= snapshot
    assert min(born) > snapshot - timedelta(days=100 * 365)
