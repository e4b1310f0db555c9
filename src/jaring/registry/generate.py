"""Synthetic DTSEN-like registry extracts (`jaring registry generate`), in the layout of
docs/registry-format.md, for demos, tests and benchmarks. Real extracts are never public.

One row per person, families whole. Everything is drawn with numpy per chunk and turned
into Arrow strings without a Python loop over rows or families:

* families are placed in regencies by population (Dukcapil figures in
  `reference_dir()/stats/region_population_area.csv`; without it uniformly over the
  villages) and in a village of the regency uniformly;
* the family's desil comes from a latent welfare score whose regency mean is set so that
  the share of people below the national poverty threshold equals the regency's BPS
  poverty rate (`regency_poverty_bps_2025.csv`, else the province rate, else none), cut
  at the national population deciles, so deciles are ten equal groups nationally and
  poor regencies hold more of the low ones;
* family structure, ages, sex, work, insurance and names follow the tables below;
* NIK and KK numbers are consistent with district, dates and sex, and unique over the whole
  file: the serial is the person's rank within (NIK prefix, chunk) × number of chunks +
  chunk index + 1, so chunks never collide without anyone remembering earlier NIKs.

Each chunk has its own random stream, `PCG64(SeedSequence([seed, chunk_index]))`: the
same arguments give a byte-identical file, whatever the number of threads. Chunks are made
on two worker threads while this thread writes the previous ones in order, so both cores
are busy and memory holds a few chunks whatever the number of persons. `faults` injects
exactly one problem into a deterministic share of rows, named with the importer's
rejection reasons (`registry/reasons.py`). Sources, calibration, faults and measured
speed: docs/synthetic-registry.md.
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import time
import zlib
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from jaring.kit import config
from jaring.kit.errors import BadInput
from jaring.registry import codes, synth_names
from jaring.registry.reasons import REJECTIONS

DEFAULT_SNAPSHOT = date(2026, 9, 30)
DEFAULT_CHUNK = 500_000
MIN_AUTO_CHUNK = 100_000

COLUMNS = codes.EXTRACT_COLUMNS

# Fault kinds, each an importer rejection reason. Injected round-robin, so their counts
# differ by at most one (unless a chunk runs out of clean rows to duplicate).
FAULT_KINDS = (
    "nik_length",
    "nik_non_digit",
    "nik_province_unknown",
    "nik_date_impossible",
    "nik_duplicate",
    "kk_length",
    "name_missing",
    "sex_invalid",
    "birth_date_invalid",
    "village_unknown",
    "desil_missing",
    "desil_invalid",
    "relationship_invalid",
    "employment_invalid",
)
assert all(kind in REJECTIONS for kind in FAULT_KINDS)
_KIND = {kind: i for i, kind in enumerate(FAULT_KINDS)}

FORMATS = {".parquet": "parquet", ".csv": "csv", ".csv.gz": "csv.gz"}
MAX_SERIAL = 9999

I8 = npt.NDArray[np.int8]
I16 = npt.NDArray[np.int16]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class GenerateSummary:
    persons: int
    families: int
    path: Path
    format: str  # parquet | csv | csv.gz
    seed: int
    snapshot_date: date
    provinces: tuple[str, ...]  # empty: all
    chunks: int
    faults_by_kind: dict[str, int]  # rows given each fault (a duplicate counts once)
    expected_rejections: dict[str, int]  # what an import must report: duplicates count twice
    bytes: int
    seconds: float
    population_source: str  # the file the regional weights came from, or "uniform"
    poverty_source: str  # the file the desil/poverty link came from, or "none"
    max_nik_serial: int  # headroom check: NIK serials go up to 9999
    notes: tuple[str, ...] = field(default=())

    @property
    def faulted_rows(self) -> int:
        return sum(self.faults_by_kind.values())

    @property
    def rejected_rows(self) -> int:
        return sum(self.expected_rejections.values())

    @property
    def persons_per_second(self) -> float:
        return self.persons / self.seconds if self.seconds > 0 else float("inf")


# --------------------------------------------------------------------------------------
# Distributions. Probabilities are relative weights; sources and calibration are in
# docs/synthetic-registry.md.

# Persons per family (KK): mean ≈ 3.04, as DTSEN's 286 M persons in 94 M families.
FAMILY_SIZE = {1: 18, 2: 23, 3: 23, 4: 19, 5: 10, 6: 4.5, 7: 1.5, 8: 1}
SPOUSE_SHARE = 0.82  # of families of two or more: head with spouse

ALONE, COUPLE, SINGLE_PARENT = 0, 1, 2
# Head's age by family type: (from, to inclusive, weight). Heads are at least 18.
HEAD_AGE_BANDS = {
    ALONE: ((18, 24, 15), (25, 34, 20), (35, 44, 10), (45, 54, 10), (55, 64, 15), (65, 74, 17), (75, 95, 13)),
    COUPLE: ((18, 24, 5), (25, 34, 22), (35, 44, 27), (45, 54, 22), (55, 64, 15), (65, 74, 7), (75, 90, 2)),
    SINGLE_PARENT: ((20, 34, 12), (35, 44, 18), (45, 54, 22), (55, 64, 22), (65, 74, 16), (75, 95, 10)),
}
MAX_AGE = 98  # keeps every birth date within a century of the snapshot: NIK years stay unambiguous
HEAD_MALE = {ALONE: 0.50, COUPLE: 0.96, SINGLE_PARENT: 0.35}

# Members other than head and spouse, by the head's age band (<45, 45–59, 60+):
# relationship code → weight.
OTHER_ROLES = (3, 4, 5, 6, 7, 8)
OTHER_ROLE_WEIGHTS = (
    (90, 0, 0, 5, 1, 4),
    (76, 6, 12, 2, 0.5, 3.5),
    (45, 15, 33, 0, 1, 6),
)
MALE_SHARE_BY_ROLE = {3: 0.51, 4: 0.40, 5: 0.51, 6: 0.35, 7: 0.25, 8: 0.50}

# Share working, by age band (from age) and sex (male, female): BPS participation by age,
# loosely, with school and retirement.
WORKING = (
    (0, 0.0, 0.0), (15, 0.30, 0.20), (20, 0.68, 0.48), (25, 0.88, 0.55), (30, 0.93, 0.58),
    (55, 0.85, 0.50), (60, 0.72, 0.40), (65, 0.55, 0.30), (70, 0.40, 0.20), (75, 0.20, 0.08),
)  # fmt: skip

# Formal work (status 3, 4, 5) among the working, by desil; more in cities.
FORMAL_BY_DESIL = tuple(0.08 + 0.075 * (d - 1) for d in range(1, 11))
FORMAL_URBAN_BONUS = 0.10
FORMAL_STATUS = {3: 8, 4: 78, 5: 14}
# Informal status (1, 2, 6, 7, 8) by sex and rural/urban.
INFORMAL_STATUS = {
    ("M", False): {1: 30, 2: 33, 6: 14, 7: 13, 8: 10},
    ("M", True): {1: 45, 2: 18, 6: 3, 7: 26, 8: 8},
    ("F", False): {1: 27, 2: 18, 6: 8, 7: 5, 8: 42},
    ("F", True): {1: 45, 2: 12, 6: 2, 7: 13, 8: 28},
}
# Occupation by status, (rural weights, urban weights).
OCCUPATION_BY_STATUS: dict[int, tuple[Mapping[str, float], ...]] = {
    1: (
        {"farmer": 30, "trader": 14, "street_vendor": 8, "fisher": 6, "livestock_keeper": 6, "artisan": 5,
         "tailor": 3, "mechanic": 3, "transport_driver": 4, "platform_driver": 1, "religious_teacher": 4,
         "rt_rw_head": 3, "posyandu_cadre": 2, "other": 8},
        {"trader": 22, "street_vendor": 18, "platform_driver": 14, "courier": 4, "transport_driver": 6,
         "tailor": 5, "mechanic": 6, "artisan": 4, "farmer": 2, "fisher": 1, "religious_teacher": 3,
         "rt_rw_head": 3, "posyandu_cadre": 2, "other": 10},
    ),
    2: (
        {"farmer": 55, "livestock_keeper": 8, "fisher": 7, "trader": 15, "artisan": 5, "other": 6},
        {"trader": 45, "street_vendor": 10, "artisan": 10, "mechanic": 8, "farmer": 8, "other": 15},
    ),
    3: ({"private_employee": 55, "trader": 30, "other": 15},) * 2,
    4: ({"private_employee": 80, "transport_driver": 4, "construction_worker": 4, "honorary_teacher": 3,
         "domestic_worker": 2, "other": 7},) * 2,
    5: ({"civil_servant": 88, "village_official": 10, "other": 2},) * 2,
    6: ({"farm_labourer": 80, "fisher": 10, "livestock_keeper": 6, "other": 4},) * 2,
    7: (
        {"daily_labourer": 35, "construction_worker": 25, "domestic_worker": 8, "honorary_teacher": 5,
         "village_official": 6, "posyandu_cadre": 4, "religious_teacher": 3, "mosque_caretaker": 3,
         "transport_driver": 4, "courier": 2, "other": 5},
        {"daily_labourer": 25, "construction_worker": 20, "domestic_worker": 12, "courier": 10,
         "platform_driver": 8, "honorary_teacher": 5, "transport_driver": 5, "posyandu_cadre": 3,
         "mosque_caretaker": 3, "village_official": 2, "rt_rw_head": 2, "other": 5},
    ),
    8: (
        {"farmer": 55, "trader": 20, "livestock_keeper": 6, "artisan": 5, "tailor": 4, "other": 10},
        {"trader": 50, "street_vendor": 15, "tailor": 8, "artisan": 7, "farmer": 5, "other": 15},
    ),
}  # fmt: skip
OCCUPATION_SEX_FACTOR = {
    "F": {"construction_worker": 0.05, "platform_driver": 0.15, "courier": 0.3, "transport_driver": 0.05,
          "fisher": 0.2, "mechanic": 0.05, "rt_rw_head": 0.3, "mosque_caretaker": 0.3,
          "domestic_worker": 4.0, "posyandu_cadre": 10.0, "tailor": 3.0},
    "M": {"domestic_worker": 0.2, "posyandu_cadre": 0.0, "tailor": 0.6},
}  # fmt: skip
# Community roles that regional (APBD) programmes often insure first.
COMMUNITY_ROLES = ("rt_rw_head", "religious_teacher", "mosque_caretaker", "posyandu_cadre",
                   "village_official", "honorary_teacher")  # fmt: skip

# Jamsostek (BPJS Ketenagakerjaan) holdings, calibrated loosely to 26.3 M active wage
# earners of 60.8 M formal workers and 9.6 M BPU of 83.8 M informal workers (Feb 2025).
INSURED_FORMAL_BY_DESIL = tuple(0.25 + 0.035 * (d - 1) for d in range(1, 11))
INSURED_INFORMAL_BY_DESIL = tuple(0.045 + 0.015 * (d - 1) for d in range(1, 11))
INSURED_COMMUNITY_BONUS = 0.25
FORMAL_PROGRAMS = {15: 85, 7: 15}  # JKK+JKM+JHT+JP, or without JP
INFORMAL_PROGRAMS = {3: 70, 7: 30}  # JKK+JKM, or with JHT
UNKNOWN_JAMSOSTEK = 0.02  # of people aged 15+: recorded as 99

DECEASED_BY_AGE = ((0, 0.002), (60, 0.012), (75, 0.04))
MIGRANT_NIK = 0.07  # of people aged 20+: NIK from the district where they were first registered
KK_WINDOW_DAYS = 30 * 365  # KK recording dates fall within 30 years before the snapshot

_NAME_STYLES = ("general", "batak", "minahasa", "maluku", "papua", "ntt", "bali")
SECOND_NAME_SHARE = 0.6  # general style: the rest have a single name

_U = 1 << 16  # draws are uint16: probabilities are thresholds in steps of 1/65,536
_L = 1 << 12  # category tables have 4,096 slots (small enough to stay in the CPU cache)


def _lut(weights: Sequence[float], values: Sequence[int] | None = None) -> I16:
    """A 4,096-slot lookup table: slot j holds the category whose cumulative weight range
    covers j, so a uniform slot picks category i with probability weight_i / sum (to
    1/4,096); zero weights get no slot."""
    w = np.asarray(weights, dtype=np.float64)
    cum = np.round(np.cumsum(w) / w.sum() * _L).astype(np.int64)
    cum[-1] = _L
    slots = np.searchsorted(cum, np.arange(_L), side="right")
    out = np.asarray(values, dtype=np.int16)[slots] if values is not None else slots
    return out.astype(np.int16)


def _threshold(p: npt.ArrayLike) -> I32:
    """`draw < threshold` happens with probability p for a uniform uint16 draw."""
    return np.round(np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0) * _U).astype(np.int32)


def _age_lut(bands: Sequence[tuple[int, int, float]]) -> I16:
    w = np.zeros(MAX_AGE + 1)
    for lo, hi, weight in bands:
        w[lo : min(hi, MAX_AGE) + 1] += weight / (min(hi, MAX_AGE) - lo + 1)
    return _lut(w.tolist())


def _by_age(table: Sequence[tuple[float, ...]], column: int) -> F64:
    out = np.zeros(MAX_AGE + 1)
    for start, *values in table:
        out[int(start) :] = values[column - 1]
    return out


def _normal_lut(mean: float, sd: float, lo: int, hi: int) -> I16:
    """Slots of a rounded normal distribution clipped to [lo, hi]."""
    nd = statistics.NormalDist(mean, sd)
    values = list(range(lo, hi + 1))
    weights = [nd.cdf(v + 0.5) - nd.cdf(v - 0.5) for v in values]
    weights[0] += nd.cdf(lo - 0.5)
    weights[-1] += 1 - nd.cdf(hi + 0.5)
    return _lut(weights, values)


# --------------------------------------------------------------------------------------
# Reference data


@dataclass(frozen=True)
class _Reference:
    province_codes: tuple[str, ...]
    regency_code: I64  # (R,) sorted
    regency_province: tuple[str, ...]
    regency_urban: Bool
    regency_weight: F64  # national population (or village count)
    regency_mu: F64  # mean of the latent welfare score
    desil_cuts: F64  # 9 national thresholds
    district_code: I64  # (D,) sorted
    regency_district_start: I64
    regency_district_count: I64
    village_code: I64  # (V,) sorted
    village_district: I32  # index into district_code
    village_regency: I32
    regency_village_start: I64
    regency_village_count: I64
    population_source: str
    poverty_source: str


def _read(path: Path, columns: Sequence[str]) -> pa.Table:
    try:
        return pcsv.read_csv(
            path,
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()), include_columns=list(columns)
            ),
        )
    except (OSError, pa.ArrowInvalid) as exc:
        raise BadInput(f"cannot read {path}: {exc}") from exc


def _undotted(values: pa.ChunkedArray) -> I64:
    return np.asarray(pc.cast(pc.replace_substring(values, ".", ""), pa.int64()), dtype=np.int64)


def _groups(sorted_parent: I64, n_parents: int) -> tuple[I64, I64]:
    count = np.bincount(sorted_parent, minlength=n_parents).astype(np.int64)
    start = np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.int64)
    return start, count


def _reference() -> _Reference:
    """The region lists and statistics, read again only when a file changes."""
    area, reference = config.area_data_dir().resolve(), config.reference_dir().resolve()
    files = [area / n for n in ("provinces.csv", "regencies.csv", "districts.csv", "villages.csv")]
    files += [reference / "stats" / n for n in (POPULATION_FILE, REGENCY_POVERTY_FILE, PROVINCE_POVERTY_FILE)]
    stamp = tuple(f.stat().st_mtime_ns if f.is_file() else 0 for f in files)
    return _load_reference(str(area), str(reference), stamp)


POPULATION_FILE = "region_population_area.csv"
REGENCY_POVERTY_FILE = "regency_poverty_bps_2025.csv"
PROVINCE_POVERTY_FILE = "province_poverty_bps.csv"


@cache
def _load_reference(area_dir: str, reference_dir: str, stamp: tuple[int, ...] = ()) -> _Reference:
    area = Path(area_dir)
    needed = ("provinces.csv", "regencies.csv", "districts.csv", "villages.csv")
    missing = [name for name in needed if not (area / name).is_file()]
    if missing:
        raise BadInput(
            f"the region list (npm package idn-area-data) is not at {area}: missing {', '.join(missing)}; "
            "run `make install` or set JARING_AREA_DATA to its data/ folder"
        )
    provinces = _read(area / "provinces.csv", ["code"])
    regencies = _read(area / "regencies.csv", ["code", "province_code"])
    districts = _read(area / "districts.csv", ["code", "regency_code"])
    villages = _read(area / "villages.csv", ["code", "district_code"])

    province_codes = tuple(sorted(provinces["code"].to_pylist()))
    reg_code = _undotted(regencies["code"])
    reg_order = np.argsort(reg_code)
    reg_code = reg_code[reg_order]
    reg_province = tuple(np.asarray(regencies["province_code"].to_pylist(), dtype=object)[reg_order])
    dist_code = _undotted(districts["code"])
    dist_order = np.argsort(dist_code)
    dist_code = dist_code[dist_order]
    dist_regency = np.searchsorted(reg_code, _undotted(districts["regency_code"])[dist_order])
    vill_code = np.sort(_undotted(villages["code"]))
    vill_district = np.searchsorted(dist_code, vill_code // 10_000).astype(np.int32)
    if (
        len(reg_code) == 0
        or len(vill_code) == 0
        or not np.array_equal(dist_code[vill_district], vill_code // 10_000)
    ):
        raise BadInput(f"the region list at {area} is inconsistent: a village has no district")
    vill_regency = dist_regency[vill_district].astype(np.int32)
    n_reg = len(reg_code)
    reg_vill_start, reg_vill_count = _groups(vill_regency.astype(np.int64), n_reg)
    reg_dist_start, reg_dist_count = _groups(dist_regency.astype(np.int64), n_reg)

    stats = Path(reference_dir) / "stats"
    weight = reg_vill_count.astype(np.float64)
    population_source = "uniform over villages"
    pop_file = stats / POPULATION_FILE
    if pop_file.is_file():
        pop = _read(pop_file, ["level", "code", "population_total"])
        is_regency = pc.equal(pop["level"], "regency")
        codes_ = np.asarray(pc.cast(pc.filter(pop["code"], is_regency), pa.int64()), dtype=np.int64)
        values = np.asarray(pc.cast(pc.filter(pop["population_total"], is_regency), pa.float64()))
        found = np.zeros(n_reg, dtype=bool)
        by_reg = np.zeros(n_reg)
        pos = np.searchsorted(reg_code, codes_)
        ok = (pos < n_reg) & (reg_code[np.minimum(pos, n_reg - 1)] == codes_)
        by_reg[pos[ok]] = values[ok]
        found[pos[ok]] = True
        if found.all() and by_reg.sum() > 0:
            weight = by_reg
            population_source = str(pop_file)

    poverty, poverty_source = _poverty(stats, reg_code, reg_province)
    if poverty is None:
        mu = np.zeros(n_reg)
    else:
        mu = np.array([-statistics.NormalDist().inv_cdf(min(max(p / 100, 0.001), 0.999)) for p in poverty])
    cuts = _desil_cuts(mu, weight)
    urban = (reg_code % 100) >= 71  # Kemendagri: 01–69 kabupaten, 71–99 kota
    return _Reference(
        province_codes=province_codes,
        regency_code=reg_code,
        regency_province=reg_province,
        regency_urban=urban,
        regency_weight=weight,
        regency_mu=mu,
        desil_cuts=cuts,
        district_code=dist_code,
        regency_district_start=reg_dist_start,
        regency_district_count=reg_dist_count,
        village_code=vill_code,
        village_district=vill_district,
        village_regency=vill_regency,
        regency_village_start=reg_vill_start,
        regency_village_count=reg_vill_count,
        population_source=population_source,
        poverty_source=poverty_source,
    )


def _header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8") as f:
            return [c.strip() for c in f.readline().split(",")]
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc}") from exc


def _latest_rate_column(table_columns: Sequence[str]) -> str | None:
    rates = sorted(c for c in table_columns if c.startswith("poverty_rate_pct"))
    return rates[-1] if rates else None


def _poverty(stats: Path, reg_code: I64, reg_province: Sequence[str]) -> tuple[F64 | None, str]:
    """Poverty rate (%) per regency: the regency table where it has the regency, else the
    province's rate, else nothing at all."""
    n = len(reg_code)
    province_rate: dict[str, float] = {}
    prov_file = stats / PROVINCE_POVERTY_FILE
    if prov_file.is_file():
        column = _latest_rate_column(_header(prov_file))
        if column:
            table = _read(prov_file, ["province_code", column])
            for code, rate in zip(table["province_code"].to_pylist(), table[column].to_pylist(), strict=True):
                if rate not in (None, ""):
                    province_rate[code] = float(rate)
    rates = np.array([province_rate.get(p, math.nan) for p in reg_province])
    source = str(prov_file) if province_rate else "none"
    reg_file = stats / REGENCY_POVERTY_FILE
    if reg_file.is_file():
        column = _latest_rate_column(_header(reg_file))
        if column:
            table = _read(reg_file, ["regency_code", column])
            codes_ = np.asarray(pc.cast(table["regency_code"], pa.int64()), dtype=np.int64)
            values = np.asarray(pc.cast(table[column], pa.float64()), dtype=np.float64)
            pos = np.searchsorted(reg_code, codes_)
            ok = (pos < n) & (reg_code[np.minimum(pos, n - 1)] == codes_) & ~np.isnan(values)
            rates[pos[ok]] = values[ok]
            if ok.any():
                source = str(reg_file) + (f" (else {prov_file.name})" if province_rate else "")
    if np.isnan(rates).all():
        return None, "none"
    rates[np.isnan(rates)] = float(np.nanmean(rates))
    return rates, source


