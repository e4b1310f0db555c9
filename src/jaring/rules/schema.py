"""The schema every parameter file is validated against at load time."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from jaring.kit.money import Rounding

Confidence = Literal["A", "B", "C", "U"]
Kind = Literal[
    "amount",  # whole Rupiah
    "rate",  # a percentage string such as "0.24%"
    "integer",  # a count or multiplier (months, × wage)
    "rate_by_key",  # a mapping key → percentage (e.g. JKK rate per risk class)
    "amount_list",  # a list of whole Rupiah amounts (e.g. BPU income levels)
    "integer_list",  # a list of counts (e.g. allowed prepayment periods)
    "records",  # a table whose columns are declared in `fields`
    "choice",  # the name of the formula variant in force
]
FieldType = Literal["amount", "rate", "integer", "text"]


class Reference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    regulation: str = Field(min_length=2)
    article: str = Field(min_length=1)
    published: date | None = Field(description="Publication date; empty where no source gives it")
    checked: date
    source: str = Field(min_length=2, description="Where the value was read")

    @model_validator(mode="after")
    def _checked_after_published(self) -> Reference:
        if self.published is not None and self.checked < self.published:
            raise ValueError("checked date is before the publication date")
        return self


class ValueEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    valid_from: date = Field(alias="from")
    valid_to: date | None = Field(default=None, alias="to")
    value: Any = None
    confidence: Confidence
    reference: Reference
    note: str | None = None
    lower_bound: int | None = Field(
        default=None, description="For an unconfirmed cap: the value is known to be at least this"
    )

    @model_validator(mode="after")
    def _consistent(self) -> ValueEntry:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("'to' must be after 'from' (ranges are half-open [from, to))")
        if self.value is None and self.confidence != "U":
            raise ValueError("only an unconfirmed (U) entry may leave its value empty")
        if self.confidence == "U" and not self.note:
            raise ValueError("an unconfirmed (U) entry needs a note saying what is unknown")
        return self


class ParameterFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")
    label: str = Field(min_length=2, description="Indonesian label shown to officers")
    label_en: str = Field(min_length=2)
    description: str = Field(min_length=2)
    kind: Kind
    rounding: Rounding | None = None
    rounding_note: str | None = None
    keys: list[str] | None = None
    fields: dict[str, FieldType] | None = None
    values: list[ValueEntry] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _ordered_without_overlap(cls, values: list[ValueEntry]) -> list[ValueEntry]:
        for i, (earlier, later) in enumerate(pairwise(values), start=1):
            if later.valid_from <= earlier.valid_from:
                raise ValueError(f"entry {i} starts on or before entry {i - 1}; list them by date")
            if earlier.valid_to is not None and earlier.valid_to > later.valid_from:
                raise ValueError(f"entry {i - 1} overlaps entry {i}")
        return values

    @model_validator(mode="after")
    def _kind_needs(self) -> ParameterFile:
        if self.kind in ("rate", "rate_by_key") and self.rounding is None:
            raise ValueError(f"a {self.kind} parameter must name its rounding")
        if self.kind == "rate_by_key" and not self.keys:
            raise ValueError("a rate_by_key parameter must list its keys")
        if self.kind == "records" and not self.fields:
            raise ValueError("a records parameter must declare its fields")
        return self
