"""Text for the PDFs (invoices, member cards): fpdf2's core fonts draw latin-1 only."""

from __future__ import annotations

import unicodedata


def latin1(value: str) -> str:
    """`value` in characters Helvetica can draw: dashes as '-', accents dropped (é → e), the
    rest as '?' rather than an error."""
    dashed = value.replace("—", "-").replace("–", "-")
    folded = unicodedata.normalize("NFKD", dashed)
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return plain.encode("latin-1", "replace").decode("latin-1")