def _desil_cuts(mu: F64, weight: F64) -> F64:
    """The 9 thresholds that cut the national mixture Σ w_r N(μ_r, 1) into ten equal groups."""
    w = weight / weight.sum()
    erf = np.vectorize(math.erf)

    def cdf(x: float) -> float:
        return float(np.dot(w, 0.5 * (1.0 + erf((x - mu) / math.sqrt(2.0)))))

    cuts = []
    for k in range(1, 10):
        lo, hi = float(mu.min()) - 8.0, float(mu.max()) + 8.0
        for _ in range(60):
            mid = (lo + hi) / 2
            if cdf(mid) < k / 10:
                lo = mid
            else:
                hi = mid
        cuts.append((lo + hi) / 2)
    return np.array(cuts)


# --------------------------------------------------------------------------------------
# Fixed lookup tables (built once). Fixed-width texts are assembled as little-endian
# 64-bit words of ASCII bytes: a NIK is two words, so building a million of them is a few
# gathers from small tables instead of per-byte work.


def _ascii_words(count: int, width: int) -> npt.NDArray[np.uint64]:
    """Entry i: the zero-padded decimal digits of i as `width` ASCII bytes in a little-endian word."""
    values = np.arange(count, dtype=np.uint64)
    out = np.zeros(count, dtype=np.uint64)
    for pos in range(width):  # pos 0 is the leftmost digit, the lowest byte
        digit = values // np.uint64(10 ** (width - 1 - pos)) % np.uint64(10) + np.uint64(48)
        out |= digit << np.uint64(8 * pos)
    return out


