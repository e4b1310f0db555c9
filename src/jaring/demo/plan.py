"""What the demo world is made of: the provinces, the sponsors, the self-payers' habits, the
accounts, and the twelve months it plays out over. Data only; the steps read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from jaring.kit.auth import (
    AUDITOR,
    CLAIMS_OFFICER,
    CLAIMS_SUPERVISOR,
    NATIONAL_ADMIN,
    PROVINCE_OFFICER,
    REGENCY_OFFICER,
    SPONSOR_FINANCE,
    Principal,
)
from jaring.kit.periods import Month

# Jawa Timur, Jawa Tengah, NTB and Sulawesi Selatan: four provinces keep the registry small
# enough to load in minutes while the map still shows regions that differ.
PROVINCES = ("35", "33", "52", "73")
DEFAULT_PERSONS = 500_000
MONTHS = 12
CHANNEL = "BANK-DEMO"
# A person-month of JKK + JKM at the lowest declared income, paid from a regional budget.
APBD_MONTH = 16_800


@dataclass(frozen=True)
class Timeline:
    """Twelve months ending with the current one: enrolment at the start, a billing run and
    the payments in each month, claims in the last ones. The current month is billed and paid
    too, so that after its due date (the 15th) the members who pay are still active."""

    today: date

    @property
    def first(self) -> Month:
        return Month.of(self.today).plus(1 - MONTHS)

    @property
    def months(self) -> list[Month]:
        return [self.first.plus(i) for i in range(MONTHS)]

    @property
    def snapshot_date(self) -> date:
        # The registry edition the sponsors targeted: the day before funding began.
        return self.first.first_day - timedelta(days=1)


@dataclass(frozen=True)
class SponsorPlan:
    code: str
    name: str
    kind: str
    region: str
    funded: int  # persons funded at 500,000 registry persons; scaled with the registry
    months: int  # funded months from the first demo month
    rule: dict[str, Any]
    priority: tuple[str, ...] = ("desil", "hazard", "female_head", "older")
    unpaid_last: int = 0  # invoices of the last months left unpaid: its members fall behind

    def funded_at(self, persons: int) -> int:
        return max(20, self.funded * persons // DEFAULT_PERSONS)


SPONSORS = (
    SponsorPlan(
        "PROV-JATIM", "Pemerintah Provinsi Jawa Timur", "province", "35", 14_000, 25,
        {"desil_max": 2},
    ),
    SponsorPlan(
        "KAB-MALANG", "Pemerintah Kabupaten Malang", "regency", "3507", 3_000, 25,
        {"desil_max": 4, "occupations": ["farmer", "farm_labourer", "livestock_keeper"]},
        ("hazard", "desil", "older"),
    ),
    SponsorPlan(
        "KAB-LOTIM", "Pemerintah Kabupaten Lombok Timur", "regency", "5203", 2_500, 25,
        {"desil_max": 3}, ("desil", "female_head", "older"),
    ),
    # Tobacco excise sharing (DBH CHT) funds tobacco-growing workers; its programme ends
    # with next month, so its cliff shows on the dashboard and in `sponsors cliffs`.
    SponsorPlan(
        "DBHCHT-KUDUS", "DBH CHT Kabupaten Kudus", "dbh_cht", "3319", 1_500, 13,
        {"desil_max": 5, "occupations": ["farmer", "farm_labourer"]}, ("hazard", "desil"),
    ),
    # A company's CSR programme that stopped paying its last two invoices.
    SponsorPlan(
        "CSR-NUSANTARA", "PT Nusantara Sejahtera (CSR)", "csr", "7371", 1_000, 25,
        {"desil_max": 4, "employment": "any_working"}, ("desil", "younger"), unpaid_last=2,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Habit:
    """How a group of self-payers pays: in which demo months (0-11) they pay, each time for
    the months billed since their last payment."""

    name: str
    share: int  # out of 20
    pay_in: tuple[int, ...]


# Most pay every six months (the last time this month); some stopped two months ago (1-2
# months in arrears today, whatever the day); some after the first four months (lapsed); a
# few registered and never paid. Few payments each: every one goes through the whole
# payment path (allocation, accounts, audit). Month 11 is the current month.
HABITS = (
    Habit("paid_up", 13, (5, 11)),
    Habit("arrears", 3, (5, 9)),
    Habit("lapsed", 3, (3,)),
    Habit("never_paid", 1, ()),
)
SELF_PAYERS = 500  # at 500,000 registry persons
JHT_SAVERS = 100  # self-payers in Jawa Timur who also save for old age (JHT)


def habit_of(serial: int) -> Habit:
    slot = serial % 20
    for habit in HABITS:
        if slot < habit.share:
            return habit
        slot -= habit.share
    raise AssertionError("the shares add up to 20")


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    region: str | None
    password: str
    sponsor: str | None = None  # a sponsor's finance officer is bound to that sponsor
    note: str = ""

    def principal(self) -> Principal:
        return Principal(self.username, self.role, region_code=self.region)


ACCOUNTS = (
    Account("admin", NATIONAL_ADMIN, None, "admin-demo-2026"),
    Account("jatim", PROVINCE_OFFICER, "35", "jatim-demo-2026"),
    Account("malang", REGENCY_OFFICER, "3507", "malang-demo-2026"),
    Account("keuangan", SPONSOR_FINANCE, "3507", "keuangan-demo-2026", sponsor="KAB-MALANG"),
    Account("klaim", CLAIMS_OFFICER, "35", "klaim-demo-2026"),
    Account("supervisor", CLAIMS_SUPERVISOR, "35", "supervisor-demo-2026"),
    Account("auditor", AUDITOR, None, "auditor-demo-2026"),
)


def account(role: str) -> Account:
    return next(a for a in ACCOUNTS if a.role == role)


@dataclass
class Loaded:
    """What the steps hand to one another."""

    persons: int
    seed: int
    timeline: Timeline
    snapshot_id: str = ""
    extract: str = ""
    sponsor_members: dict[str, list[str]] = field(default_factory=dict)  # code → participant numbers
    self_payers: list[str] = field(default_factory=list)
    jht_savers: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
