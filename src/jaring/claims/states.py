"""The states of a claim, in the order of its workflow."""

from __future__ import annotations

SUBMITTED = "submitted"
COMPLETE = "documents_complete"
VERIFIED = "verified"
APPROVED = "approved"
PARTLY_PAID = "partly_paid"
PAID = "paid"
REJECTED = "rejected"
STATUSES = (SUBMITTED, COMPLETE, VERIFIED, APPROVED, PARTLY_PAID, PAID, REJECTED)
OPEN = (SUBMITTED, COMPLETE, VERIFIED)
RULES_ACTOR = "jaring:rules"  # who rejects what the rules refuse

LABELS = {
    SUBMITTED: ("diajukan", "submitted"),
    COMPLETE: ("dokumen lengkap", "documents complete"),
    VERIFIED: ("diverifikasi", "verified"),
    APPROVED: ("disetujui", "approved"),
    PARTLY_PAID: ("dibayar sebagian", "partly paid"),
    PAID: ("dibayar", "paid"),
    REJECTED: ("ditolak", "rejected"),
}


def status_label(status: str, language: str) -> str:
    pair = LABELS.get(status, (status, status))
    return pair[1] if language == "en" else pair[0]