_W2 = _ascii_words(100, 2)
_W4 = _ascii_words(10_000, 4)
_DASH = np.uint64(ord("-"))


def _bytes(words: Sequence[npt.NDArray[np.uint64]], n: int) -> U8:
    """An (n, 8 * len(words)) byte matrix from columns of little-endian words."""
    out = np.empty((n, len(words)), dtype="<u8")
    for i, column in enumerate(words):
        out[:, i] = column
    return out.view(np.uint8).reshape(n, 8 * len(words))


def _shift(words: npt.NDArray[np.uint64], byte: int) -> npt.NDArray[np.uint64]:
    return words << np.uint64(8 * byte)


def _strings(matrix: U8, lengths: I64 | None = None) -> pa.StringArray:
    """A string array from an (n, width) matrix of ASCII bytes; row i keeps `lengths[i]` bytes."""
    n, width = matrix.shape
    if lengths is None or bool((lengths == width).all()):
        data = np.ascontiguousarray(matrix).reshape(-1)
        offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    else:
        keep = np.arange(width) < lengths[:, None]
        data = np.ascontiguousarray(matrix[keep])
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _digit_matrix(values: I64, width: int) -> U8:
    out = np.empty((len(values), width), dtype=np.uint8)
    for pos in range(width):
        out[:, width - 1 - pos] = values // 10**pos % 10 + 48
    return out


