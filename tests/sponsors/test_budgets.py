"""Sponsors' fiscal-year budgets and versioned targets, on both stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from jaring.kit.auth import NATIONAL_ADMIN, REGENCY_OFFICER, SPONSOR_FINANCE, Principal
from jaring.kit.errors import BadInput, Conflict, Forbidden, NotFound
from jaring.kit.periods import Month
from jaring.sponsors import budgets, targets
from jaring.sponsors.service import Sponsor, create_sponsor

ADMIN = Principal("admin", NATIONAL_ADMIN)
MALANG = Principal("rina", REGENCY_OFFICER, region_code="3507")
JAKSEL = Principal("sari", REGENCY_OFFICER, region_code="3174")


@pytest.fixture
def kab(store_url: str, jaring_env: Path) -> Sponsor:
    return create_sponsor(
        principal=ADMIN,
        code="KAB-MALANG",
        name="Pemkab Malang",
        kind="regency",
        region_code="3507",
        url=store_url,
    )


def test_a_budget_covers_its_year_and_the_revision_replaces_it(store_url: str, kab: Sponsor):
    first = budgets.add_budget(
        principal=MALANG, sponsor="KAB-MALANG", fiscal_year=2027, amount=2_016_000_000, document="DPA 1/2027",
        url=store_url,
    )  # fmt: skip
    assert (str(first.from_month), str(first.to_month), first.months) == ("2027-01", "2028-01", 12)
    assert first.to_json()["to_month"] == "2027-12"  # shown as the last funded month
    revised = budgets.add_budget(
        principal=MALANG, sponsor=kab.id, fiscal_year=2027, amount=1_500_000_000, stage="apbd_p",
        first_month=Month(2027, 7), url=store_url,
    )  # fmt: skip
    assert revised.months == 6
    found = budgets.list_budgets(principal=MALANG, sponsor="KAB-MALANG", url=store_url)
    assert [b.stage for b in found] == ["apbd", "apbd_p"]
    allocated = budgets.allocation(found, 2027)
    assert allocated is not None
    assert allocated.amount == 1_500_000_000
    assert budgets.allocation(found, 2026) is None
    with pytest.raises(Conflict, match="apbd_p"):
        budgets.add_budget(principal=MALANG, sponsor="KAB-MALANG", fiscal_year=2027, amount=1, url=store_url)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"fiscal_year": 1999}, "fiscal_year"),
        ({"stage": "apbn"}, "stage"),
        ({"first_month": Month(2026, 12)}, "first_month"),
        ({"first_month": Month(2027, 6), "last_month": Month(2027, 5)}, "last_month"),
        ({"document": "x" * 201}, "document"),
    ],
)
def test_bad_budgets_name_the_field(store_url: str, kab: Sponsor, changes: dict[str, object], field: str):
    values: dict[str, object] = {"sponsor": "KAB-MALANG", "fiscal_year": 2027, "amount": 1_000_000}
    values.update(changes)
    with pytest.raises(BadInput) as bad:
        budgets.add_budget(principal=MALANG, url=store_url, **values)  # type: ignore[arg-type]
    assert bad.value.field == field


def test_budgets_are_scoped_like_their_sponsor(store_url: str, kab: Sponsor):
    with pytest.raises(NotFound, match="KAB-MALANG"):
        budgets.add_budget(principal=JAKSEL, sponsor="KAB-MALANG", fiscal_year=2027, amount=1, url=store_url)
    with pytest.raises(NotFound):
        budgets.list_budgets(principal=JAKSEL, sponsor="KAB-MALANG", url=store_url)
    other = create_sponsor(
        principal=ADMIN, code="DESA-X", name="Desa X", kind="village", region_code="3507", url=store_url
    )
    finance = Principal("fin", SPONSOR_FINANCE, region_code="3507", sponsor_id=other.id)
    with pytest.raises(NotFound):  # a sponsor's finance officer sees only their own sponsor
        budgets.list_budgets(principal=finance, sponsor="KAB-MALANG", url=store_url)
    budgets.add_budget(principal=finance, sponsor="DESA-X", fiscal_year=2027, amount=5_000_000, url=store_url)
    with pytest.raises(Forbidden):
        budgets.add_budget(
            principal=Principal("aud", "auditor"), sponsor="DESA-X", fiscal_year=2027, amount=1, url=store_url
        )


def test_targets_are_versioned_and_scoped_inside_the_sponsor(
    store_url: str, kab: Sponsor, monkeypatch: pytest.MonkeyPatch
):
    with pytest.raises(NotFound, match="no target"):
        targets.get_target(principal=MALANG, sponsor="KAB-MALANG", url=store_url)
    one = targets.set_target(principal=MALANG, sponsor="KAB-MALANG", url=store_url)
    assert (one.version, one.scope, one.rule.desil_max, one.package.programs) == (
        1,
        ("3507",),
        4,
        ("jkk", "jkm"),
    )
    assert one.package.income == 1_000_000  # the lowest level in force (rules file §2.3)
    with pytest.raises(BadInput, match="not a BPU declared income level") as bad:
        targets.set_target(
            principal=MALANG, sponsor="KAB-MALANG", package={"income": 1_500_000}, url=store_url
        )
    assert bad.value.field == "income"
    monkeypatch.setenv("JARING_BPU_INCOME", "any")  # the operator accepts unlisted levels
    two = targets.set_target(
        principal=MALANG, sponsor="KAB-MALANG", scope=["350701", "3507010001", "350702"],
        rule={"desil_max": 2, "sex": "F"}, priority="female_head,desil",
        package={"programs": "jkk,jkm,jht", "income": 1_500_000}, url=store_url,
    )  # fmt: skip
    assert two.version == 2
    assert two.scope == ("350701", "350702")  # a village inside a listed district adds nothing
    assert two.priority == ("female_head", "desil")
    assert two.package.bits == 7
    assert targets.get_target(principal=MALANG, sponsor="KAB-MALANG", url=store_url) == two
    with pytest.raises(BadInput, match="mandatory pair"):
        targets.set_target(
            principal=MALANG, sponsor="KAB-MALANG", package={"programs": ["jkk"]}, url=store_url
        )
    with pytest.raises(BadInput, match="older and younger"):
        targets.set_target(
            principal=MALANG, sponsor="KAB-MALANG", priority=["older", "younger"], url=store_url
        )
    with pytest.raises(BadInput, match="unknown rule field"):
        targets.set_target(principal=MALANG, sponsor="KAB-MALANG", rule={"income_max": 5}, url=store_url)
