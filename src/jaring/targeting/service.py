"""Targeting runs: from a registry snapshot and the current membership to the ranked list of
the persons a sponsor may fund, with every exclusion counted.

A run is frozen: the sponsor's target version, the snapshot, the start month, the SQL and
hazard table in force, and a copy of the membership it judged "already covered" against are
stored with it, so `rerun` reproduces the ranked list exactly (on either engine) and proves
it by digest. The ranked list holds blind indexes, never a NIK.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select

from jaring.batch.engine import BatchEngine, load_sql
from jaring.batch.engine import engine as batch_engine
from jaring.contributions import coverage
from jaring.kit import audit, config, db, protect
from jaring.kit.auth import Principal, region_filter, require
from jaring.kit.errors import BadInput, NotFound
from jaring.kit.nik import mask
from jaring.kit.periods import Month
from jaring.membership import service as membership
from jaring.registry import service as registry
from jaring.registry.reasons import WARNINGS
from jaring.sponsors.model import sponsors as sponsors_table
from jaring.sponsors.service import Sponsor, visible_sponsor_in
from jaring.sponsors.targets import Target, current_target_in, target_in
from jaring.targeting.model import targeting_runs
from jaring.targeting.rules import DEFAULT_HAZARD, EXCLUSIONS, HAZARD, PRIORITY_KEYS

ENGINES = ("duckdb", "spark")
SQL_FILES = ("targeting_classify", "targeting_rank")
# Warnings that make the insurer's population-registry check refuse the person.
NIK_WARNINGS = ("nik_birth_date_mismatch", "nik_sex_mismatch")
NIK_WARNING_MASK = sum(1 << list(WARNINGS).index(name) for name in NIK_WARNINGS)
Progress = Callable[[str, int, int], None]
STAGES = ("membership", "classify", "rank", "save")
TARGETS_SCHEMA = pa.schema(
    [
        ("target_key", pa.int64()),
        ("age_min", pa.int32()),
        ("age_max", pa.int32()),
        ("informal_only", pa.bool_()),
        ("working_only", pa.bool_()),
        ("desil_max", pa.int32()),
        ("any_occupation", pa.bool_()),
        ("sex", pa.string()),
        *[(f"key{i}", pa.string()) for i in range(1, 5)],
    ]
)
# A ranked list as written, whichever engine ranked it.
RANKED_SCHEMA = pa.schema(
    [
        ("rank", pa.int64()),
        ("nik_index", pa.binary()),
        ("member_id", pa.int64()),
        ("sex", pa.string()),
        ("age", pa.int32()),
        ("village_code", pa.string()),
        ("regency_code", pa.string()),
        ("province_code", pa.string()),
        ("desil", pa.int32()),
        ("occupation", pa.string()),
        ("hazard", pa.int32()),
        ("female_head", pa.int32()),
        *[(f"k{i}", pa.int32()) for i in range(1, 5)],
    ]
)
SCOPES_SCHEMA = pa.schema([("target_key", pa.int64()), ("code", pa.string()), ("level", pa.int32())])
OCCUPATIONS_SCHEMA = pa.schema([("target_key", pa.int64()), ("occupation", pa.string())])


@dataclass
class TargetingReport:
    run_id: int
    sponsor: str
    snapshot_id: str
    start_month: str
    engine: str
    target_version: int
    in_scope: int
    eligible: int
    excluded: dict[str, int]
    eligible_by_desil: dict[str, int] = field(default_factory=dict)
    output_sha256: str = ""
    seconds: float = 0.0
    warning: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def runs_dir() -> Path:
    return config.data_dir() / "targeting" / "runs"


def _sql_digest() -> str:
    digest = hashlib.sha256()
    for name in SQL_FILES:
        digest.update(load_sql(name).encode())
    return digest.hexdigest()


def ranked_digest(path: Path) -> str:
    """What identifies a ranked list whatever wrote the file: the blind indexes in rank order
    and the row count."""
    table = pq.read_table(path, columns=["rank", "nik_index"])
    ranks = table.column("rank").to_numpy()
    if len(ranks) and not np.array_equal(ranks, np.arange(1, len(ranks) + 1)):
        raise RuntimeError(f"{path}: ranks are not 1..{len(ranks)} in order")
    digest = hashlib.sha256(str(len(ranks)).encode())
    for chunk in table.column("nik_index").chunks:
        # Engines write the index as variable-length binary: as 16-byte values, the data
        # buffer holds exactly the indexes (a cast fails on any other length).
        fixed = chunk.cast(pa.binary(16))
        start = fixed.offset * 16
        digest.update(memoryview(fixed.buffers()[1])[start : start + len(fixed) * 16])
    return digest.hexdigest()


def round_tables(targets: list[tuple[int, Target]]) -> dict[str, pa.Table]:
    """The tables the SQL reads for a round of targets, each under its key: the rule's values
    and order keys (`targets`), the scope's codes (`scopes`) and named occupations."""
    rows, scopes, occupations = [], [], []
    for key, target in targets:
        rule = target.rule
        keys = list(target.priority) + [""] * (4 - len(target.priority))
        rows.append(
            {
                "target_key": key,
                "age_min": rule.age_min,
                "age_max": rule.age_max,
                "informal_only": rule.employment == "informal",
                "working_only": rule.employment != "any",
                "desil_max": rule.desil_max,
                "any_occupation": rule.occupations is None,
                "sex": rule.sex or "",
                **{f"key{i + 1}": k for i, k in enumerate(keys)},
            }
        )
        scopes += [{"target_key": key, "code": code, "level": len(code)} for code in target.scope]
        occupations += [{"target_key": key, "occupation": o} for o in rule.occupations or ()]
    return {
        "targets": pa.Table.from_pylist(rows, TARGETS_SCHEMA),
        "scopes": pa.Table.from_pylist(scopes, SCOPES_SCHEMA),
        "occupations": pa.Table.from_pylist(occupations, OCCUPATIONS_SCHEMA),
    }