_OCCUPATIONS = ("", *codes.OCCUPATIONS)
_OCC = {name: i for i, name in enumerate(_OCCUPATIONS)}
_DIGIT_VALUES = pa.array([str(i) for i in range(10)])  # relationship/employment: index = value
_SEX_VALUES = pa.array(["1", "2", "3", "X"])  # 0 male, 1 female, then invalid spellings
_DESIL_VALUES = pa.array(["", *[str(d) for d in codes.DESILS], "0", "11"])  # index = desil; 0 missing
_DECEASED_VALUES = pa.array(["0", "1"])
_JAMSOSTEK_VALUES = pa.array(
    [*[str(i) for i in range(codes.JAMSOSTEK_MAX + 1)], str(codes.JAMSOSTEK_UNKNOWN)]
)
_JAMSOSTEK_UNKNOWN_INDEX = codes.JAMSOSTEK_MAX + 1
_OCCUPATION_VALUES = pa.array(list(_OCCUPATIONS))

# Codes, names, birth dates and villages are Arrow dictionary arrays over fixed value lists:
# no string is built per row, and Parquet stores them dictionary-encoded as it would anyway.
# The file still holds plain UTF-8 strings (no Arrow schema is stored), like the CSV.
_DICT8 = pa.dictionary(pa.int8(), pa.string())
_DICT32 = pa.dictionary(pa.int32(), pa.string())
SCHEMA = pa.schema(
    [
        ("nik", pa.string()),
        ("kk_number", pa.string()),
        ("name", _DICT32),
        ("sex", _DICT8),
        ("birth_date", _DICT32),
        ("village_code", _DICT32),
        ("relationship", _DICT8),
        ("employment_status", _DICT8),
        ("occupation", _DICT8),
        ("desil", _DICT8),
        ("deceased", _DICT8),
        ("jamsostek", _DICT8),
    ]
)


def _extended(values: pa.Array, extra: pa.Array) -> tuple[pa.Array, I32]:
    """`values` followed by the distinct `extra` values (none of them in `values`), and the
    index each extra value got. A Parquet dictionary must not repeat a value: Arrow would
    fall back to plain encoding, and not byte-for-byte reproducibly."""
    encoded = pc.dictionary_encode(extra)
    where = len(values) + np.asarray(encoded.indices, dtype=np.int32)
    return pa.concat_arrays([values, encoded.dictionary]), where


_INT8 = pa.int8()


def _dict(indices: npt.NDArray[Any], values: pa.Array, index_type: pa.DataType = _INT8) -> pa.Array:
    # Indices come from bounded tables; skip Arrow's bounds check.
    return pa.DictionaryArray.from_arrays(pa.array(indices, type=index_type), values, safe=False)


@dataclass(frozen=True)
class _Tables:
    """Lookup tables (4,096 slots) and thresholds (of 65,536) for the per-person draws."""

    family_size: I16
    head_age: I16  # (3, L) by family type
    head_male: I32  # threshold by family type
    other_role: I16  # (3, L) by head's age band
    generation_gap: I16
    spouse_gap: I16
    male_by_role: I32  # threshold by relationship code
    age_base: I32  # by relationship: 0 head's age, 1 spouse's, 2 younger parent's, 3 none
    age_generations: I32  # by relationship: generations from the base (child -1, parent +1)
    age_offset: I32  # by relationship: fixed years added
    age_range: I32  # by relationship: years drawn uniformly on top
    age_min: I32  # by relationship
    age_max: I32  # by relationship
    working: I32  # (2 * (MAX_AGE + 1),): female * (MAX_AGE + 1) + age
    deceased: I32  # by age
    formal: I32  # (10 * 2 * 2,): ((desil - 1) * 2 + urban) * 2 + (age < 20 or age >= 60)
    formal_status: I16
    informal_status: I16  # (4 * L,): (female * 2 + urban) * L + slot
    occupation: I16  # (9 * 4 * L,): (status * 4 + female * 2 + urban) * L + slot
    insured: I32  # (2 * 10 * 2,): (formal * 10 + desil - 1) * 2 + community role
    community: Bool  # by occupation index
    formal_programs: I16
    informal_programs: I16
    unknown_jamsostek: int
    migrant: int
    spouse: int
    second_name: int
    names: pa.StringArray  # every distinct full name, then "" (for the name_missing fault)
    name_entry: I32  # block position → index in `names`
    name_start: I32  # by style * 2 + female: first entry of the block
    name_given: I32  # by style * 2 + female: given names in the block
    name_seconds: I32  # by style * 2 + female: second parts per given name
    clan_count: I32  # by style


# relationship:          -  head spouse child in-law grandchild parent help other
_AGE_BASE = np.array([3, 0, 1, 2, 0, 0, 0, 3, 3], dtype=np.int32)
_AGE_GENERATIONS = np.array([0, 0, 0, -1, -1, -2, 1, 0, 0], dtype=np.int32)
_AGE_OFFSET = np.array([0, 0, 0, 0, 0, 0, 0, 17, 0], dtype=np.int32)
_AGE_RANGE = np.array([0, 0, 0, 0, 0, 0, 0, 44, 81], dtype=np.int32)
_AGE_MIN = np.array([0, 0, 0, -999, 17, -999, 0, 0, 0], dtype=np.int32)  # -999: fixed up below
_AGE_MAX = np.full(9, MAX_AGE, dtype=np.int32)


def _name_block(first: Sequence[str | None], second: Sequence[str | None], first_before: bool) -> pa.Array:
    """Every combination, given-name-major: entry g * len(second) + s."""
    g_idx = np.repeat(np.arange(len(first)), len(second))
    s_idx = np.tile(np.arange(len(second)), len(first))
    a = pa.array(list(first), type=pa.string()).take(pa.array(g_idx))
    b = pa.array(list(second), type=pa.string()).take(pa.array(s_idx))
    parts = (a, b) if first_before else (b, a)
    return pc.binary_join_element_wise(*parts, " ", null_handling="skip")


@cache
def _tables() -> _Tables:
    occupation = []
    for status in range(9):
        for sex in ("M", "F"):
            for urban in (0, 1):
                row = np.zeros(len(_OCCUPATIONS))
                if status == 0:
                    row[_OCC[""]] = 1
                else:
                    for name, weight in OCCUPATION_BY_STATUS[status][urban].items():
                        row[_OCC[name]] = weight * OCCUPATION_SEX_FACTOR[sex].get(name, 1.0)
                occupation.append(_lut(row.tolist()))
    informal = [
        _lut(list(INFORMAL_STATUS[(sex, bool(urban))].values()), list(INFORMAL_STATUS[(sex, bool(urban))]))
        for sex in ("M", "F")
        for urban in (0, 1)
    ]
    male_by_role = np.zeros(10)
    for role, share in MALE_SHARE_BY_ROLE.items():
        male_by_role[role] = share
    formal = [
        FORMAL_BY_DESIL[d] + (FORMAL_URBAN_BONUS if urban else 0.0) for d in range(10) for urban in (0, 1)
    ]
    formal = [p / 2 if edge else p for p in formal for edge in (0, 1)]  # the young and the old: half
    insured = [
        (
            INSURED_FORMAL_BY_DESIL[d]
            if is_formal
            else INSURED_INFORMAL_BY_DESIL[d] + INSURED_COMMUNITY_BONUS * community
        )
        for is_formal in (0, 1)
        for d in range(10)
        for community in (0, 1)
    ]

    # Names: one block of full names per style and sex, built with Arrow (take + join).
    blocks: list[pa.Array] = []
    given_n: list[int] = []
    seconds_n: list[int] = []
    for style in _NAME_STYLES:
        for female in (False, True):
            if style == "general":
                given = synth_names.GIVEN_FEMALE if female else synth_names.GIVEN_MALE
                second: list[str | None] = [
                    None,
                    *(synth_names.SECOND_FEMALE if female else synth_names.SECOND_MALE),
                ]
                block = _name_block(given, second, first_before=True)
            elif style == "bali":
                given = synth_names.BALI_FEMALE if female else synth_names.BALI_MALE
                second = list(synth_names.BALI_PREFIX_FEMALE if female else synth_names.BALI_PREFIX_MALE)
                block = _name_block(given, second, first_before=False)
            else:
                christian = synth_names.CHRISTIAN_FEMALE if female else synth_names.CHRISTIAN_MALE
                general = synth_names.GIVEN_FEMALE if female else synth_names.GIVEN_MALE
                # Batak Muslims (Mandailing, Angkola) as well as Christians.
                given = christian + general[:60] if style == "batak" else christian
                second = list(synth_names.CLANS[style])
                block = _name_block(given, second, first_before=True)
            blocks.append(block)
            given_n.append(len(given))
            seconds_n.append(len(second))
    sizes = np.array([len(b) for b in blocks], dtype=np.int32)
    # A Parquet dictionary must not repeat a value ("Dwi" is a man's and a woman's name).
    unique = pc.dictionary_encode(pa.concat_arrays(blocks))
    names = pa.concat_arrays([unique.dictionary, pa.array([""], type=pa.string())])

    return _Tables(
        family_size=_lut(list(FAMILY_SIZE.values()), list(FAMILY_SIZE)),
        head_age=np.stack([_age_lut(HEAD_AGE_BANDS[t]) for t in (ALONE, COUPLE, SINGLE_PARENT)]),
        head_male=_threshold([HEAD_MALE[t] for t in (ALONE, COUPLE, SINGLE_PARENT)]),
        other_role=np.stack([_lut(w, OTHER_ROLES) for w in OTHER_ROLE_WEIGHTS]),
        generation_gap=_normal_lut(27, 5, 17, 45),
        spouse_gap=_normal_lut(3, 4, -12, 20),
        male_by_role=_threshold(male_by_role),
        age_base=_AGE_BASE,
        age_generations=_AGE_GENERATIONS,
        age_offset=_AGE_OFFSET,
        age_range=_AGE_RANGE,
        age_min=_AGE_MIN,
        age_max=_AGE_MAX,
        working=_threshold(np.concatenate([_by_age(WORKING, 1), _by_age(WORKING, 2)])),
        deceased=_threshold(_by_age(DECEASED_BY_AGE, 1)),
        formal=_threshold(formal),
        formal_status=_lut(list(FORMAL_STATUS.values()), list(FORMAL_STATUS)),
        informal_status=np.concatenate(informal),
        occupation=np.concatenate(occupation),
        insured=_threshold(insured),
        community=np.array([name in COMMUNITY_ROLES for name in _OCCUPATIONS]),
        formal_programs=_lut(list(FORMAL_PROGRAMS.values()), list(FORMAL_PROGRAMS)),
        informal_programs=_lut(list(INFORMAL_PROGRAMS.values()), list(INFORMAL_PROGRAMS)),
        unknown_jamsostek=int(_threshold(UNKNOWN_JAMSOSTEK)),
        migrant=int(_threshold(MIGRANT_NIK)),
        spouse=int(_threshold(SPOUSE_SHARE)),
        second_name=int(_threshold(SECOND_NAME_SHARE)),
        names=names,
        name_entry=np.asarray(unique.indices, dtype=np.int32),
        name_start=np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int32),
        name_given=np.array(given_n, dtype=np.int32),
        name_seconds=np.array(seconds_n, dtype=np.int32),
        clan_count=np.array([len(synth_names.CLANS.get(s, ())) for s in _NAME_STYLES], dtype=np.int32),
    )


