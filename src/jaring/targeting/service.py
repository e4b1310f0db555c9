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
import secrets
import shutil
import time
from collections.abc import Callable
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
from jaring.kit.periods import Month
from jaring.membership import service as membership
from jaring.registry import service as registry
from jaring.registry.reasons import WARNINGS
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


def _scope_params(scope: tuple[str, ...]) -> dict[str, list[str]]:
    by_length: dict[int, list[str]] = {2: [], 4: [], 6: [], 10: []}
    for code in scope:
        by_length[len(code)].append(code)
    return {f"p{n}": codes for n, codes in by_length.items()}  # an empty IN () is false


def parameters_for(target: Target, start: Month) -> dict[str, Any]:
    """The SQL parameters of a target: everything the two SQL files read."""
    rule = target.rule
    keys = list(target.priority) + [""] * (4 - len(target.priority))
    return {
        **_scope_params(target.scope),
        "start_day": start.first_day,
        "default_hazard": DEFAULT_HAZARD,
        "nik_warnings": NIK_WARNING_MASK,
        "age_min": rule.age_min,
        "age_max": rule.age_max,
        "informal_only": rule.employment == "informal",
        "working_only": rule.employment != "any",
        "desil_max": rule.desil_max,
        "any_occupation": rule.occupations is None,
        "occupations": list(rule.occupations or []),
        "sex": rule.sex or "",
        **{f"key{i + 1}": key for i, key in enumerate(keys)},
    }


def _classify_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if not k.startswith("key")}


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


def _classify(
    batch: BatchEngine,
    persons: Path,
    members: Path,
    hazard: dict[str, int],
    params: dict[str, Any],
    out: Path,
    progress: Progress,
) -> tuple[dict[str, int], dict[str, int]]:
    batch.register("persons", persons)
    batch.register("members", members)
    batch.register("hazard", _hazard_table(hazard))
    progress("classify", 1, len(STAGES))
    batch.stage("classified", load_sql("targeting_classify"), _classify_params(params))
    counts = batch.fetch("SELECT excluded, COUNT(*) AS n FROM classified GROUP BY excluded")
    by_reason = {(r["excluded"] or ""): int(r["n"]) for r in counts.to_pylist()}
    progress("rank", 2, len(STAGES))
    rank_params = {k: v for k, v in params.items() if k.startswith("key")}
    batch.write(load_sql("targeting_rank"), out, rank_params)
    desil = batch.fetch(
        "SELECT desil, COUNT(*) AS n FROM classified WHERE excluded IS NULL GROUP BY desil ORDER BY desil"
    )
    return by_reason, {str(r["desil"]): int(r["n"]) for r in desil.to_pylist()}


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
    require(principal, "targeting.run")
    if engine not in ENGINES:
        raise BadInput(f"engine must be one of {', '.join(ENGINES)}", field="engine")
    start = start_month or Month.of(date.today()).plus(1)
    report = progress or (lambda _stage, _done, _total: None)
    with db.reading(url) as conn:
        found = visible_sponsor_in(conn, principal, sponsor)
        target = current_target_in(conn, found)
    source = registry.get_snapshot(snapshot, url)
    persons = Path(source.path)
    if not persons.exists():
        raise NotFound(f"the persons file of snapshot {source.snapshot_id} is missing: {persons}")
    registry.check_snapshot_key(persons)
    started = time.monotonic()
    work = runs_dir() / f".work-{secrets.token_hex(6)}"
    work.mkdir(parents=True)
    try:
        report("membership", 0, len(STAGES))
        members_sha = _membership(url, start, work / "members.parquet")
        params = parameters_for(target, start)
        with batch_engine(engine) as batch:
            by_reason, by_desil = _classify(
                batch, persons, work / "members.parquet", HAZARD, params, work / "ranked.parquet", report
            )
        report("save", 3, len(STAGES))
        eligible = by_reason.get("", 0)
        excluded = _excluded(by_reason)
        in_scope = eligible + sum(excluded.values())
        output = ranked_digest(work / "ranked.parquet")
        frozen = {
            "target": target.to_json(),
            "snapshot_id": source.snapshot_id,
            "start_month": str(start),
            "members_sha256": members_sha,
            "sql_sha256": _sql_digest(),
            "hazard": HAZARD,
            "exclusion_order": list(EXCLUSIONS),
            "priority_keys": {k: PRIORITY_KEYS[k][:2] for k in target.priority},
        }
        seconds = time.monotonic() - started
        report_out = _save(
            principal, found, target, source.snapshot_id, start, engine, frozen, in_scope, eligible,
            excluded, output, work, seconds, url,
        )  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report_out.eligible_by_desil = by_desil
    report("save", 4, len(STAGES))
    return report_out


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
            by_reason, _ = _classify(
                batch,
                Path(source.path),
                members,
                run.parameters["hazard"],
                parameters_for(target, run.start_month),
                work / "ranked.parquet",
                lambda *_: None,
            )
        digest = ranked_digest(work / "ranked.parquet")
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
    index = _index_hex(nik)
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
        batch.register("persons", Path(source.path))
        batch.register("members", run.path / "members.parquet")
        batch.register("hazard", _hazard_table(run.parameters["hazard"]))
        batch.stage(
            "classified",
            load_sql("targeting_classify"),
            _classify_params(parameters_for(target, run.start_month)),
        )
        found = batch.fetch(
            "SELECT excluded FROM classified WHERE nik_index = unhex(:nik)", {"nik": index}
        ).to_pylist()
    if not found:
        return Explanation(run_id=run.id, status="not_in_scope")
    return Explanation(run_id=run.id, status="excluded", reason=found[0]["excluded"])
