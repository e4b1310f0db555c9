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