# --------------------------------------------------------------------------------------
# The plan: which chunk holds which persons and faults, and the region selection

DATE_SPAN = 36_600  # days before the snapshot covered by the date tables (> 99 years)


@dataclass(frozen=True)
class _Alias:
    """Walker's alias table: O(1) weighted draws of an index."""

    threshold: I32
    alias: I32

    @classmethod
    def of(cls, weights: F64) -> _Alias:
        k = len(weights)
        scaled = list(np.asarray(weights, dtype=np.float64) / float(np.sum(weights)) * k)
        alias = list(range(k))
        small = [i for i, w in enumerate(scaled) if w < 1.0]
        large = [i for i, w in enumerate(scaled) if w >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            alias[s] = g
            scaled[g] -= 1.0 - scaled[s]
            (small if scaled[g] < 1.0 else large).append(g)
        for i in small + large:
            scaled[i] = 1.0
        return cls(threshold=_threshold(scaled), alias=np.array(alias, dtype=np.int32))

    def draw(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.int32]:
        k = rng.integers(0, len(self.alias), size=size, dtype=np.int32)
        keep = rng.integers(0, _U, size=size, dtype=np.uint16) < self.threshold[k]
        return np.where(keep, k, self.alias[k])


@dataclass(frozen=True)
class _Plan:
    persons: int
    seed: int
    chunk_size: int
    chunks: int
    faults_total: int
    serial_offset: int
    ref: _Reference
    tables: _Tables
    regencies: I32  # selected regency indices
    regency_alias: _Alias  # over `regencies`, by population
    national_alias: _Alias  # over all regencies: the district of a migrant's NIK
    village_values: pa.StringArray  # 10-digit codes of every village (dictionary)
    district_words: npt.NDArray[np.uint64]  # district code as 6 ASCII bytes
    bad_provinces: U8  # (k, 2) province digits that do not exist
    style: I32  # name style per regency
    style_share: I32  # threshold per regency
    date_values: pa.StringArray  # YYYY-MM-DD by days before the snapshot, then ""
    date_iso: U8  # (DATE_SPAN, 10) the same as bytes
    date_lo: npt.NDArray[np.uint64]  # NIK/KK bytes 7–8: DD (day of month) by days before the snapshot
    date_hi: npt.NDArray[np.uint64]  # bytes 9–12: MMYY

    def chunk_persons(self, index: int) -> tuple[int, int]:
        start = index * self.chunk_size
        return start, min(self.persons, start + self.chunk_size) - start

    def chunk_faults(self, index: int) -> tuple[int, int]:
        """(faults before this chunk, faults in it): proportional to persons, exact in total."""
        start, n = self.chunk_persons(index)
        before = self.faults_total * start // self.persons
        return before, self.faults_total * (start + n) // self.persons - before


@dataclass
class _Chunk:
    table: pa.Table
    families: int
    faults: dict[str, int]
    max_serial: int
    reassigned: int  # duplicate faults turned into other kinds for want of clean rows


class _Overflow(Exception):
    pass


def _ranks(key: I64) -> I64:
    """Rank of each element among equal keys (0, 1, …), in order of position. Deterministic
    on every platform: keys (below 2**30) are made unique with the position before sorting.
    Equal keys are rare, so only their ranks are computed."""
    n = len(key)
    ranks = np.zeros(n, dtype=np.int64)
    if n < 2:
        return ranks
    bits = (n - 1).bit_length()
    packed = np.sort((key << bits) | np.arange(n, dtype=np.int64))
    sorted_key = packed >> bits
    repeat = np.zeros(n, dtype=bool)  # same key as the element before, in sorted order
    np.equal(sorted_key[1:], sorted_key[:-1], out=repeat[1:])
    at = np.flatnonzero(repeat)
    if len(at) == 0:
        return ranks
    rank = np.zeros(n, dtype=np.int64)
    step, current = 1, at
    while len(current):  # rank = length of the run of repeats ending here
        rank[current] += 1
        current = current[repeat[current - step]]
        step += 1
    ranks[packed[at] & ((1 << bits) - 1)] = rank[at]
    return ranks


def _make_chunk(plan: _Plan, index: int) -> _Chunk:
    ref, tab = plan.ref, plan.tables
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([plan.seed, index])))

    def draw(size: int) -> npt.NDArray[np.int32]:
        return rng.integers(0, _U, size=size, dtype=np.uint16).astype(np.int32)

    def slot(size: int) -> npt.NDArray[np.int32]:
        return rng.integers(0, _L, size=size, dtype=np.uint16).astype(np.int32)

    def scaled(count: npt.NDArray[Any], size: int) -> npt.NDArray[np.int32]:
        """Uniform in [0, count) per element, for counts below 32,768."""
        return (draw(size) * count.astype(np.int32)) >> 16

    _, n = plan.chunk_persons(index)

    # Families: sizes until the chunk is full; the last family is cut to fit.
    parts: list[I16] = []
    total = 0
    while total < n:
        part = tab.family_size[slot(int((n - total) / 2.9) + 16)]
        parts.append(part)
        total += int(part.sum(dtype=np.int64))
    sizes = np.concatenate(parts).astype(np.int32)
    ends = np.cumsum(sizes, dtype=np.int64)
    n_fam = int(np.searchsorted(ends, n)) + 1
    sizes = sizes[:n_fam]
    sizes[-1] -= int(ends[n_fam - 1]) - n
    starts = (np.cumsum(sizes, dtype=np.int64) - sizes).astype(np.int32)

    # Place: regency by population, village uniformly within it; families ordered by village.
    reg = plan.regencies[plan.regency_alias.draw(rng, n_fam)]
    village = np.sort(ref.regency_village_start[reg] + scaled(ref.regency_village_count[reg], n_fam))
    village = village.astype(np.int32)
    reg = ref.village_regency[village]
    district = ref.village_district[village]

    # Desil: latent welfare score, cut at the national deciles.
    score = ref.regency_mu[reg] + rng.standard_normal(n_fam)
    desil_f = np.ones(n_fam, dtype=np.int8)
    for cut in ref.desil_cuts:
        desil_f += score > cut

    # Family type, head and spouse.
    has_spouse = (sizes >= 2) & (draw(n_fam) < tab.spouse)
    ftype = np.where(sizes == 1, ALONE, np.where(has_spouse, COUPLE, SINGLE_PARENT)).astype(np.int32)
    head_age_f = tab.head_age.reshape(-1)[ftype * _L + slot(n_fam)].astype(np.int32)
    head_female_f = draw(n_fam) >= tab.head_male[ftype]
    gap = tab.spouse_gap[slot(n_fam)]
    spouse_age_f = np.clip(np.where(head_female_f, head_age_f + gap, head_age_f - gap), 18, MAX_AGE)
    ages_f = np.zeros((n_fam, 4), dtype=np.int32)  # the bases of _AGE_BASE
    ages_f[:, 0] = head_age_f
    ages_f[:, 1] = spouse_age_f
    ages_f[:, 2] = np.where(has_spouse, np.minimum(head_age_f, spouse_age_f), head_age_f)
    band_f = (head_age_f >= 45).astype(np.int32) + (head_age_f >= 60)

    # Persons: relationship, age, sex.
    fam = np.repeat(np.arange(n_fam, dtype=np.int32), sizes)
    pos = np.arange(n, dtype=np.int32) - starts[fam]
    other = tab.other_role.reshape(-1)[band_f[fam] * _L + slot(n)]
    relationship = np.where(pos == 0, 1, np.where((pos == 1) & has_spouse[fam], 2, other)).astype(np.int8)
    is_head = relationship == 1
    # Age: the base (head, spouse, younger parent) ± generations of 17–45 years, or a
    # uniform draw (household help 17–60, other 0–80), kept within bounds.
    spread = draw(n)
    base = ages_f.reshape(-1)[fam * 4 + tab.age_base[relationship]]
    age = (
        base
        + tab.age_generations[relationship] * tab.generation_gap[slot(n)]
        + tab.age_offset[relationship]
        + ((spread * tab.age_range[relationship]) >> 16)
    )
    age = np.clip(age, tab.age_min[relationship], tab.age_max[relationship])
    young = np.flatnonzero(age < 0)  # a generation gap longer than the base allows
    if len(young):  # a child 0 … (younger parent − 17), a grandchild 0 … (head − 36)
        room = base[young] - np.where(relationship[young] == 3, 17, 36)
        age[young] = (spread[young] * (room + 1)) >> 16
    head_female = head_female_f[fam]
    female = np.where(
        is_head,
        head_female,
        np.where(relationship == 2, ~head_female, draw(n) >= tab.male_by_role[relationship]),
    )
    sex_i = female.astype(np.int32)
    back = age * 365 + age // 4 + ((draw(n) * 365) >> 16)  # birth: days before the snapshot

    # Death, work, insurance.
    deceased = draw(n) < tab.deceased[age]
    working = (draw(n) < tab.working[sex_i * (MAX_AGE + 1) + age]) & ~deceased
    desil = desil_f[fam]
    urban = ref.regency_urban[reg][fam]
    sex_urban = sex_i * 2 + urban
    edge = (age < 20) | (age >= 60)
    formal = working & (draw(n) < tab.formal[((desil - 1).astype(np.int32) * 2 + urban) * 2 + edge])
    formal_status = np.where(age < 19, 4, tab.formal_status[slot(n)])
    informal_status = tab.informal_status[sex_urban * _L + slot(n)]
    status = np.where(formal, formal_status, np.where(working, informal_status, 0)).astype(np.int8)
    occupation = tab.occupation[(status.astype(np.int32) * 4 + sex_urban) * _L + slot(n)].astype(np.int8)
    insured_thr = tab.insured[((formal * 10) + (desil - 1).astype(np.int32)) * 2 + tab.community[occupation]]
    insured = working & (draw(n) < insured_thr)
    programs = np.where(formal, tab.formal_programs[slot(n)], tab.informal_programs[slot(n)])
    jamsostek = np.where(insured, programs, 0).astype(np.int8)
    jamsostek[(age >= 15) & (draw(n) < tab.unknown_jamsostek)] = _JAMSOSTEK_UNKNOWN_INDEX

    # NIK: district of first registration, birth date (+40 for women), serial. Birth dates
    # span less than a century, so (district, sex, days before snapshot) is the NIK prefix.
    nik_district = district[fam]
    migrant = np.flatnonzero((age >= 20) & (draw(n) < tab.migrant))
    if len(migrant):
        mreg = plan.national_alias.draw(rng, len(migrant))
        nik_district[migrant] = ref.regency_district_start[mreg] + scaled(
            ref.regency_district_count[mreg], len(migrant)
        )
    key = (nik_district.astype(np.int64) * 2 + sex_i) * DATE_SPAN + back
    serial = _ranks(key) * plan.chunks + index + 1 + plan.serial_offset

    # KK: the family's district, a recording date after the head's 17th birthday, serial.
    head_back = back[starts].astype(np.int64)
    span = np.minimum(head_back - 6211, KK_WINDOW_DAYS) + 1  # days after the 17th birthday
    kk_back = (rng.random(n_fam) * span).astype(np.int32)
    kk_serial = _ranks(district.astype(np.int64) * DATE_SPAN + kk_back) * plan.chunks + index + 1
    kk_serial += plan.serial_offset
    max_serial = int(max(serial.max(), kk_serial.max()))
    if max_serial > MAX_SERIAL:
        raise _Overflow(max_serial)

    female_day = female.astype(np.uint64) * np.uint64(4)  # +40: the tens digit (lower byte) + 4
    nik = _bytes(
        [
            plan.district_words[nik_district] | _shift(plan.date_lo[back] + female_day, 6),
            plan.date_hi[back] | _shift(_W4[serial], 4),
        ],
        n,
    )
    kk_lo = plan.district_words[district] | _shift(plan.date_lo[kk_back], 6)
    kk_hi = plan.date_hi[kk_back] | _shift(_W4[kk_serial], 4)
    kk = _bytes([kk_lo[fam], kk_hi[fam]], n)
    nik_len: I64 | None = None
    kk_len: I64 | None = None

    # Names: an index into the table of full names by style and sex: given-name-major,
    # then the second part (general: none or a second name; marga regions: the family name,
    # which head, children and grandchildren share; Bali: the birth-order name).
    style_f = np.where(draw(n_fam) < plan.style_share[reg], plan.style[reg], 0)
    clan_f = scaled(tab.clan_count[style_f], n_fam)
    style = style_f[fam]
    block = style * 2 + sex_i
    seconds = tab.name_seconds[block]
    u_second = draw(n)
    general_second = np.where(
        u_second < tab.second_name, 1 + (u_second * (seconds - 1)) // tab.second_name, 0
    )
    blood = is_head | (relationship == 3) | (relationship == 5)
    other_part = np.where(blood & (tab.clan_count[style] > 0), clan_f[fam], (u_second * seconds) >> 16)
    second = np.where(style == 0, general_second, other_part)
    name_idx = tab.name_entry[tab.name_start[block] + scaled(tab.name_given[block], n) * seconds + second]

    # Codes as dictionary indices; faults may point them at invalid entries below.
    sex_idx = female.astype(np.int8)
    desil_idx = desil
    rel_idx = relationship
    emp_idx = status
    village_idx = village[fam]
    village_values = plan.village_values
    date_idx = back
    date_values = plan.date_values

    fault_counts: dict[str, int] = {}
    reassigned = 0
    before, k = plan.chunk_faults(index)
    if k:
        rows = rng.choice(n, size=k, replace=False)
        kind = (before + np.arange(k, dtype=np.int64)) % len(FAULT_KINDS)
        dup = np.flatnonzero(kind == _KIND["nik_duplicate"])
        clean = np.ones(n, dtype=bool)
        clean[rows] = False
        candidates = np.flatnonzero(clean)
        if len(dup) > len(candidates):  # not enough clean rows left to copy from
            extra = dup[len(candidates) :]
            others = np.array([i for i in range(len(FAULT_KINDS)) if i != _KIND["nik_duplicate"]])
            kind[extra] = others[np.arange(len(extra)) % len(others)]
            reassigned = len(extra)
            dup = dup[: len(candidates)]
        sources = rng.choice(candidates, size=len(dup), replace=False) if len(dup) else dup
        fault_counts = {
            FAULT_KINDS[i]: int(c) for i, c in enumerate(np.bincount(kind, minlength=len(FAULT_KINDS))) if c
        }

        def at(name: str) -> I64:
            return np.asarray(rows[kind == _KIND[name]], dtype=np.int64)

        nik = np.concatenate([nik, np.full((n, 1), 48, dtype=np.uint8)], axis=1)
        nik_len = np.full(n, 16, dtype=np.int64)
        r = at("nik_length")
        nik[r, 16] = 48 + rng.integers(0, 10, len(r))
        nik_len[r] = np.where(rng.random(len(r)) < 0.5, 17, 15)  # a digit added or dropped
        r = at("nik_non_digit")
        nik[r, rng.integers(0, 16, len(r))] = rng.integers(ord("A"), ord("Z") + 1, len(r))
        r = at("nik_province_unknown")
        nik[r, 0:2] = plan.bad_provinces[rng.integers(0, len(plan.bad_provinces), len(r))]
        r = at("nik_date_impossible")
        by_day = rng.random(len(r)) < 0.5
        rd, rm = r[by_day], r[~by_day]
        nik[rd, 6:8] = _digit_matrix(32 + rng.integers(0, 8, len(rd)) + 40 * sex_i[rd], 2)  # day 32–39, 72–79
        nik[rm, 8:10] = _digit_matrix(13 + rng.integers(0, 7, len(rm)), 2)  # month 13–19
        nik[rows[dup], :16] = nik[sources, :16]
        r = at("kk_length")
        kk = np.concatenate([kk, np.full((n, 1), 48, dtype=np.uint8)], axis=1)
        kk_len = np.full(n, 16, dtype=np.int64)
        kk[r, 16] = 48 + rng.integers(0, 10, len(r))
        kk_len[r] = np.where(rng.random(len(r)) < 0.5, 17, 15)
        name_idx[at("name_missing")] = len(tab.names) - 1
        r = at("sex_invalid")
        sex_idx[r] = rng.integers(2, 4, len(r))
        r = at("birth_date_invalid")
        if len(r):  # 30 February of the birth year, DD/MM/YYYY, or missing
            iso = plan.date_iso[back[r]]
            variant = rng.integers(0, 3, len(r))
            wrong = iso.copy()
            wrong[variant == 0, 5:10] = np.frombuffer(b"02-30", dtype=np.uint8)
            slash = np.full((len(r), 1), ord("/"), dtype=np.uint8)
            dmy = np.concatenate([iso[:, 8:10], slash, iso[:, 5:7], slash, iso[:, 0:4]], axis=1)
            wrong[variant == 1] = dmy[variant == 1]
            date_idx = date_idx.copy()
            date_idx[r[variant == 2]] = DATE_SPAN  # the "" entry: missing
            date_values, date_idx[r[variant < 2]] = _extended(date_values, _strings(wrong[variant < 2]))
        r = at("village_unknown")
        if len(r):  # the district's code + a 4-digit part starting with 9: no such village type
            codes_ = ref.district_code[ref.village_district[village_idx[r]]] * 10_000 + 9_000
            codes_ += rng.integers(0, 1000, len(r))
            village_values, village_idx[r] = _extended(village_values, _strings(_digit_matrix(codes_, 10)))
        desil_idx[at("desil_missing")] = 0
        r = at("desil_invalid")
        desil_idx[r] = rng.integers(11, 13, len(r))
        r = at("relationship_invalid")
        rel_idx[r] = np.where(rng.random(len(r)) < 0.5, 9, 0)
        emp_idx[at("employment_invalid")] = 9

    table = pa.Table.from_arrays(
        [
            _strings(nik, nik_len),
            _strings(kk, kk_len),
            _dict(name_idx, tab.names, pa.int32()),
            _dict(sex_idx, _SEX_VALUES),
            _dict(date_idx, date_values, pa.int32()),
            _dict(village_idx, village_values, pa.int32()),
            _dict(rel_idx, _DIGIT_VALUES),
            _dict(emp_idx, _DIGIT_VALUES),
            _dict(occupation, _OCCUPATION_VALUES),
            _dict(desil_idx, _DESIL_VALUES),
            _dict(deceased.astype(np.int8), _DECEASED_VALUES),
            _dict(jamsostek, _JAMSOSTEK_VALUES),
        ],
        schema=SCHEMA,
    )
    return _Chunk(
        table=table, families=n_fam, faults=fault_counts, max_serial=max_serial, reassigned=reassigned
    )


