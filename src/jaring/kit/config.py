"""Settings read from the environment, each with a documented default."""

from __future__ import annotations

import os
from datetime import date
from functools import cache
from pathlib import Path

from jaring.kit.periods import parse_date


def bpu_income_mode() -> str:
    """`listed` (default): a BPU income must be a transcribed Lampiran II level.
    `any`: accept any income of at least the lowest level, until the list is transcribed."""
    mode = os.environ.get("JARING_BPU_INCOME", "listed").strip().lower()
    if mode not in ("listed", "any"):
        raise ValueError(f"JARING_BPU_INCOME must be 'listed' or 'any', got {mode!r}")
    return mode


def allow_unconfirmed() -> bool:
    return os.environ.get("JARING_ALLOW_UNCONFIRMED", "").strip().lower() in ("1", "true", "yes")


@cache
def holidays() -> frozenset[date]:
    """National holidays from `JARING_HOLIDAYS` (one YYYY-MM-DD per line, `#` comments).

    Without the file only weekends move a due date; the official calendar (SKB
    tiga menteri) changes every year and is the operator's to provide.
    """
    path = os.environ.get("JARING_HOLIDAYS")
    if not path:
        return frozenset()
    days = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            days.add(parse_date(text))
    return frozenset(days)