def round_params(start: Month) -> dict[str, Any]:
    """The SQL parameters shared by every target of a round."""
    return {"start_day": start.first_day, "default_hazard": DEFAULT_HAZARD, "nik_warnings": NIK_WARNING_MASK}


def _hazard_table(hazard: dict[str, int]) -> pa.Table:
    names = sorted(hazard)
    return pa.table({"occupation": names, "grade": pa.array([hazard[n] for n in names], pa.int32())})


def _membership(url: str | None, start: Month, out: Path) -> str:
    """Freeze the membership a run judges against: who is a member, and who is protected
    (active or in arrears on the first day) or sponsored in the start month."""
    # A transaction, not db.reading(): the streamed read needs a server-side cursor.
    with db.store(url).connect() as conn:
        index = membership.member_index_in(conn, start)
        protected = coverage.protected_ids_in(conn, start.first_day)
    ids = index.column("member_id").to_numpy()
    covered = pc.or_(index.column("sponsored"), pa.array(np.isin(ids, protected)))
    table = pa.table(
        {"nik_index": index.column("nik_index"), "member_id": index.column("member_id"), "covered": covered}
    )
    pq.write_table(table, out, compression="zstd")
    return registry.file_sha256(out)


def _register(
    batch: BatchEngine,
    persons: Path,
    members: Path,
    hazard: dict[str, int],
    targets: list[tuple[int, Target]],
    start: Month,
) -> None:
    """Make a round's inputs visible and name its classification (a view: the counts and the
    ranking each read it once, so nothing the size of the snapshot is materialised)."""
    batch.register("persons", persons)
    batch.register("members", members)
    batch.register("hazard", _hazard_table(hazard))
    for name, table in round_tables(targets).items():
        batch.register(name, table)
    batch.view("classified", load_sql("targeting_classify"), round_params(start))


@dataclass
class Classified:
    by_reason: dict[int, dict[str, int]]
    by_desil: dict[int, dict[str, int]]
    ranked: dict[int, Path]


