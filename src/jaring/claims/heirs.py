"""Heirs in statutory order (PP 44/2015 Art. 37(5), 40(2); PP 46/2015 Art. 23): a claim by heirs
is made by the first class that has anyone in it.

    1. widow or widower, children
    2. blood relatives up to the second degree, up and down (parents, grandchildren, grandparents)
    3. siblings
    4. parents-in-law
    5. the one named in a will

When there is no heir at all, whoever handled the funeral receives the funeral cost only (PP
82/2019 Art. 34).
"""

from __future__ import annotations

from typing import Any

from jaring.kit.errors import BadInput

CLASSES: dict[str, int] = {
    "spouse": 1,
    "child": 1,
    "parent": 2,
    "grandchild": 2,
    "grandparent": 2,
    "sibling": 3,
    "parent_in_law": 4,
    "testamentary": 5,
}
FUNERAL_HANDLER = "funeral_handler"
RELATIONSHIPS = (*CLASSES, FUNERAL_HANDLER)
MAX_HEIRS = 30


def _relationship(value: Any, field: str) -> str:
    text = str(value or "").strip().lower()
    if text not in RELATIONSHIPS:
        raise BadInput(f"relationship must be one of {', '.join(RELATIONSHIPS)}", field=field)
    return text


def read_claimant(raw: dict[str, Any] | None) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise BadInput("a claim by heirs names its claimant: relationship and name", field="claimant")
    relationship = _relationship(raw.get("relationship"), "claimant.relationship")
    name = str(raw.get("name") or "").strip()
    if not 2 <= len(name) <= 200 or any(ord(c) < 32 for c in name):
        raise BadInput("the claimant's name must be 2 to 200 printable characters", field="claimant.name")
    return {"relationship": relationship, "name": name}


def read_heirs(raw: list[Any] | None) -> list[str]:
    """The relationships of every known heir (the claimant included or not)."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_HEIRS:
        raise BadInput(f"heirs is a list of at most {MAX_HEIRS} relationships", field="heirs")
    return [_relationship(value, f"heirs[{i}]") for i, value in enumerate(raw)]


def check_order(claimant: str, heirs: list[str]) -> bool:
    """Whether the claimant may claim before everyone listed; raises BadInput naming the heir
    who comes first. Returns True when only the funeral cost may be paid (no heir at all)."""
    present = [CLASSES[h] for h in heirs if h in CLASSES]
    if claimant == FUNERAL_HANDLER:
        if present:
            first = min(present)
            named = ", ".join(sorted({h for h in heirs if CLASSES.get(h) == first}))
            raise BadInput(
                f"heirs are listed ({named}); whoever handled the funeral claims only when there is "
                "no heir (PP 82/2019 Art. 34)",
                field="claimant.relationship",
            )
        return True
    own = CLASSES[claimant]
    if present and min(present) < own:
        first = min(present)
        named = ", ".join(sorted({h for h in heirs if CLASSES[h] == first}))
        raise BadInput(
            f"heir out of order: a {claimant} (class {own}) cannot claim while a {named} (class {first}) "
            "is listed; the statutory order is widow/widower and children, then parents, grandchildren "
            "and grandparents, then siblings, then parents-in-law, then a testamentary heir "
            "(PP 44/2015 Art. 37(5))",
            field="claimant.relationship",
        )
    return False
