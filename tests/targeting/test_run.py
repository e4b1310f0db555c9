"""A targeting run against an independent row-by-row expectation; frozen, reproducible,
explainable; bad input answered clearly."""

from __future__ import annotations

from collections import Counter

import pyarrow.parquet as pq
import pytest

from jaring.kit.auth import REGENCY_OFFICER, Principal
from jaring.kit.errors import BadInput, NotFound
from jaring.sponsors.targets import set_target
from jaring.targeting import service
from tests.targeting.conftest import ADMIN, START, World, expected

PRIORITY = ["desil", "hazard", "female_head", "older"]


def _run(world: World, **rule: object) -> service.TargetingReport:
    set_target(
        principal=world.officer, sponsor=world.sponsor.code, rule=rule, priority=PRIORITY, url=world.url
    )
    return service.run_targeting(
        principal=world.officer,
        sponsor=world.sponsor.code,
        snapshot=world.snapshot_id,
        start_month=START,
        url=world.url,
    )


def _ranked(report: service.TargetingReport, world: World) -> list[str]:
    run = service.get_run(principal=ADMIN, run_id=report.run_id, url=world.url)
    return [b.hex() for b in pq.read_table(run.ranked, columns=["nik_index"]).column("nik_index").to_pylist()]


def test_every_person_in_scope_is_ranked_or_excluded_with_the_first_reason(world: World):
    report = _run(world)
    reasons, order = expected(world, {}, PRIORITY)
    assert report.eligible == reasons.pop("") == len(order)
    assert report.excluded == {k: v for k, v in reasons.items() if v}
    assert report.in_scope == report.eligible + sum(report.excluded.values())
    assert report.excluded["already_covered"] == len(world.covered)
    assert _ranked(report, world) == order


def test_a_narrower_rule_and_another_order(world: World):
    rule = {
        "desil_max": 3,
        "occupations": ["farmer", "fisher", "daily_labourer", "street_vendor"],
        "sex": "F",
        "age_min": 20,
        "age_max": 60,
    }
    set_target(
        principal=world.officer,
        sponsor=world.sponsor.code,
        rule=rule,
        priority=["younger", "desil"],
        url=world.url,
    )
    report = service.run_targeting(
        principal=world.officer, sponsor=world.sponsor.code, snapshot=world.snapshot_id, start_month=START,
        url=world.url,
    )  # fmt: skip
    reasons, order = expected(world, rule, ["younger", "desil"])
    assert report.eligible == len(order) > 0
    assert report.excluded == {k: v for k, v in reasons.items() if v and k}
    assert _ranked(report, world) == order


def test_a_run_is_frozen_and_reproduces_exactly(world: World):
    report = _run(world)
    again = service.rerun(principal=world.officer, run_id=report.run_id, url=world.url)
    assert again.identical
    assert again.rerun_sha256 == report.output_sha256
    # The sponsor changing its target later does not change what the old run reproduces.
    _run(world, desil_max=1)
    assert service.rerun(principal=world.officer, run_id=report.run_id, url=world.url).identical
    run = service.get_run(principal=ADMIN, run_id=report.run_id, url=world.url)
    assert run.parameters["target"]["rule"]["desil_max"] == 4
    (run.path / "members.parquet").write_bytes(b"tampered")
    with pytest.raises(BadInput, match="altered"):
        service.rerun(principal=world.officer, run_id=report.run_id, url=world.url)