def classify_round(
    batch: BatchEngine,
    persons: Path,
    members: Path,
    hazard: dict[str, int],
    targets: list[tuple[int, Target]],
    start: Month,
    work: Path,
    progress: Progress,
) -> Classified:
    """Classify and rank a round in one pass over the snapshot per step; each target's ranked
    list lands in `work/<key>/ranked.parquet`."""
    _register(batch, persons, members, hazard, targets, start)
    progress("classify", 1, len(STAGES))
    counts = batch.fetch(
        "SELECT target_key, excluded, COUNT(*) AS n FROM classified GROUP BY target_key, excluded"
    )
    by_reason: dict[int, dict[str, int]] = {key: {} for key, _ in targets}
    for r in counts.to_pylist():
        by_reason[int(r["target_key"])][r["excluded"] or ""] = int(r["n"])
    progress("rank", 2, len(STAGES))
    ranked, by_desil = _write_ranked(
        batch.stream(load_sql("targeting_rank")), [key for key, _ in targets], work
    )
    return Classified(by_reason, by_desil, ranked)


def _write_ranked(
    batches: Iterator[pa.RecordBatch], keys: list[int], work: Path
) -> tuple[dict[int, Path], dict[int, dict[str, int]]]:
    """Each target's rows of the round's ranking (ordered by target, then priority) as its
    own ranked list, numbered from 1 as they arrive; memory stays one batch deep. Also counts
    each list by desil."""
    paths = {key: work / str(key) / "ranked.parquet" for key in keys}
    writers: dict[int, pq.ParquetWriter] = {}
    written: dict[int, int] = dict.fromkeys(keys, 0)
    by_desil: dict[int, Counter[int | None]] = {key: Counter() for key in keys}
    try:
        for batch in batches:
            column = batch.column("target_key").to_numpy()
            bounds = np.flatnonzero(np.diff(column)) + 1
            for start, stop in zip([0, *bounds], [*bounds, len(column)], strict=True):
                key = int(column[start])
                rows = batch.slice(start, stop - start)
                ranks = np.arange(written[key] + 1, written[key] + 1 + rows.num_rows, dtype=np.int64)
                table = (
                    pa.Table.from_batches([rows])
                    .drop_columns(["target_key"])
                    .add_column(0, "rank", pa.array(ranks))
                )
                if key not in writers:
                    paths[key].parent.mkdir(parents=True, exist_ok=True)
                    writers[key] = pq.ParquetWriter(paths[key], RANKED_SCHEMA, compression="zstd")
                writers[key].write_table(table.cast(RANKED_SCHEMA))
                written[key] += rows.num_rows
                for item in pc.value_counts(rows.column("desil")).to_pylist():
                    by_desil[key][item["values"]] += item["counts"]
    finally:
        for writer in writers.values():
            writer.close()
    for key, path in paths.items():
        if key not in writers:  # nobody eligible: an empty list with the same columns
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(RANKED_SCHEMA.empty_table(), path, compression="zstd")
    desil_counts = {
        key: {str(d): n for d, n in sorted(c.items(), key=lambda item: (item[0] is None, item[0] or 0))}
        for key, c in by_desil.items()
    }
    return paths, desil_counts


def _excluded(by_reason: dict[str, int]) -> dict[str, int]:
    unknown = set(by_reason) - set(EXCLUSIONS) - {""}
    if unknown:
        raise RuntimeError(f"the SQL gave reasons the rules do not know: {sorted(unknown)}")
    return {reason: by_reason.get(reason, 0) for reason in EXCLUSIONS if by_reason.get(reason)}


def _nobody(excluded: dict[str, int], in_scope: int) -> str:
    if in_scope == 0:
        return "nobody in the snapshot lives in the sponsor's scope"
    top = max(excluded, key=lambda k: excluded[k])
    return f"the rule selects nobody: most persons in scope are excluded as {top} ({excluded[top]:,})"


def run_targeting(
    *,
    principal: Principal,
    sponsor: str | int,
    snapshot: str,
    start_month: Month | None = None,
    engine: str = "duckdb",
    progress: Progress | None = None,
    url: str | None = None,
) -> TargetingReport:
    """Target a snapshot for a sponsor with its current target version; the run is frozen
    and audited. `start_month` (default: next month) is when funding would begin: ages and
    existing coverage are judged on its first day."""
    return run_round(
        principal=principal, sponsors=[sponsor], snapshot=snapshot, start_month=start_month, engine=engine,
        progress=progress, url=url,
    )[0]  # fmt: skip


