"""Step 6: one account per role, scoped to the demo's regions, through the accounts service.
The accounts are made last, so they are also the marker that a load finished."""

from __future__ import annotations

from rich.table import Table

from jaring.demo.plan import ACCOUNTS, SPONSORS
from jaring.kit.auth import ROLE_LABELS, Principal
from jaring.kit.errors import NotFound


def create_accounts(principal: Principal) -> str:
    from jaring.accounts.service import create_user
    from jaring.sponsors.service import get_sponsor

    for acc in ACCOUNTS:
        sponsor_id = get_sponsor(principal=principal, code_or_id=acc.sponsor).id if acc.sponsor else None
        create_user(
            principal=principal, username=acc.username, role=acc.role, password=acc.password,
            region_code=None if acc.sponsor else acc.region, sponsor_id=sponsor_id,
        )  # fmt: skip
    return f"{len(ACCOUNTS)} akun, satu per peran"


def state(principal: Principal) -> str:
    """'loaded' when every demo account exists, 'partial' when the demo's sponsors exist
    without them (a load that stopped midway), else 'empty'."""
    from jaring.accounts.service import list_users
    from jaring.sponsors.service import get_sponsor

    names = {user.username for user in list_users(principal=principal)}
    if all(acc.username in names for acc in ACCOUNTS):
        return "loaded"
    try:
        get_sponsor(principal=principal, code_or_id=SPONSORS[0].code)
    except NotFound:
        return "empty"
    return "partial"


def accounts_table(lang: str = "id") -> Table:
    en = lang == "en"
    table = Table(title="Akun demo" if not en else "Demo accounts")
    for header in ("Username", "Password", "Peran" if not en else "Role", "Wilayah" if not en else "Region"):
        table.add_column(header)
    for acc in ACCOUNTS:
        label = ROLE_LABELS[acc.role][1 if en else 0]
        region = acc.region or ("nasional" if not en else "national")
        if acc.sponsor:
            region = f"{region} ({acc.sponsor})"
        table.add_row(acc.username, acc.password, f"{acc.role} — {label}", region)
    return table
