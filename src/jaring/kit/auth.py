"""Who is acting, what their role allows, and which regions they may see.

A `Principal` travels from the API (or CLI) into every service call. Region scope is a
prefix of the undotted Kemendagri code: a province officer for "35" sees every record whose
region code starts with "35". Scope fails closed: a missing principal is an error, and a
scoped role without a region sees nothing.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ColumnElement, false, true

from jaring.kit.errors import Forbidden, NotFound

NATIONAL_ADMIN: Final = "national_admin"
PROVINCE_OFFICER: Final = "province_officer"
REGENCY_OFFICER: Final = "regency_officer"
SPONSOR_FINANCE: Final = "sponsor_finance"
CLAIMS_OFFICER: Final = "claims_officer"
CLAIMS_SUPERVISOR: Final = "claims_supervisor"
AUDITOR: Final = "auditor"
MEMBER: Final = "member"

ROLES: Final = (
    NATIONAL_ADMIN,
    PROVINCE_OFFICER,
    REGENCY_OFFICER,
    SPONSOR_FINANCE,
    CLAIMS_OFFICER,
    CLAIMS_SUPERVISOR,
    AUDITOR,
    MEMBER,
)
ROLE_LABELS: Final = {
    NATIONAL_ADMIN: ("Admin nasional", "National admin"),
    PROVINCE_OFFICER: ("Petugas provinsi", "Province officer"),
    REGENCY_OFFICER: ("Petugas kabupaten/kota", "Regency officer"),
    SPONSOR_FINANCE: ("Petugas keuangan pemberi dana", "Sponsor finance officer"),
    CLAIMS_OFFICER: ("Petugas klaim", "Claims officer"),
    CLAIMS_SUPERVISOR: ("Supervisor klaim", "Claims supervisor"),
    AUDITOR: ("Auditor (hanya baca)", "Auditor (read-only)"),
    MEMBER: ("Peserta", "Member"),
}
# The length of the region code each scoped role is bound to.
REGION_LENGTH: Final = {PROVINCE_OFFICER: 2, REGENCY_OFFICER: 4}

# Permission → roles holding it. Reads of scoped data additionally pass the region filter.
PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    "member.read": frozenset(
        {NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER, SPONSOR_FINANCE, CLAIMS_OFFICER,
         CLAIMS_SUPERVISOR, AUDITOR, MEMBER}
    ),
    "member.enrol": frozenset({NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER}),
    "member.change": frozenset({NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER}),
    # Seeing a full NIK is needed to verify identity at enrolment and for claims; it is audited.
    "member.unmask": frozenset({NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER, CLAIMS_OFFICER,
                                CLAIMS_SUPERVISOR}),
    "payer.assign": frozenset({NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER, SPONSOR_FINANCE}),
    "billing.read": frozenset(
        {NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER, SPONSOR_FINANCE, AUDITOR, MEMBER}
    ),
    "billing.run": frozenset({NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER}),
    "billing.prepay": frozenset({NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER, MEMBER}),
    "payment.read": frozenset(
        {NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER, SPONSOR_FINANCE, AUDITOR, MEMBER}
    ),
    "payment.reverse": frozenset({NATIONAL_ADMIN}),
    "payment.reconcile": frozenset({NATIONAL_ADMIN}),
    "coverage.read": frozenset(
        {NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER, SPONSOR_FINANCE, CLAIMS_OFFICER,
         CLAIMS_SUPERVISOR, AUDITOR, MEMBER}
    ),
    # Budgets, targets and targeting runs of sponsors; a sponsor's finance officer only its own.
    "sponsor.read": frozenset({NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER, SPONSOR_FINANCE, AUDITOR}),
    "sponsor.manage": frozenset({NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER, SPONSOR_FINANCE}),
    "targeting.run": frozenset({NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER, SPONSOR_FINANCE}),
    # Claims: officers file and verify, a supervisor who did not verify approves and pays
    # (maker-checker); members follow their own claims and report their own accidents.
    "claim.read": frozenset(
        {NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER, CLAIMS_OFFICER, CLAIMS_SUPERVISOR, AUDITOR,
         MEMBER}
    ),
    "claim.report": frozenset(
        {NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER, CLAIMS_OFFICER, CLAIMS_SUPERVISOR, MEMBER}
    ),
    "claim.file": frozenset({NATIONAL_ADMIN, CLAIMS_OFFICER, CLAIMS_SUPERVISOR}),
    "claim.verify": frozenset({NATIONAL_ADMIN, CLAIMS_OFFICER, CLAIMS_SUPERVISOR}),
    "claim.approve": frozenset({NATIONAL_ADMIN, CLAIMS_SUPERVISOR}),
    "claim.pay": frozenset({NATIONAL_ADMIN, CLAIMS_SUPERVISOR}),
    # Coverage monitoring of a region (dashboards, reports); a sponsor sees its own region.
    "monitoring.read": frozenset(
        {NATIONAL_ADMIN, PROVINCE_OFFICER, REGENCY_OFFICER, SPONSOR_FINANCE, CLAIMS_OFFICER,
         CLAIMS_SUPERVISOR, AUDITOR}
    ),
    "audit.read": frozenset({NATIONAL_ADMIN, AUDITOR}),
    "user.manage": frozenset({NATIONAL_ADMIN}),
}  # fmt: skip


@dataclass(frozen=True)
class Principal:
    """The acting user. `region_code` None means national for national roles and nothing at
    all for scoped ones; a member acts only on `member_id`."""

    username: str
    role: str
    region_code: str | None = None
    user_id: int | None = None
    member_id: int | None = None
    sponsor_id: int | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role {self.role!r} is not known; roles are {', '.join(ROLES)}")

    @property
    def actor(self) -> str:
        """How the audit trail names this principal."""
        return f"{self.role}:{self.username}"

    @property
    def national(self) -> bool:
        # An auditor or admin without a region sees the whole country; every other role
        # without a region sees nothing.
        return self.role in (NATIONAL_ADMIN, AUDITOR) and self.region_code is None

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


def system(purpose: str = "cli") -> Principal:
    """The operator at the server's console (the CLI): national, named after the OS user."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Principal(username=f"{purpose}:{who}", role=NATIONAL_ADMIN)


def require(principal: Principal | None, permission: str) -> Principal:
    """The principal, if its role holds `permission`; fails closed on a missing principal."""
    if principal is None:
        raise RuntimeError("no principal: every use of scoped data names who is acting")
    if not principal.may(permission):
        raise Forbidden(f"your role ({principal.role}) may not do this ({permission})")
    return principal


def region_filter(principal: Principal | None, column: Any) -> ColumnElement[bool]:
    """A WHERE clause limiting `column` (an undotted region code) to the principal's scope."""
    if principal is None:
        raise RuntimeError("no principal: a scoped query needs to know who is asking")
    if principal.national:
        return true()
    if principal.role == MEMBER or principal.region_code is None:
        # Members are limited by member id in the repositories, never by region.
        return false()
    return column.startswith(principal.region_code, autoescape=True)  # type: ignore[no-any-return]


def in_scope(principal: Principal | None, region_code: str | None) -> bool:
    if principal is None:
        raise RuntimeError("no principal: a scoped check needs to know who is asking")
    if principal.national:
        return True
    if principal.role == MEMBER or principal.region_code is None or region_code is None:
        return False
    return region_code.startswith(principal.region_code)


def check_region(principal: Principal, region_code: str | None, what: str = "record") -> None:
    """Refuse a record outside the principal's scope exactly as if it did not exist."""
    if not in_scope(principal, region_code):
        raise NotFound(f"{what} not found")
