"""Dated parameters: load, validate, and look up what was in force on a date.

Every legal quantity lives in its own YAML file under `parameters/<program>/`.
A value holds on the half-open range [from, to); `to` defaults to the next
entry's `from`, or stays open. Lookups work for one date or for a whole numpy
array of day numbers at once, so a single person and ten million member-months
go through the same code.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import ValidationError

from jaring.kit.money import MoneyError, Rounding, parse_rate, rate_to_ppm
from jaring.kit.periods import day_number, from_day_number
from jaring.rules.errors import NotInForce, ParameterFileError, UnconfirmedValue
from jaring.rules.schema import FieldType, ParameterFile, Reference, ValueEntry

PARAMETERS_DIR = Path(__file__).parent / "parameters"
_OPEN_END = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Entry:
    """One dated value of a parameter, already parsed into engine units."""

    start: date
    end: date | None
    value: Any
    confidence: str
    reference: Reference
    note: str | None
    lower_bound: int | None

    @property
    def unconfirmed(self) -> bool:
        return self.confidence == "U"

    @property
    def known(self) -> bool:
        return self.value is not None

    def cite(self) -> str:
        return f"{self.reference.regulation} {self.reference.article}"

    def span(self) -> str:
        end = f"before {self.end.isoformat()}" if self.end else "onwards"
        return f"from {self.start.isoformat()} {end}"


@dataclass
class Usage:
    """The unconfirmed entries a calculation relied on, so results can say so."""

    allow_unconfirmed: bool = False
    unconfirmed: dict[tuple[str, date], Entry] = field(default_factory=dict)

    def warnings(self, params: Mapping[str, Parameter]) -> list[str]:
        return [
            f"{params[name].label} ({name}) {entry.span()} is unconfirmed: {entry.note}"
            for (name, _), entry in sorted(self.unconfirmed.items())
        ]


class Parameter:
    """A legal quantity with its dated values."""

    def __init__(self, spec: ParameterFile, entries: list[Entry], path: Path) -> None:
        self.spec = spec
        self.path = path
        self.entries = tuple(entries)
        self._starts = np.array([day_number(e.start) for e in entries], dtype=np.int64)
        self._ends = np.array([day_number(e.end) if e.end else _OPEN_END for e in entries], dtype=np.int64)

    name = property(lambda self: self.spec.name)
    label = property(lambda self: self.spec.label)
    kind = property(lambda self: self.spec.kind)

    @property
    def rounding(self) -> Rounding:
        if self.spec.rounding is None:
            raise TypeError(f"{self.name} has no rounding rule")
        return self.spec.rounding

    def in_force(self) -> str:
        """The dates covered, contiguous entries merged: 'from 2015-07-01 onwards'."""
        spans: list[list[date | None]] = []
        for e in self.entries:
            if spans and spans[-1][1] == e.start:
                spans[-1][1] = e.end
            else:
                spans.append([e.start, e.end])
        return "; ".join(
            f"from {start.isoformat() if start else ''} "
            + (f"to {end.isoformat()} (exclusive)" if end else "onwards")
            for start, end in spans
        )

    def find(self, day: date) -> Entry | None:
        number = day_number(day)
        i = int(np.searchsorted(self._starts, number, side="right")) - 1
        if i < 0 or number >= self._ends[i]:
            return None
        return self.entries[i]

    def entry(self, day: date) -> Entry:
        found = self.find(day)
        if found is None:
            raise NotInForce(
                f"{self.label} ({self.name}) is not in force on {day.isoformat()}; "
                f"it is in force {self.in_force()}."
            )
        return found

    def value(self, day: date, usage: Usage) -> Any:
        """The value in force on `day`; refuses unknown or (unless allowed) unconfirmed ones."""
        found = self.entry(day)
        self._check(found, usage)
        return found.value

    def value_or(self, day: date, default: Any, usage: Usage) -> Any:
        found = self.find(day)
        if found is None:
            return default
        self._check(found, usage)
        return found.value

    def _check(self, found: Entry, usage: Usage) -> None:
        if not found.unconfirmed:
            return
        if not found.known:
            raise UnconfirmedValue(
                f"{self.label} ({self.name}) {found.span()} is not known yet: {found.note}"
            )
        if not usage.allow_unconfirmed:
            raise UnconfirmedValue(
                f"{self.label} ({self.name}) {found.span()} is unconfirmed "
                f"(provisional value {found.value}): {found.note} "
                "Re-run with --allow-unconfirmed to use the provisional value."
            )
        usage.unconfirmed[(self.name, found.start)] = found

    def _grid(self, days: Days) -> npt.NDArray[np.int64]:
        """Entry index for every day of the batch's date range (−1: nothing in force)."""
        idx = np.searchsorted(self._starts, days.grid, side="right").astype(np.int64) - 1
        safe = np.maximum(idx, 0)
        return np.where((idx < 0) | (days.grid >= self._ends[safe]), -1, idx)

    def indices(self, days: Days) -> npt.NDArray[np.int64]:
        """Entry index per element, −1 where nothing is in force."""
        return self._grid(days)[days.offsets]

    def in_force_at(self, days: Days) -> npt.NDArray[np.bool_]:
        return (self._grid(days) >= 0)[days.offsets]

    def scalars(
        self,
        days: Days,
        usage: Usage,
        *,
        default: int | None = None,
        mask: npt.NDArray[np.bool_] | None = None,
    ) -> npt.NDArray[np.int64]:
        """Vectorised lookup of an amount, rate (ppm) or integer parameter.

        `mask` limits the check to the rows that actually need the value; rows
        outside it get 0. Rows where nothing is in force get `default`, or fail.
        """
        if self.kind not in ("amount", "rate", "integer"):
            raise TypeError(f"{self.name} is a {self.kind}, not a scalar")
        grid = self._grid(days)
        if default is None:
            self._require(days, grid, mask)
        self._check_rows(days, grid, mask, usage)
        table = np.array(
            [e.value if e.value is not None else 0 for e in self.entries] + [default or 0],
            dtype=np.int64,
        )
        values = table[grid][days.offsets]  # index −1 picks the trailing default
        return values if mask is None else np.where(mask, values, 0)

    def rates(
        self, days: Days, usage: Usage, *, mask: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.int64] | np.int64:
        """Like `scalars`, for a caller that zeroes the rows outside `mask` itself.

        When one value is in force over the whole date range (the usual case for a
        billing run) it comes back as a single number that numpy broadcasts, which
        saves a full pass over the rows.
        """
        grid = self._grid(days)
        if grid.size and (grid == grid[0]).all() and grid[0] >= 0:
            entry = self.entries[int(grid[0])]
            if mask.any():
                self._check(entry, usage)
            return np.int64(entry.value or 0)
        return self.scalars(days, usage, mask=mask)

    def at_rows(self, days: Days, usage: Usage, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Values for the given row positions only (for sparse rows such as relief months)."""
        mask = np.zeros(len(days), dtype=bool)
        mask[rows] = True
        grid = self._grid(days)
        self._require(days, grid, mask)
        self._check_rows(days, grid, mask, usage)
        table = np.array([e.value or 0 for e in self.entries] + [0], dtype=np.int64)
        return table[grid][days.offsets[rows]]

    def keyed(
        self,
        days: Days,
        keys: npt.NDArray[np.int8],
        usage: Usage,
        *,
        mask: npt.NDArray[np.bool_],
    ) -> npt.NDArray[np.int64]:
        """Vectorised lookup of a `rate_by_key` parameter; `keys` index `spec.keys`."""
        if self.kind != "rate_by_key":
            raise TypeError(f"{self.name} is a {self.kind}, not a rate_by_key")
        grid = self._grid(days)
        self._require(days, grid, mask)
        self._check_rows(days, grid, mask, usage)
        names = self.spec.keys or []
        table = np.zeros((len(self.entries) + 1, len(names)), dtype=np.int64)
        for i, entry in enumerate(self.entries):
            if entry.value is not None:
                table[i] = [entry.value[k] for k in names]
        flat = table[grid].ravel()
        width = len(names)
        values = flat[days.offsets * width + np.clip(keys, 0, width - 1)]
        return np.where(mask, values, 0)

    def cap(
        self,
        base: npt.NDArray[np.int64],
        days: Days,
        usage: Usage,
        *,
        mask: npt.NDArray[np.bool_],
    ) -> npt.NDArray[np.int64]:
        """`min(base, cap)` where the cap is this parameter.

        An unconfirmed cap with a known lower bound does not block rows whose base
        is at or below that bound: for them the result is exact whatever the cap.
        """
        grid = self._grid(days)
        self._require(days, grid, mask)
        caps = np.zeros(len(self.entries) + 1, dtype=np.int64)
        for i, entry in enumerate(self.entries):
            caps[i] = entry.value if entry.value is not None else 0
            if not entry.unconfirmed or not (grid == i).any():
                continue
            rows = mask & (grid == i)[days.offsets]
            if not rows.any():
                continue
            if entry.lower_bound is not None and not (rows & (base > entry.lower_bound)).any():
                caps[i] = entry.lower_bound
                continue
            self._check(entry, usage)
        return np.where(mask, np.minimum(base, caps[grid][days.offsets]), 0)

    def _check_rows(
        self,
        days: Days,
        grid: npt.NDArray[np.int64],
        mask: npt.NDArray[np.bool_] | None,
        usage: Usage,
    ) -> None:
        """Refuse (or record) the unconfirmed entries that the rows rely on."""
        for i, entry in enumerate(self.entries):
            if not entry.unconfirmed:
                continue
            hit = grid == i
            if not hit.any():
                continue
            rows = hit[days.offsets]
            if mask is not None:
                rows &= mask
            if rows.any():
                self._check(entry, usage)

    def _require(self, days: Days, grid: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_] | None) -> None:
        missing_grid = grid < 0
        if not missing_grid.any():
            return
        missing = missing_grid[days.offsets]
        if mask is not None:
            missing &= mask
        if missing.any():
            first = from_day_number(int(days.numbers[np.argmax(missing)]))
            count = int(missing.sum())
            raise NotInForce(
                f"{self.label} ({self.name}) is not in force on {first.isoformat()}"
                + (f" ({count} rows)" if count > 1 else "")
                + f"; it is in force {self.in_force()}."
            )


class Days:
    """A column of dates (as day numbers) prepared once for many parameter lookups.

    Each parameter is evaluated on every day of the batch's range (a few thousand
    at most) and gathered per row, instead of searched once per row.
    """

    def __init__(self, numbers: npt.ArrayLike) -> None:
        self.numbers = np.asarray(numbers, dtype=np.int64)
        low = int(self.numbers.min()) if self.numbers.size else 0
        high = int(self.numbers.max()) if self.numbers.size else 0
        if high - low > 200_000:
            raise ValueError("dates in one batch must lie within about 500 years")
        self.grid = np.arange(low, high + 1, dtype=np.int64)
        self.offsets = self.numbers - low

    def __len__(self) -> int:
        return len(self.numbers)


class RuleBook(Mapping[str, Parameter]):
    """All parameters, by name (`<program>.<quantity>`)."""

    def __init__(self, parameters: Iterable[Parameter]) -> None:
        self._params = {p.name: p for p in parameters}

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self._params[name]
        except KeyError:
            raise KeyError(f"no parameter named {name!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._params))

    def __len__(self) -> int:
        return len(self._params)

    @classmethod
    def load(cls, *directories: Path) -> RuleBook:
        """Load every `*.yaml` below the directories; a later directory overrides by name."""
        found: dict[str, Parameter] = {}
        for directory in directories or (PARAMETERS_DIR,):
            for path in sorted(Path(directory).rglob("*.yaml")):
                parameter = load_parameter(path, root=Path(directory))
                found[parameter.name] = parameter
        return cls(found.values())


@cache
def default_rulebook() -> RuleBook:
    """The packaged parameters, plus an operator's overlay in `JARING_RULES_DIR` if set."""
    extra = os.environ.get("JARING_RULES_DIR")
    dirs = [PARAMETERS_DIR] + ([Path(extra)] if extra else [])
    return RuleBook.load(*dirs)