def run_round(
    *,
    principal: Principal,
    sponsors: list[str | int] | None,
    snapshot: str,
    start_month: Month | None = None,
    engine: str = "duckdb",
    progress: Progress | None = None,
    url: str | None = None,
) -> list[TargetingReport]:
    """Target a snapshot for several sponsors at once (None: every sponsor the principal sees
    that has a target): one pass over the snapshot and one frozen membership for all, then one
    frozen, audited run per sponsor, each reproducible on its own with `rerun`."""
    require(principal, "targeting.run")
    if engine not in ENGINES:
        raise BadInput(f"engine must be one of {', '.join(ENGINES)}", field="engine")
    start = start_month or Month.of(date.today()).plus(1)
    report = progress or (lambda _stage, _done, _total: None)
    entries = _round_entries(principal, sponsors, url)
    source = registry.get_snapshot(snapshot, url)
    persons = Path(source.path)
    if not persons.exists():
        raise NotFound(f"the persons file of snapshot {source.snapshot_id} is missing: {persons}")
    registry.check_snapshot_key(persons)
    started = time.monotonic()
    work = runs_dir() / f".work-{secrets.token_hex(6)}"
    work.mkdir(parents=True)
    reports = []
    try:
        report("membership", 0, len(STAGES))
        members = work / "members.parquet"
        members_sha = _membership(url, start, members)
        targets = [(key, target) for key, (_, target) in enumerate(entries, start=1)]
        with batch_engine(engine) as batch:
            classified = classify_round(batch, persons, members, HAZARD, targets, start, work, report)
        report("save", 3, len(STAGES))
        seconds = time.monotonic() - started
        for key, (found, target) in enumerate(entries, start=1):
            folder = work / str(key)
            _link(members, folder / "members.parquet")
            by_reason = classified.by_reason[key]
            eligible = by_reason.get("", 0)
            excluded = _excluded(by_reason)
            frozen = {
                "target": target.to_json(),
                "snapshot_id": source.snapshot_id,
                "start_month": str(start),
                "members_sha256": members_sha,
                "sql_sha256": _sql_digest(),
                "hazard": HAZARD,
                "exclusion_order": list(EXCLUSIONS),
                "priority_keys": {k: PRIORITY_KEYS[k][:2] for k in target.priority},
                "round_of": len(entries),
            }
            saved = _save(
                principal, found, target, source.snapshot_id, start, engine, frozen,
                eligible + sum(excluded.values()), eligible, excluded, ranked_digest(classified.ranked[key]),
                folder, seconds, url,
            )  # fmt: skip
            saved.eligible_by_desil = classified.by_desil[key]
            reports.append(saved)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report("save", 4, len(STAGES))
    return reports


MAX_ROUND = 200


def _round_entries(
    principal: Principal, sponsors: list[str | int] | None, url: str | None
) -> list[tuple[Sponsor, Target]]:
    """The sponsors of a round with their current targets, each once, in the order given."""
    if sponsors is not None and not sponsors:
        raise BadInput("name at least one sponsor", field="sponsors")
    if sponsors is not None and len(sponsors) > MAX_ROUND:
        raise BadInput(f"at most {MAX_ROUND} sponsors in one round", field="sponsors")
    entries: list[tuple[Sponsor, Target]] = []
    with db.reading(url) as conn:
        if sponsors is None:
            query = select(sponsors_table).where(region_filter(principal, sponsors_table.c.region_code))
            if principal.sponsor_id is not None:
                query = query.where(sponsors_table.c.id == principal.sponsor_id)
            candidates: list[str | int] = [
                int(r.id) for r in conn.execute(query.order_by(sponsors_table.c.code))
            ]
        else:
            candidates = list(sponsors)
        seen: set[int] = set()
        for name in candidates:
            found = visible_sponsor_in(conn, principal, name)
            if found.id in seen:
                continue
            seen.add(found.id)
            try:
                entries.append((found, current_target_in(conn, found)))
            except NotFound:
                if sponsors is not None:
                    raise
    if not entries:
        raise NotFound("no sponsor you can see has a target yet: set one with `jaring sponsors target`")
    return entries


def _link(source: Path, link: Path) -> None:
    """The round's one frozen membership in every run's folder, without copying it."""
    link.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, link)
    except OSError:  # a file system without hard links
        shutil.copyfile(source, link)