# --------------------------------------------------------------------------------------
# Writers


class _Sink(Protocol):
    """A writer in two steps: `encode` runs on the worker thread that made the chunk,
    `write` on the calling thread, chunk after chunk in file order."""

    def encode(self, table: pa.Table) -> Any: ...
    def write(self, encoded: Any) -> None: ...
    def close(self) -> None: ...


class _ParquetSink:
    """Parquet, one row group per chunk. Encoding happens in `write`: a Parquet file is
    written by one writer."""

    def __init__(self, path: Path) -> None:
        self._writer = pq.ParquetWriter(
            path,
            SCHEMA,
            compression="zstd",
            use_dictionary=[c for c in COLUMNS if c not in ("nik", "kk_number")],
            store_schema=False,  # read back as plain strings, like the CSV
            dictionary_pagesize_limit=4 << 20,
            # Min/max per row group would cost 40 % of the write time and prune nothing: every
            # row group spans the whole country.
            write_statistics=False,
        )

    def encode(self, table: pa.Table) -> pa.Table:
        return table

    def write(self, encoded: pa.Table) -> None:
        self._writer.write_table(encoded, row_group_size=encoded.num_rows)

    def close(self) -> None:
        self._writer.close()


_CSV_OPTIONS = pcsv.WriteOptions(include_header=False, quoting_style="none", batch_size=16_384)
GZIP_LEVEL = 1  # 4× faster than level 6 for a file 28 % larger


