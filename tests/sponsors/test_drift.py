"""Registry drift: sponsored members a new snapshot says died, left, moved out of scope or
rose above the desil cut-off are listed for review, against an expectation worked out from
the two extracts; nothing ends until an officer decides."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from jaring.kit import db
from jaring.kit.auth import NATIONAL_ADMIN, REGENCY_OFFICER, Principal
from jaring.kit.errors import BadInput
from jaring.kit.periods import Month
from jaring.membership import service as membership
from jaring.registry.evolve import Evolution, evolve
from jaring.registry.generate import generate
from jaring.registry.service import import_snapshot
from jaring.sponsors import drift
from jaring.sponsors.service import create_sponsor
from jaring.sponsors.targets import set_target

ADMIN = Principal("admin", NATIONAL_ADMIN)


def _rows(path: Path) -> dict[str, dict[str, str]]:
    return {r["nik"]: r for r in pq.read_table(path).to_pylist()}


@pytest.fixture
def setting(store_url: str, jaring_env: Path, tmp_path: Path):
    old, extra, new = tmp_path / "old.parquet", tmp_path / "extra.parquet", tmp_path / "new.parquet"
    generate(persons=1200, seed=8, out=old, provinces=["31"])
    generate(persons=20, seed=9, out=extra, provinces=["31"], serial_offset=5000)
    shares = Evolution(removed=0.05, deceased=0.05, moved=0.15, desil_up=0.25, desil_down=0.05)
    evolve(old=old, extra=extra, out=new, seed=2, changes=shares)
    before, after = _rows(old), _rows(new)
    first = import_snapshot(path=old, snapshot_date=date(2026, 6, 30), url=store_url).snapshot_id
    second = import_snapshot(path=new, snapshot_date=date(2026, 9, 30), url=store_url).snapshot_id
    regency = Counter(r["village_code"][:4] for r in before.values()).most_common(1)[0][0]
    officer = Principal("rina", REGENCY_OFFICER, region_code=regency)
    sponsor = create_sponsor(principal=ADMIN, code="KAB", name="Pemkab", kind="regency", region_code=regency,
                             url=store_url)  # fmt: skip
    set_target(principal=officer, sponsor="KAB", rule={"desil_max": 4, "employment": "any"}, url=store_url)
    chosen = [
        r for r in before.values()
        if r["village_code"].startswith(regency) and r["deceased"] == "0" and int(r["desil"]) <= 4
    ][:120]  # fmt: skip
    ids = {}
    for person in chosen:
        view = membership.enrol(
            principal=officer, nik=person["nik"], name=person["name"],
            birth_date=date.fromisoformat(person["birth_date"]), region_code=person["village_code"],
            category=person["occupation"] or "other", url=store_url,
        )  # fmt: skip
        ids[person["nik"]] = membership.numbers.serial_of(view.participant_number)
    membership.assign_payer(
        principal=officer, sponsor_id=sponsor.id, from_month=Month.of(date.today()), months=12,
        member_ids=list(ids.values()), url=store_url,
    )  # fmt: skip
    expected = Counter()
    for nik in ids:
        was, now = before[nik], after.get(nik)
        if now is None:
            expected["left_registry"] += 1
            continue
        if now["deceased"] == "1" and was["deceased"] != "1":
            expected["deceased"] += 1
        if now["village_code"] != was["village_code"] and not now["village_code"].startswith(regency):
            expected["moved_out_of_scope"] += 1
        if now["desil"] and int(now["desil"]) > 4 and int(now["desil"]) > int(was["desil"]):
            expected["desil_above_cutoff"] += 1
    return store_url, first, second, officer, ids, dict(expected)


def test_the_review_lists_what_the_extracts_say_and_ends_nothing_by_itself(setting):
    url, first, second, officer, ids, expected = setting
    review = drift.review_drift(principal=officer, sponsor="KAB", old=first, new=second, url=url)
    assert review.counts == expected
    assert sum(expected.values()) > 0
    assert review.undecided == len(review.items)
    next_month = Month.of(date.today()).plus(1).first_day
    with db.store(url).connect() as conn:  # still paid for, every one of them
        assert all(membership.payer_in(conn, m, next_month) is not None for m in ids.values())
    again = drift.review_drift(principal=officer, sponsor="KAB", old=first, new=second, url=url)
    assert [i.id for i in again.items] == [i.id for i in review.items]  # a repeat adds nothing

    dead = next(i for i in review.items if i.change in ("deceased", "left_registry"))
    kept = next(i for i in review.items if i.participant_number != dead.participant_number)
    assert (
        drift.decide_drift(principal=officer, sponsor="KAB", item_ids=[dead.id], decision="end_now", url=url)
        == 1
    )
    assert (
        drift.decide_drift(principal=officer, sponsor="KAB", item_ids=[kept.id], decision="keep", url=url)
        == 1
    )
    assert (
        drift.decide_drift(principal=officer, sponsor="KAB", item_ids=[kept.id], decision="end_now", url=url)
        == 0
    )
    serial = membership.numbers.serial_of
    with db.store(url).connect() as conn:
        assert membership.payer_in(conn, serial(dead.participant_number), next_month) is None
        assert membership.payer_in(conn, serial(kept.participant_number), next_month) is not None
    after = drift.review_drift(principal=officer, sponsor="KAB", old=first, new=second, url=url)
    assert after.undecided == review.undecided - 2
    with pytest.raises(BadInput):
        drift.decide_drift(principal=officer, sponsor="KAB", item_ids=[kept.id], decision="forget", url=url)