def _save(
    principal: Principal,
    sponsor: Sponsor,
    target: Target,
    snapshot_id: str,
    start: Month,
    engine: str,
    frozen: dict[str, Any],
    in_scope: int,
    eligible: int,
    excluded: dict[str, int],
    output: str,
    work: Path,
    seconds: float,
    url: str | None,
) -> TargetingReport:
    with db.transaction(url) as conn:
        run_id = int(
            conn.execute(
                targeting_runs.insert()
                .values(
                    sponsor_id=sponsor.id,
                    target_id=target.id,
                    snapshot_id=snapshot_id,
                    region_code=sponsor.region_code,
                    start_month=start.first_day,
                    engine=engine,
                    parameters=frozen,
                    in_scope=in_scope,
                    eligible=eligible,
                    excluded=excluded,
                    output_sha256=output,
                    path="",
                    seconds=round(seconds),
                    created_at=datetime.now(UTC),
                    created_by=principal.actor,
                )
                .returning(targeting_runs.c.id)
            ).scalar_one()
        )
        final = runs_dir() / str(run_id)
        if final.exists():  # left by a store that was reset; the store is the truth
            shutil.rmtree(final)
        conn.execute(targeting_runs.update().where(targeting_runs.c.id == run_id).values(path=str(final)))
        audit.record(
            conn,
            actor=principal.actor,
            action="targeting.run",
            entity="targeting_run",
            entity_id=str(run_id),
            region_code=sponsor.region_code,
            after={
                "sponsor": sponsor.code,
                "snapshot": snapshot_id,
                "target_version": target.version,
                "in_scope": in_scope,
                "eligible": eligible,
                "excluded": excluded,
                "output_sha256": output,
            },
        )
        work.rename(final)
    return TargetingReport(
        run_id=run_id,
        sponsor=sponsor.code,
        snapshot_id=snapshot_id,
        start_month=str(start),
        engine=engine,
        target_version=target.version,
        in_scope=in_scope,
        eligible=eligible,
        excluded=excluded,
        output_sha256=output,
        seconds=round(seconds, 2),
        warning=None if eligible else _nobody(excluded, in_scope),
    )


# --------------------------------------------------------------------------- reading runs


@dataclass(frozen=True)
class RunRef:
    id: int
    sponsor_id: int
    target_id: int
    snapshot_id: str
    region_code: str
    start_month: Month
    engine: str
    parameters: dict[str, Any]
    in_scope: int
    eligible: int
    excluded: dict[str, int]
    output_sha256: str
    path: Path

    @property
    def ranked(self) -> Path:
        return self.path / "ranked.parquet"


def _run(row: Any) -> RunRef:
    return RunRef(
        int(row.id),
        int(row.sponsor_id),
        int(row.target_id),
        row.snapshot_id,
        row.region_code,
        Month.of(row.start_month),
        row.engine,
        dict(row.parameters),
        int(row.in_scope),
        int(row.eligible),
        dict(row.excluded),
        row.output_sha256,
        Path(row.path),
    )


def visible_run_in(conn: Any, principal: Principal, run_id: int) -> RunRef:
    query = select(targeting_runs).where(
        targeting_runs.c.id == run_id, region_filter(principal, targeting_runs.c.region_code)
    )
    if principal.sponsor_id is not None:
        query = query.where(targeting_runs.c.sponsor_id == principal.sponsor_id)
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"targeting run {run_id} not found")
    return _run(row)


def get_run(*, principal: Principal, run_id: int, url: str | None = None) -> RunRef:
    require(principal, "sponsor.read")
    with db.reading(url) as conn:
        return visible_run_in(conn, principal, run_id)


@dataclass(frozen=True)
class RunSummary:
    """A run as a list shows it: which sponsor, over which snapshot, and its counts."""

    run: RunRef
    sponsor_code: str
    sponsor_name: str
    created_at: datetime


