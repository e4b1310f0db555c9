"""Sponsor invoices: their numbers and the control-total check.

An invoice's `total` and `members` are control totals written before its charges; the check
recomputes them from the charges that carry the invoice's id. Billing runs it before committing
an invoice, and the ledger check runs it over every invoice afterwards.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import BigInteger, Connection, cast, func, select

from jaring.contributions.model import charges, invoices
from jaring.kit.errors import NotFound
from jaring.kit.periods import Month

NUMBER_LENGTH = 40  # invoices.number


def invoice_number(sponsor_code: str, sponsor_id: int, period: Month) -> str:
    """`INV-<sponsor code>-YYYYMM`; a code too long for the column is replaced by `S<id>`."""
    suffix = f"{period.year:04d}{period.month:02d}"
    number = f"INV-{sponsor_code}-{suffix}"
    return number if len(number) <= NUMBER_LENGTH else f"INV-S{sponsor_id}-{suffix}"


@dataclass(frozen=True)
class InvoiceCheck:
    invoice_id: int
    number: str
    total: int  # as written on the invoice
    members: int
    charged_total: int  # recomputed from its charges
    charged_members: int
    foreign_charges: int  # charges on the invoice for another sponsor or month

    @property
    def ok(self) -> bool:
        return (
            self.total == self.charged_total
            and self.members == self.charged_members
            and self.foreign_charges == 0
        )

    def describe(self) -> str:
        return (
            f"invoice {self.number}: total Rp{self.total} for {self.members} members, "
            f"charges Rp{self.charged_total} for {self.charged_members} members"
            + (
                f", {self.foreign_charges} charges of another sponsor or month"
                if self.foreign_charges
                else ""
            )
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def check_invoice_in(conn: Connection, invoice_id: int) -> InvoiceCheck:
    """Recompute an invoice's control totals from its charges (in the caller's transaction)."""
    invoice = conn.execute(select(invoices).where(invoices.c.id == invoice_id)).first()
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found")
    on_invoice = charges.c.invoice_id == invoice_id
    sums = conn.execute(
        select(func.count(), cast(func.coalesce(func.sum(charges.c.amount), 0), BigInteger)).where(on_invoice)
    ).one()
    foreign = conn.execute(
        select(func.count()).where(
            on_invoice,
            (charges.c.sponsor_id.is_(None))
            | (charges.c.sponsor_id != invoice.sponsor_id)
            | (charges.c.month != invoice.period)
            | (charges.c.payer_kind != "sponsor"),
        )
    ).scalar_one()
    return InvoiceCheck(
        invoice_id=invoice_id,
        number=invoice.number,
        total=int(invoice.total),
        members=int(invoice.members),
        charged_total=int(sums[1]),
        charged_members=int(sums[0]),
        foreign_charges=int(foreign),
    )