class _CsvSink:
    """Plain or gzip CSV, the text made on the worker threads. gzip is one deterministic
    stream (no file name, mtime 0)."""

    def __init__(self, path: Path, gzip: bool) -> None:
        self._file = path.open("wb")
        self._zip = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31) if gzip else None
        self.write((",".join(COLUMNS) + "\n").encode())

    def encode(self, table: pa.Table) -> pa.Buffer:
        buffer = pa.BufferOutputStream()
        pcsv.write_csv(table, buffer, _CSV_OPTIONS)
        return buffer.getvalue()

    def write(self, encoded: pa.Buffer | bytes) -> None:
        data = memoryview(encoded)
        self._file.write(self._zip.compress(data) if self._zip else data)

    def close(self) -> None:
        if self._zip:
            self._file.write(self._zip.flush())
            self._zip = None
        self._file.close()


def _job(plan: _Plan, index: int, sink: _Sink) -> tuple[_Chunk, Any]:
    chunk = _make_chunk(plan, index)
    return chunk, sink.encode(chunk.table)


# --------------------------------------------------------------------------------------


def _format_of(out: Path) -> str:
    name = out.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return FORMATS[suffix]
    raise BadInput(f"cannot write {out.name!r}: the output must end in .parquet, .csv or .csv.gz")


def _select_provinces(provinces: Sequence[str] | str | None, known: Sequence[str]) -> tuple[str, ...]:
    if provinces is None:
        return ()
    items = provinces.split(",") if isinstance(provinces, str) else [str(p) for p in provinces]
    chosen = [p.strip() for p in items if p.strip()]
    if not chosen:
        raise BadInput(
            "provinces is empty: give Kemendagri province codes such as 32,33, or leave it out for all"
        )
    unknown = sorted({p for p in chosen if p not in known})
    if unknown:
        raise BadInput(
            f"unknown province code(s) {', '.join(unknown)}: "
            f"use 2-digit Kemendagri codes ({', '.join(known)})"
        )
    return tuple(sorted(set(chosen)))


