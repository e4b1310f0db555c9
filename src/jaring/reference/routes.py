"""`/api/v1/regions`: region lookup over HTTP.

Regions are public reference data, so these routes need no account; region scope comes
with the accounts of a later issue.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from jaring.reference import lookup

router = APIRouter(prefix="/api/v1/regions", tags=["regions"])

Level = Literal["province", "regency", "district", "village"]


class RegionOut(BaseModel):
    code: str = Field(description="Undotted Kemendagri code, e.g. 3174")
    code_dotted: str = Field(description="Dotted form, e.g. 31.74")
    level: Level
    name: str
    type: str | None = Field(description="kab | kota | desa | kelurahan | desa_adat; null above")
    parent_code: str | None
    province_code: str
    edition: str = Field(description="Edition of the region list, e.g. idn-area-data 4.0.1")

    @classmethod
    def of(cls, region: lookup.Region) -> RegionOut:
        return cls.model_validate(region.to_json())


class StatOut(BaseModel):
    indicator: str
    period: str = Field(description="YYYY-MM, or YYYY for a yearly figure")
    value: float
    source: str


class RegionMatchOut(RegionOut):
    chain: list[RegionOut] = Field(description="The regions above, province first")


class RegionDetailOut(RegionMatchOut):
    child_count: int
    stats: list[StatOut] = Field(description="Imported statistics; empty when none are loaded")


class RegionListOut(BaseModel):
    regions: list[RegionMatchOut]


class ChildrenOut(BaseModel):
    parent: RegionOut
    children: list[RegionOut]


def _url(request: Request) -> str | None:
    url: str | None = request.app.state.database_url
    return url


@router.get("", response_model=RegionListOut, summary="Search regions by name")
def search(
    request: Request,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name, any case")] = None,
    level: Annotated[Level | None, Query(description="Only this level (default without q: province)")] = None,
    limit: Annotated[int, Query(ge=1, le=lookup.MAX_LIMIT)] = 20,
) -> RegionListOut:
    found = lookup.search_regions(q, level=level, limit=limit, url=_url(request))
    return RegionListOut(regions=[RegionMatchOut.model_validate(item.to_json()) for item in found])


@router.get("/{code}", response_model=RegionDetailOut, summary="One region with its chain and statistics")
def show(request: Request, code: str) -> RegionDetailOut:
    return RegionDetailOut.model_validate(lookup.get_region(code, _url(request)).to_json())


@router.get("/{code}/children", response_model=ChildrenOut, summary="The regions directly below")
def children(request: Request, code: str) -> ChildrenOut:
    url = _url(request)
    parent = lookup.region(code, url)
    found = lookup.children(parent.code, url)
    return ChildrenOut(parent=RegionOut.of(parent), children=[RegionOut.of(item) for item in found])
