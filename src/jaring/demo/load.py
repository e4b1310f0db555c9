"""The demo load: six steps on the configured store, each timed, then the store's own checks
(the contributions ledger and the audit chain). A loaded store is recognised by its demo
accounts and left alone; `fresh` empties the store (and Jaring's files beside it) first."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from sqlalchemy import text

from jaring.demo import accounts, claims, funding, money, people
from jaring.demo.plan import Loaded, Timeline
from jaring.kit import config, db
from jaring.kit.auth import Principal, system
from jaring.kit.errors import Conflict

Note = Callable[[str], None]
Advance = Callable[[int, int], None]


@dataclass
class StepResult:
    title: str
    summary: str
    seconds: float


@dataclass
class Outcome:
    already_loaded: bool
    steps: list[StepResult] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


class Display(Protocol):
    """How a step shows its progress: a line of text and, where known, a fraction done."""

    def start(self, title: str) -> None: ...

    def note(self, text: str) -> None: ...

    def advance(self, done: int, total: int) -> None: ...

    def finish(self, result: StepResult) -> None: ...


def empty_store(url: str | None = None) -> None:
    """Start over: drop everything in the store and Jaring's files of snapshots, runs and
    enrolments. The key file stays (it protects nothing once the data are gone)."""
    url = url or config.database_url()
    db.dispose_all()
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        engine = db.store(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.dispose_all()
    data = config.data_dir()
    for folder in ("registry", "targeting", "enrolment", "demo", "tmp"):
        shutil.rmtree(data / folder, ignore_errors=True)


def _checks(principal: Principal) -> list[str]:
    from jaring.contributions.ledger import check
    from jaring.kit.audit import verify

    ledger = check(principal=principal)
    verdict = verify()
    out = [
        "buku besar iuran: " + ("seimbang" if ledger.holds else "; ".join(ledger.problems)),
        "rantai audit: " + ("utuh" if verdict.intact else f"putus: {verdict}"),
    ]
    if not ledger.holds or not verdict.intact:
        raise RuntimeError("the demo load left the store inconsistent: " + "; ".join(out))
    return out


def load(*, persons: int, seed: int, fresh: bool, display: Display, today: date | None = None) -> Outcome:
    principal = system("demo")
    if fresh:
        empty_store()
    status = accounts.state(principal)
    if status == "loaded":
        return Outcome(already_loaded=True)
    if status == "partial":
        raise Conflict("this store holds part of an earlier demo load; run `jaring demo load --fresh`")
    loaded = Loaded(persons=persons, seed=seed, timeline=Timeline(today or date.today()))
    outcome = Outcome(already_loaded=False)
    steps: list[tuple[str, Callable[[Note, Advance], str]]] = [
        ("1. Wilayah referensi", lambda n, _: people.load_reference(n)),
        ("2. Registri sintetis", lambda n, _: people.load_registry(loaded, n)),
        ("3. Pemberi dana, penargetan, pendaftaran", lambda n, _: funding.fund(principal, loaded, n)),
        (
            "4. Penagihan dan pembayaran 12 bulan",
            lambda n, a: money.bill_and_collect(principal, loaded, n, a),
        ),
        ("5. Klaim", lambda n, _: claims.file_claims(loaded, n)),
        ("6. Akun demo", lambda _n, _a: accounts.create_accounts(principal)),
    ]
    for title, run in steps:
        display.start(title)
        began = time.perf_counter()
        summary = run(display.note, display.advance)
        result = StepResult(title, summary, time.perf_counter() - began)
        display.finish(result)
        outcome.steps.append(result)
    outcome.checks = _checks(principal)
    outcome.counts = dict(loaded.counts)
    return outcome
