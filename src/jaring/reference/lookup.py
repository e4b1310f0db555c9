"""Finding regions: by code (with the chain of regions above it) or by part of the name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, case, func, select

from jaring.kit.db import store
from jaring.kit.errors import BadInput, JaringError, NotFound
from jaring.reference import codes
from jaring.reference.model import LEVELS, regions
from jaring.reference.stats import Stat, region_stats_for

MAX_LIMIT = 500


class RegionsNotLoaded(JaringError):
    """The store holds no regions yet: a setup step, not a missing region."""

    def __init__(self) -> None:
        super().__init__("no regions are loaded in the store yet; run 'jaring reference load' first")


@dataclass(frozen=True)
class Region:
    code: str  # undotted
    level: str
    name: str
    type: str | None
    parent_code: str | None
    province_code: str
    edition: str

    @property
    def dotted(self) -> str:
        return codes.dotted(self.code)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "code_dotted": self.dotted,
            "level": self.level,
            "name": self.name,
            "type": self.type,
            "parent_code": self.parent_code,
            "province_code": self.province_code,
            "edition": self.edition,
        }


@dataclass(frozen=True)
class Located:
    """A region and the regions above it, province first."""

    region: Region
    chain: tuple[Region, ...]

    def to_json(self) -> dict[str, Any]:
        return {**self.region.to_json(), "chain": [r.to_json() for r in self.chain]}


@dataclass(frozen=True)
class RegionDetail(Located):
    child_count: int
    stats: tuple[Stat, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            **super().to_json(),
            "child_count": self.child_count,
            "stats": [s.to_json() for s in self.stats],
        }


_COLUMNS = (
    regions.c.code,
    regions.c.level,
    regions.c.name,
    regions.c.type,
    regions.c.parent_code,
    regions.c.province_code,
    regions.c.edition,
)
_LEVEL_ORDER = case({level: index for index, level in enumerate(LEVELS)}, value=regions.c.level)


def _region(row: Any) -> Region:
    return Region(*row)


def _fetch(connection: Connection, wanted: list[str]) -> dict[str, Region]:
    if not wanted:
        return {}
    query = select(*_COLUMNS).where(regions.c.code.in_(wanted))
    return {row.code: _region(row) for row in connection.execute(query)}


def _ensure_loaded(connection: Connection) -> None:
    if connection.execute(select(regions.c.code).limit(1)).first() is None:
        raise RegionsNotLoaded()


def get_region(code: str, url: str | None = None) -> RegionDetail:
    """One region by its code (dotted or not), with its chain, child count and statistics."""
    plain = codes.undotted(code)
    with store(url).connect() as connection:
        found = _fetch(connection, [plain, *codes.ancestors(plain)])
        if plain not in found:
            _ensure_loaded(connection)
            raise NotFound(f"region {codes.dotted(plain)} does not exist in the loaded edition")
        child_count = connection.execute(
            select(func.count()).select_from(regions).where(regions.c.parent_code == plain)
        ).scalar_one()
    chain = tuple(found[a] for a in codes.ancestors(plain) if a in found)
    return RegionDetail(found[plain], chain, int(child_count), tuple(region_stats_for(plain, url)))


def region(code: str, url: str | None = None) -> Region:
    """One region by its code, without the chain (cheaper than `get_region`)."""
    plain = codes.undotted(code)
    with store(url).connect() as connection:
        found = _fetch(connection, [plain])
        if not found:
            _ensure_loaded(connection)
            raise NotFound(f"region {codes.dotted(plain)} does not exist in the loaded edition")
    return found[plain]


def children(code: str, url: str | None = None) -> list[Region]:
    """The regions directly below one region, by code; empty for a village."""
    plain = codes.undotted(code)
    with store(url).connect() as connection:
        if not _fetch(connection, [plain]):
            _ensure_loaded(connection)
            raise NotFound(f"region {codes.dotted(plain)} does not exist in the loaded edition")
        query = select(*_COLUMNS).where(regions.c.parent_code == plain).order_by(regions.c.code)
        return [_region(row) for row in connection.execute(query)]


def _check(level: str | None, limit: int) -> None:
    if level is not None and level not in LEVELS:
        raise BadInput(f"level {level!r} is not one of {', '.join(LEVELS)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_regions(
    query: str | None, *, level: str | None = None, limit: int = 20, url: str | None = None
) -> list[Located]:
    """Regions whose name contains `query` (case-insensitive), provinces first, then by name.

    Without a query: the regions of `level` (default provinces) by code, e.g. for a picker.
    """
    _check(level, limit)
    key = " ".join((query or "").split()).casefold()
    select_ = select(*_COLUMNS)
    order: list[Any] = [regions.c.code]
    if key:
        select_ = select_.where(regions.c.name_key.like(f"%{_escape_like(key)}%", escape="\\"))
        order = [_LEVEL_ORDER, regions.c.name_key, regions.c.code]
    else:
        level = level or "province"
    if level:
        select_ = select_.where(regions.c.level == level)
    with store(url).connect() as connection:
        found = [_region(row) for row in connection.execute(select_.order_by(*order).limit(limit))]
        if not found:
            _ensure_loaded(connection)
            return []
        above = _fetch(connection, sorted({a for r in found for a in codes.ancestors(r.code)}))
    return [Located(r, tuple(above[a] for a in codes.ancestors(r.code) if a in above)) for r in found]


def provinces(url: str | None = None) -> list[Region]:
    """Every province of the loaded edition, by code."""
    with store(url).connect() as connection:
        _ensure_loaded(connection)
        # By the parent index (provinces have none) rather than scanning every village's level.
        query = (
            select(*_COLUMNS)
            .where(regions.c.parent_code.is_(None), regions.c.level == "province")
            .order_by(regions.c.code)
        )
        return [_region(row) for row in connection.execute(query)]