def list_runs(
    *, principal: Principal, sponsor_id: int | None = None, limit: int | None = None, url: str | None = None
) -> list[RunSummary]:
    """The runs the principal may see (their region; a sponsor's finance officer only their
    sponsor's), newest first; of one sponsor and at most `limit` when asked."""
    require(principal, "sponsor.read")
    query = (
        select(
            targeting_runs,
            sponsors_table.c.code.label("sponsor_code"),
            sponsors_table.c.name.label("sponsor_name"),
        )
        .join(sponsors_table, sponsors_table.c.id == targeting_runs.c.sponsor_id)
        .where(region_filter(principal, targeting_runs.c.region_code))
        .order_by(targeting_runs.c.id.desc())
    )
    if principal.sponsor_id is not None:
        query = query.where(targeting_runs.c.sponsor_id == principal.sponsor_id)
    if sponsor_id is not None:
        query = query.where(targeting_runs.c.sponsor_id == sponsor_id)
    if limit is not None:
        query = query.limit(limit)
    with db.reading(url) as conn:
        return [
            RunSummary(_run(row), row.sponsor_code, row.sponsor_name, row.created_at)
            for row in conn.execute(query)
        ]


@dataclass(frozen=True)
class RankedPage:
    run_id: int
    offset: int
    total: int
    rows: list[dict[str, Any]]


def ranked_page(
    *, principal: Principal, run_id: int, offset: int = 0, limit: int = 50, url: str | None = None
) -> RankedPage:
    """A page of a run's ranked list in rank order, each person with their NIK masked (from
    the snapshot: the list itself holds no NIK) and, for a returning member, their member id."""
    require(principal, "sponsor.read")
    if offset < 0 or not 1 <= limit <= 1000:
        raise BadInput("a page starts at 0 or later and holds 1 to 1000 persons")
    with db.reading(url) as conn:
        run = visible_run_in(conn, principal, run_id)
    source = registry.get_snapshot(run.snapshot_id, url)
    with batch_engine("duckdb") as batch:
        batch.register("ranked", run.ranked)
        batch.register("persons", Path(source.path))
        rows = batch.fetch(
            "WITH page AS (SELECT * FROM ranked WHERE rank > :first AND rank <= :last) "
            "SELECT page.*, p.nik_cipher FROM page LEFT JOIN persons p ON p.nik_index = page.nik_index "
            "ORDER BY page.rank",
            {"first": offset, "last": offset + limit},
        ).to_pylist()
    out = []
    for row in rows:
        cipher = row.pop("nik_cipher")
        index = row.pop("nik_index")
        row["nik_masked"] = mask(protect.decrypt(index.hex(), cipher)) if cipher is not None else None
        out.append(row)
    return RankedPage(run_id=run.id, offset=offset, total=run.eligible, rows=out)


@dataclass
class Rerun:
    run_id: int
    engine: str
    identical: bool
    stored_sha256: str
    rerun_sha256: str
    excluded_match: bool


