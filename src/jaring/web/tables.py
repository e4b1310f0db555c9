"""Table views: what a page shows as a table it can also hand over as CSV or XLSX (`?export=csv`
or `?export=xlsx` on the same address, so an export holds exactly the rows the page shows, in
the reader's scope). Files carry raw values (integers for Rupiah and counts, ISO dates) under
headers in the reader's language; the page formats them for reading."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from jaring.kit.errors import NotFound
from jaring.web import text
from jaring.web.render import lang_of

Kind = Literal["text", "int", "rupiah", "date", "pct"]
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # a key of web.text
    kind: Kind = "text"
    link: str | None = None  # a URL template over the row, e.g. "/claims/{claim_id}"


@dataclass
class Table:
    name: str  # the file name's stem
    columns: Sequence[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    id: str = "table"

    def cell(self, column: Column, row: dict[str, Any], lang: str) -> str:
        value = row.get(column.key)
        if value is None or value == "":
            return "–"
        if column.kind == "int":
            return text.number(value, lang)
        if column.kind == "rupiah":
            return text.rupiah(value, lang)
        if column.kind == "pct":
            return f"{text.number(value, lang, 1)}%"
        if column.kind == "date" and isinstance(value, date):
            return text.long_date(value, lang)
        return str(value)

    def href(self, column: Column, row: dict[str, Any]) -> str | None:
        return column.link.format(**row) if column.link else None


def wanted_export(request: Request) -> str | None:
    asked = request.query_params.get("export")
    return asked if asked in FORMATS else None


def requested_export(request: Request, tables: Mapping[str, Table], default: str) -> Response | None:
    """The file the address asks for (`?export=csv|xlsx`, `&table=<id>` on a page with several
    tables, `default` without), or None for the page itself; an unknown table is not found."""
    fmt = wanted_export(request)
    if fmt is None:
        return None
    chosen = tables.get(request.query_params.get("table") or default)
    if chosen is None:
        raise NotFound("no such table on this page")
    return export(chosen, fmt, lang_of(request))


def table_links(request: Request, table_id: str | None) -> SimpleNamespace:
    """What `_table.html` reads of the request: the page's query, naming `table_id` (unless
    None: the page's default table), so each table's export links give that table."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("table", "export")]
    if table_id is not None:
        kept.append(("table", table_id))
    return SimpleNamespace(url=SimpleNamespace(query=urlencode(kept)))


def export(table: Table, fmt: str, lang: str) -> Response:
    stamp = date.today().isoformat()
    headers = [text.t(c.label, lang) for c in table.columns]
    rows = [[_raw(row.get(c.key)) for c in table.columns] for row in table.rows]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerows(rows)
        # A byte-order mark so spreadsheet programs read the UTF-8 names right.
        body = ("\ufeff" + buffer.getvalue()).encode("utf-8")
        media = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = _xlsx(table.name, headers, rows)
        media = XLSX_TYPE
    else:
        raise ValueError(f"export format {fmt!r} is not one of {', '.join(FORMATS)}")
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{table.name}-{stamp}.{fmt}"'},
    )


def _raw(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _xlsx(title: str, headers: list[str], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