def test_a_rank_is_explained_and_exclusions_name_their_reason(world: World):
    report = _run(world)
    _, order = expected(world, {}, PRIORITY)
    by_index = {service.protect.blind_index(p["nik"]): p for p in world.persons}
    for position in (0, len(order) // 2, len(order) - 1):
        person = by_index[order[position]]
        found = service.explain(
            principal=world.officer, run_id=report.run_id, nik=person["nik"], url=world.url
        )
        assert (found.status, found.rank, found.of) == ("ranked", position + 1, report.eligible)
        assert sum(step["persons_ahead"] for step in found.ahead) == position
        assert [k["key"] for k in found.keys] == PRIORITY
        assert found.keys[0]["value"] == int(person["desil"])
    covered = next(iter(world.covered))
    found = service.explain(principal=world.officer, run_id=report.run_id, nik=covered, url=world.url)
    assert (found.status, found.reason) == ("excluded", "already_covered")
    outside = next(p for p in world.persons if not p["village_code"].startswith(world.regency))
    found = service.explain(principal=world.officer, run_id=report.run_id, nik=outside["nik"], url=world.url)
    assert found.status == "not_in_scope"
    with pytest.raises(BadInput):
        service.explain(principal=world.officer, run_id=report.run_id, nik="12345", url=world.url)


def test_a_rule_that_selects_nobody_says_why(world: World):
    report = _run(world, desil_max=1, occupations=["religious_teacher"], sex="M", age_min=64, age_max=65)
    assert report.eligible == 0
    assert report.warning is not None
    assert "selects nobody" in report.warning
    assert report.in_scope == sum(report.excluded.values()) > 0


def test_bad_input_is_named(world: World):
    with pytest.raises(BadInput) as bad:
        set_target(principal=world.officer, sponsor=world.sponsor.code, rule={"occupations": ["astronaut"]},
                   url=world.url)  # fmt: skip
    assert bad.value.field == "occupations"
    with pytest.raises(BadInput) as bad:
        set_target(principal=world.officer, sponsor=world.sponsor.code, rule={"age_min": 50, "age_max": 40},
                   url=world.url)  # fmt: skip
    assert bad.value.field == "age_min"
    with pytest.raises(BadInput, match="priority"):
        set_target(principal=world.officer, sponsor=world.sponsor.code, priority=["height"], url=world.url)
    with pytest.raises(BadInput, match="outside the sponsor's region"):
        set_target(principal=world.officer, sponsor=world.sponsor.code, scope=["3201"], url=world.url)
    with pytest.raises(NotFound, match="sponsor"):
        service.run_targeting(
            principal=world.officer, sponsor="NOBODY", snapshot=world.snapshot_id, url=world.url
        )
    with pytest.raises(NotFound, match="no target"):
        service.run_targeting(principal=world.officer, sponsor=world.other.code, snapshot=world.snapshot_id,
                              url=world.url)  # fmt: skip
    _run(world)
    with pytest.raises(NotFound, match="snapshot"):
        service.run_targeting(principal=world.officer, sponsor=world.sponsor.code, snapshot="1999-01-01",
                              url=world.url)  # fmt: skip


def test_another_regency_sees_neither_the_sponsor_nor_its_runs(world: World):
    report = _run(world)
    stranger = Principal("budi", REGENCY_OFFICER, region_code="9999" if world.regency != "9999" else "9998")
    with pytest.raises(NotFound):
        service.run_targeting(principal=stranger, sponsor=world.sponsor.code, snapshot=world.snapshot_id,
                              url=world.url)  # fmt: skip
    with pytest.raises(NotFound):
        service.get_run(principal=stranger, run_id=report.run_id, url=world.url)
    with pytest.raises(NotFound):
        service.explain(principal=stranger, run_id=report.run_id, nik=world.persons[0]["nik"], url=world.url)


def test_a_round_of_sponsors_gives_each_the_run_it_would_have_alone(world: World):
    districts = Counter(
        p["village_code"][:6] for p in world.persons if p["village_code"].startswith(world.regency)
    )
    district = districts.most_common(1)[0][0]
    narrow = {"desil_max": 4, "sex": "F"}
    set_target(principal=world.officer, sponsor=world.sponsor.code, priority=PRIORITY, url=world.url)
    set_target(
        principal=world.officer, sponsor=world.other.code, scope=[district], rule=narrow,
        priority=["younger", "female_head"], url=world.url,
    )  # fmt: skip
    alone = {
        code: service.run_targeting(
            principal=world.officer,
            sponsor=code,
            snapshot=world.snapshot_id,
            start_month=START,
            url=world.url,
        )
        for code in (world.sponsor.code, world.other.code)
    }
    # None: every sponsor the officer can see that has a target (both, in code order).
    together = service.run_round(
        principal=world.officer, sponsors=None, snapshot=world.snapshot_id, start_month=START, url=world.url
    )
    assert [r.sponsor for r in together] == sorted(alone)
    for report in together:
        single = alone[report.sponsor]
        assert report.run_id != single.run_id
        assert (report.in_scope, report.eligible, report.excluded) == (
            single.in_scope, single.eligible, single.excluded,
        )  # fmt: skip
        assert report.output_sha256 == single.output_sha256
        assert _ranked(report, world) == _ranked(single, world)
        assert report.eligible_by_desil == single.eligible_by_desil
        assert service.rerun(principal=world.officer, run_id=report.run_id, url=world.url).identical
    assert alone[world.other.code].in_scope < alone[world.sponsor.code].in_scope
    assert alone[world.other.code].eligible > 0


def test_a_round_names_what_it_cannot_run(world: World):
    with pytest.raises(BadInput, match="at least one sponsor"):
        service.run_round(principal=world.officer, sponsors=[], snapshot=world.snapshot_id, url=world.url)
    # Named explicitly, a sponsor without a target is an error; in "every sponsor" it is left out.
    with pytest.raises(NotFound, match="no target yet"):
        service.run_round(
            principal=world.officer, sponsors=[world.other.code], snapshot=world.snapshot_id, url=world.url
        )
    with pytest.raises(NotFound, match="no sponsor you can see has a target"):
        service.run_round(principal=world.officer, sponsors=None, snapshot=world.snapshot_id, url=world.url)
    set_target(principal=world.officer, sponsor=world.sponsor.code, url=world.url)
    reports = service.run_round(
        principal=world.officer, sponsors=None, snapshot=world.snapshot_id, start_month=START, url=world.url
    )
    assert [r.sponsor for r in reports] == [world.sponsor.code]