def rerun(*, principal: Principal, run_id: int, engine: str = "duckdb", url: str | None = None) -> Rerun:
    """Recompute a frozen run from its frozen inputs and compare: the proof that a run can be
    reproduced exactly, on the same or the other engine."""
    require(principal, "targeting.run")
    if engine not in ENGINES:
        raise BadInput(f"engine must be one of {', '.join(ENGINES)}", field="engine")
    with db.reading(url) as conn:
        run = visible_run_in(conn, principal, run_id)
        target = target_in(conn, run.target_id)
    source = registry.get_snapshot(run.snapshot_id, url)
    members = run.path / "members.parquet"
    if registry.file_sha256(members) != run.parameters["members_sha256"]:
        raise BadInput(f"the frozen membership of run {run_id} was altered; it cannot be reproduced")
    work = runs_dir() / f".rerun-{secrets.token_hex(6)}"
    work.mkdir(parents=True)
    try:
        with batch_engine(engine) as batch:
            hazard = run.parameters["hazard"]
            again = classify_round(
                batch,
                Path(source.path),
                members,
                hazard,
                [(1, target)],
                run.start_month,
                work,
                lambda *_: None,
            )
        by_reason = again.by_reason[1]
        digest = ranked_digest(again.ranked[1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Rerun(
        run_id=run_id,
        engine=engine,
        identical=digest == run.output_sha256 and _excluded(by_reason) == run.excluded,
        stored_sha256=run.output_sha256,
        rerun_sha256=digest,
        excluded_match=_excluded(by_reason) == run.excluded,
    )


def frozen_json(run: RunRef) -> str:
    return json.dumps(run.parameters, indent=2, sort_keys=True, default=str)


# --------------------------------------------------------------------------- explanations


@dataclass
class Explanation:
    """Why a person has their place: their value of each priority key, and how many eligible
    persons are ahead because of each key (the counts add up to rank - 1)."""

    run_id: int
    status: str  # ranked | excluded | not_in_scope
    rank: int | None = None
    of: int | None = None
    reason: str | None = None
    keys: list[dict[str, Any]] = field(default_factory=list)
    ahead: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _index_hex(nik: str) -> str:
    text = nik.strip()
    if not (len(text) == 16 and text.isdigit()):
        raise BadInput("a NIK is 16 digits", field="nik")
    return protect.blind_index(text)


def explain(*, principal: Principal, run_id: int, nik: str, url: str | None = None) -> Explanation:
    """A person's place in a run, or the reason they are not in it (recomputed from the
    run's frozen inputs, so it is the reason the run applied)."""
    require(principal, "sponsor.read")
    return _explain_index(principal, run_id, _index_hex(nik), url)


def explain_rank(*, principal: Principal, run_id: int, rank: int, url: str | None = None) -> Explanation:
    """The same explanation for the person at `rank` of the run's list (who need not be
    named by NIK: the officer picked them from the list)."""
    require(principal, "sponsor.read")
    with db.reading(url) as conn:
        run = visible_run_in(conn, principal, run_id)
    if not 1 <= rank <= run.eligible:
        raise BadInput(
            f"run {run_id} ranks persons 1 to {run.eligible}; there is no rank {rank}", field="rank"
        )
    with batch_engine("duckdb") as batch:
        batch.register("ranked", run.ranked)
        found = batch.fetch("SELECT nik_index FROM ranked WHERE rank = :rank", {"rank": rank}).to_pylist()
    return _explain_index(principal, run_id, found[0]["nik_index"].hex(), url)


def _explain_index(principal: Principal, run_id: int, index: str, url: str | None) -> Explanation:
    with db.reading(url) as conn:
        run = visible_run_in(conn, principal, run_id)
        target = target_in(conn, run.target_id)
    keys = [k for k in target.priority]
    with batch_engine("duckdb") as batch:
        batch.register("ranked", run.ranked)
        mine = batch.fetch("SELECT * FROM ranked WHERE nik_index = unhex(:nik)", {"nik": index}).to_pylist()
        if mine:
            me = mine[0]
            ahead: list[dict[str, Any]] = []
            for level, key in enumerate(keys, start=1):
                same = " AND ".join(f"k{i} = {int(me[f'k{i}'])}" for i in range(1, level)) or "TRUE"
                count = (
                    batch.fetch(
                        f"SELECT COUNT(*) AS n FROM ranked WHERE {same} AND k{level} < :mine",
                        {"mine": int(me[f"k{level}"])},
                    )
                    .column("n")[0]
                    .as_py()
                )
                ahead.append({"key": key, "rule": PRIORITY_KEYS[key][3], "persons_ahead": int(count)})
            ahead.append(
                {
                    "key": "tie_break",
                    "rule": "same keys: the blind index decides",
                    "persons_ahead": int(me["rank"]) - 1 - sum(int(a["persons_ahead"]) for a in ahead),
                }
            )
            return Explanation(
                run_id=run.id,
                status="ranked",
                rank=int(me["rank"]),
                of=run.eligible,
                keys=[{"key": k, "value": me[PRIORITY_KEYS[k][0]]} for k in keys],
                ahead=ahead,
            )
    source = registry.get_snapshot(run.snapshot_id, url)
    with batch_engine("duckdb") as batch:
        _register(
            batch, Path(source.path), run.path / "members.parquet", run.parameters["hazard"], [(1, target)],
            run.start_month,
        )  # fmt: skip
        found = batch.fetch(
            "SELECT excluded FROM classified WHERE nik_index = unhex(:nik)", {"nik": index}
        ).to_pylist()
    if not found:
        return Explanation(run_id=run.id, status="not_in_scope")
    return Explanation(run_id=run.id, status="excluded", reason=found[0]["excluded"])