def effective_chunk_size(persons: int, chunk_size: int) -> int:
    """At most `chunk_size` persons per chunk; a smaller output is still cut into 8 chunks
    (of at least 100,000 persons), so that making chunks and writing them overlap."""
    return min(chunk_size, max(MIN_AUTO_CHUNK, -(-persons // 8)))


def _check_args(persons: int, seed: int, faults: float, chunk_size: int, snapshot_date: date) -> None:
    if isinstance(persons, bool) or not isinstance(persons, int) or persons < 1:
        raise BadInput(f"persons must be a whole number of at least 1, got {persons!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise BadInput(f"seed must be a whole number of 0 or more, got {seed!r}")
    if isinstance(faults, bool) or not isinstance(faults, int | float) or not 0.0 <= faults < 1.0:
        raise BadInput(
            f"faults is the share of faulty rows and must be at least 0 and below 1, got {faults!r}"
        )
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise BadInput(f"chunk_size must be a whole number of at least 1, got {chunk_size!r}")
    if -(-persons // chunk_size) > MAX_SERIAL:
        raise BadInput(
            f"{persons} persons in chunks of {chunk_size} make more than {MAX_SERIAL} chunks, which NIK "
            "serials cannot tell apart: use a larger chunk size"
        )
    if not isinstance(snapshot_date, date) or not 1950 <= snapshot_date.year <= 2090:
        raise BadInput(f"snapshot_date must be a date between 1950 and 2090, got {snapshot_date!r}")


def _plan(
    *,
    persons: int,
    serial_offset: int = 0,
    seed: int,
    faults: float,
    chunk_size: int,
    snapshot_date: date,
    provinces: tuple[str, ...],
    ref: _Reference,
) -> _Plan:
    chosen = (
        np.flatnonzero(np.isin(np.array(ref.regency_province, dtype=object), list(provinces)))
        if provinces
        else np.arange(len(ref.regency_code))
    ).astype(np.int64)
    chosen = chosen[ref.regency_village_count[chosen] > 0]
    if len(chosen) == 0:
        raise BadInput(f"the region list has no villages in province(s) {', '.join(provinces)}")
    style = np.zeros(len(ref.regency_code), dtype=np.int32)
    share = np.zeros(len(ref.regency_code))
    for i, province in enumerate(ref.regency_province):
        if province in synth_names.REGIONAL_STYLES:
            name, s = synth_names.REGIONAL_STYLES[province]
            style[i], share[i] = _NAME_STYLES.index(name), s
    known = {int(p) for p in ref.province_codes}
    bad = np.array([p for p in range(99) if p not in known], dtype=np.int64)  # 99 means abroad: valid
    days = np.datetime64(snapshot_date, "D") - np.arange(DATE_SPAN)
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years).astype(np.int64) + 1
    day = (days - months).astype(np.int64) + 1
    dashes = (_DASH << np.uint64(32)) | (_DASH << np.uint64(56))  # YYYY-MM-DD: bytes 4 and 7
    iso = _bytes([_W4[year] | dashes | _shift(_W2[month], 5), _W2[day]], DATE_SPAN)
    iso = np.ascontiguousarray(iso[:, :10])
    district_words = np.zeros(len(ref.district_code), dtype=np.uint64)
    for pos in range(6):
        digit = (ref.district_code // 10 ** (5 - pos) % 10 + 48).astype(np.uint64)
        district_words |= _shift(digit, pos)
    return _Plan(
        persons=persons,
        seed=seed,
        chunk_size=chunk_size,
        chunks=-(-persons // chunk_size),
        faults_total=round(faults * persons),
        serial_offset=serial_offset,
        ref=ref,
        tables=_tables(),
        regencies=chosen.astype(np.int32),
        regency_alias=_Alias.of(ref.regency_weight[chosen]),
        national_alias=_Alias.of(ref.regency_weight),
        village_values=_strings(_digit_matrix(ref.village_code, 10)),
        district_words=district_words,
        bad_provinces=_digit_matrix(bad, 2),
        style=style,
        style_share=_threshold(share),
        date_values=pa.concat_arrays([_strings(iso), pa.array([""], type=pa.string())]),
        date_iso=iso,
        date_lo=_W2[day],
        date_hi=_W2[month] | _shift(_W2[year % 100], 2),
    )


def generate(
    *,
    persons: int,
    seed: int,
    out: Path,
    provinces: Sequence[str] | None = None,
    faults: float = 0.0,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    snapshot_date: date = DEFAULT_SNAPSHOT,
    serial_offset: int = 0,
) -> GenerateSummary:
    """Write a synthetic registry extract of `persons` people to `out` and say what was written.

    The format follows the name: `.parquet`, `.csv` or `.csv.gz`; every column is text in
    all three. The file appears only when complete (it is written beside `out` and renamed;
    an existing file is replaced). `provinces`: Kemendagri codes (a list, or "32,33") to
    keep the residences to; `faults`: the share of rows, in [0, 1), that get exactly one
    rejectable fault; `chunk_size`: most persons per chunk and Parquet row group (part of
    what makes the output: the same seed with another chunk size gives another file);
    `progress`: called with the number of persons written after each chunk;
    `serial_offset`: added to every NIK and KK serial, so that a file generated with an
    offset of at least another file's `max_nik_serial` shares no NIK or KK number with it
    (two files from different seeds otherwise do: serials restart at 0001). Bad arguments
    raise BadInput before anything is written.
    """
    began = time.perf_counter()
    _check_args(persons, seed, faults, chunk_size, snapshot_date)
    if (
        isinstance(serial_offset, bool)
        or not isinstance(serial_offset, int)
        or not 0 <= serial_offset < MAX_SERIAL
    ):
        raise BadInput(
            f"serial_offset must be a whole number from 0 to {MAX_SERIAL - 1}, got {serial_offset!r}"
        )
    chunk_size = effective_chunk_size(persons, chunk_size)
    out = Path(out)
    fmt = _format_of(out)
    if out.is_dir():
        raise BadInput(f"{out} is a directory: give a file name ending in .parquet, .csv or .csv.gz")
    if not out.parent.is_dir():
        raise BadInput(f"the folder {out.parent} does not exist: create it first")
    ref = _reference()
    chosen = _select_provinces(provinces, ref.province_codes)
    plan = _plan(
        persons=persons,
        seed=seed,
        faults=faults,
        chunk_size=chunk_size,
        snapshot_date=snapshot_date,
        provinces=chosen,
        ref=ref,
        serial_offset=serial_offset,
    )

    partial = out.with_name(f".{out.name}.partial")
    families = 0
    written = 0
    max_serial = 0
    reassigned = 0
    fault_counts = dict.fromkeys(FAULT_KINDS, 0)
    sink: _Sink = _ParquetSink(partial) if fmt == "parquet" else _CsvSink(partial, gzip=fmt == "csv.gz")
    try:
        # Chunks are generated ahead on worker threads (numpy and Arrow release the GIL) while
        # this thread writes them in order; at most `workers` chunks wait in memory.
        workers = max(1, min(2, os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="registry-generate") as pool:
            pending: deque[Future[tuple[_Chunk, Any]]] = deque(
                pool.submit(_job, plan, i, sink) for i in range(min(workers, plan.chunks))
            )
            for index in range(plan.chunks):
                try:
                    chunk, encoded = pending.popleft().result()
                except _Overflow as exc:
                    raise BadInput(
                        f"too many persons for the chosen region: NIK serials would reach {exc.args[0]} "
                        f"(at most {MAX_SERIAL} people can share a district, sex and birth date); "
                        "generate fewer persons, choose more provinces, use a larger chunk size "
                        "or a smaller serial offset"
                    ) from None
                if index + workers < plan.chunks:
                    pending.append(pool.submit(_job, plan, index + workers, sink))
                sink.write(encoded)
                families += chunk.families
                written += chunk.table.num_rows
                max_serial = max(max_serial, chunk.max_serial)
                reassigned += chunk.reassigned
                for kind, count in chunk.faults.items():
                    fault_counts[kind] += count
                del chunk, encoded
                if progress is not None:
                    progress(written)
        sink.close()
        os.replace(partial, out)
    except BaseException:
        with contextlib.suppress(Exception):  # the original error is the one to report
            sink.close()
        partial.unlink(missing_ok=True)
        raise

    faults_by_kind = {k: v for k, v in fault_counts.items() if v}
    expected = dict(faults_by_kind)
    if "nik_duplicate" in expected:
        expected["nik_duplicate"] *= 2  # the copy and the row it was copied from
    notes = []
    if reassigned:
        notes.append(
            f"too few clean rows to copy NIKs from: {reassigned} duplicate faults became other kinds"
        )
    return GenerateSummary(
        persons=written,
        families=families,
        path=out,
        format=fmt,
        seed=seed,
        snapshot_date=snapshot_date,
        provinces=chosen,
        chunks=plan.chunks,
        faults_by_kind=faults_by_kind,
        expected_rejections=expected,
        bytes=out.stat().st_size,
        seconds=time.perf_counter() - began,
        population_source=ref.population_source,
        poverty_source=ref.poverty_source,
        max_nik_serial=max_serial,
        notes=tuple(notes),
    )