class _DatesAsText(yaml.SafeLoader):
    """Leaves dates as text so that the schema, not the YAML parser, judges them
    and an impossible date is reported with its key."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_parameter(path: Path, *, root: Path | None = None) -> Parameter:
    shown = str(path.relative_to(root.parent)) if root else str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_DatesAsText)
    except yaml.YAMLError as exc:
        raise ParameterFileError(shown, "(file)", f"not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ParameterFileError(shown, "(file)", "expected a mapping at the top level")
    try:
        spec = ParameterFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(file)"
        raise ParameterFileError(shown, key, first["msg"]) from None
    expected = f"{path.parent.name}.{path.stem}"
    if spec.name != expected:
        raise ParameterFileError(shown, "name", f"must be {expected!r} to match the file's place")
    entries = []
    for i, item in enumerate(spec.values):
        try:
            value = None if item.value is None else _parse_value(spec, item.value)
        except (MoneyError, ValueError, TypeError) as exc:
            raise ParameterFileError(shown, f"values.{i}.value", str(exc)) from None
        entries.append(_entry(spec.values, i, item, value))
    return Parameter(spec, entries, path)


def _entry(items: list[ValueEntry], i: int, item: ValueEntry, value: Any) -> Entry:
    end = item.valid_to
    if end is None and i + 1 < len(items):
        end = items[i + 1].valid_from
    return Entry(
        start=item.valid_from,
        end=end,
        value=value,
        confidence=item.confidence,
        reference=item.reference,
        note=item.note,
        lower_bound=item.lower_bound,
    )


def _parse_value(spec: ParameterFile, raw: Any) -> Any:
    kind = spec.kind
    if kind == "amount":
        return _whole(raw, "an amount in whole Rupiah")
    if kind == "integer":
        return _whole(raw, "a whole number")
    if kind == "rate":
        return rate_to_ppm(parse_rate(raw))
    if kind == "choice":
        if not isinstance(raw, str):
            raise ValueError("expected the name of a formula variant")
        return raw
    if kind == "amount_list":
        return tuple(sorted(_whole(v, "an amount in whole Rupiah") for v in _list(raw)))
    if kind == "integer_list":
        return tuple(sorted(_whole(v, "a whole number") for v in _list(raw)))
    if kind == "rate_by_key":
        if not isinstance(raw, dict):
            raise ValueError("expected a mapping of key → rate")
        keys = spec.keys or []
        if sorted(raw) != sorted(keys):
            raise ValueError(f"expected exactly the keys {keys}, got {sorted(raw)}")
        return {k: rate_to_ppm(parse_rate(v)) for k, v in raw.items()}
    if kind == "records":
        fields = spec.fields or {}
        rows = []
        for j, row in enumerate(_list(raw)):
            if not isinstance(row, dict) or sorted(row) != sorted(fields):
                raise ValueError(f"row {j} must have exactly the fields {sorted(fields)}")
            rows.append({k: _field(fields[k], v) for k, v in row.items()})
        return tuple(rows)
    raise ValueError(f"unknown kind {kind}")


def _list(raw: Any) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        raise ValueError("expected a non-empty list")
    return raw


def _whole(raw: Any, what: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValueError(f"expected {what}, got {raw!r}")
    return int(raw)


def _field(kind: FieldType, raw: Any) -> Any:
    if kind == "rate":
        return rate_to_ppm(parse_rate(raw))
    if kind == "text":
        if not isinstance(raw, str):
            raise ValueError(f"expected text, got {raw!r}")
        return raw
    return _whole(raw, "a whole number" if kind == "integer" else "an amount in whole Rupiah")
