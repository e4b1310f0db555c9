"""`jaring rules show`: what is in force, with references and confidence."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from jaring.kit.i18n import t
from jaring.kit.money import format_rate, format_rupiah
from jaring.rules.engine import Entry, Parameter, default_rulebook
from jaring.rules.errors import InvalidInput

CONFIDENCE = {
    "A": "A (teks peraturan)",
    "B": "B (pernyataan resmi)",
    "C": "C (satu sumber sekunder)",
    "U": "U (belum terkonfirmasi)",
}


def format_value(param: Parameter, value: Any) -> str:
    if value is None:
        return "—"
    kind = param.kind
    if kind == "amount":
        return format_rupiah(value)
    if kind == "rate":
        return format_rate(value)
    if kind == "rate_by_key":
        return ", ".join(f"{k} {format_rate(v)}" for k, v in value.items())
    if kind == "amount_list":
        return ", ".join(format_rupiah(v) for v in value)
    if kind == "integer_list":
        return ", ".join(map(str, value))
    if kind == "records":
        fields = param.spec.fields or {}
        rows = []
        for row in value:
            cells = []
            for key, field_type in fields.items():
                cell = row[key]
                shown = (
                    format_rupiah(cell)
                    if field_type == "amount"
                    else format_rate(cell)
                    if field_type == "rate"
                    else str(cell)
                )
                cells.append(f"{key}={shown}")
            rows.append(" ".join(cells))
        return "; ".join(rows)
    return str(value)


def _entry_json(param: Parameter, entry: Entry) -> dict[str, Any]:
    return {
        "from": entry.start.isoformat(),
        "to": entry.end.isoformat() if entry.end else None,
        "value": format_value(param, entry.value) if entry.value is not None else None,
        "confidence": entry.confidence,
        "reference": entry.reference.model_dump(mode="json"),
        "note": entry.note,
    }


def show_all(day: date, as_json: bool, lang: str, console: Console) -> None:
    book = default_rulebook()
    rows = []
    for name in book:
        param = book[name]
        entry = param.find(day)
        rows.append((param, entry))
    if as_json:
        out = [
            {
                "name": p.name,
                "label": p.label if lang == "id" else p.spec.label_en,
                "in_force": _entry_json(p, e) if e else None,
            }
            for p, e in rows
        ]
        print(json.dumps({"date": day.isoformat(), "parameters": out}, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Parameter per {day.isoformat()}", box=box.SIMPLE_HEAD, title_justify="left")
    for column in (
        "Parameter",
        "Nilai" if lang == "id" else "Value",
        "Conf.",
        t("reference", lang),
    ):
        table.add_column(column)
    for param, entry in rows:
        label = param.label if lang == "id" else param.spec.label_en
        if entry is None:
            table.add_row(
                f"{param.name}\n{label}",
                "(tidak berlaku)" if lang == "id" else "(not in force)",
                "",
                "",
            )
        else:
            table.add_row(
                f"{param.name}\n{label}",
                format_value(param, entry.value),
                entry.confidence,
                entry.cite(),
            )
    console.print(table)


def show_one(name: str, day: date, as_json: bool, lang: str, console: Console) -> None:
    book = default_rulebook()
    if name not in book:
        close = [n for n in book if name.split(".")[-1] in n]
        hint = f"; did you mean {', '.join(close[:5])}" if close else ""
        raise InvalidInput(f"no parameter named {name!r}{hint} (run 'jaring rules show' for the list)")
    param = book[name]
    current = param.find(day)
    if as_json:
        print(
            json.dumps(
                {
                    "name": param.name,
                    "label": param.label,
                    "label_en": param.spec.label_en,
                    "description": param.spec.description,
                    "kind": param.kind,
                    "rounding": param.spec.rounding.value if param.spec.rounding else None,
                    "rounding_note": param.spec.rounding_note,
                    "date": day.isoformat(),
                    "in_force": _entry_json(param, current) if current else None,
                    "history": [_entry_json(param, e) for e in param.entries],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    label = param.label if lang == "id" else param.spec.label_en
    console.print(f"[bold]{param.name}[/bold] — {label}", highlight=False)
    console.print(param.spec.description, highlight=False)
    if param.spec.rounding:
        console.print(
            f"Pembulatan: {param.spec.rounding.value}. {param.spec.rounding_note or ''}",
            highlight=False,
        )
    table = Table(box=box.SIMPLE_HEAD)
    for column in (
        "Berlaku",
        "Nilai",
        "Conf.",
        "Dasar hukum",
        "Terbit",
        "Dicek",
        "Sumber / catatan",
    ):
        table.add_column(column)
    for entry in param.entries:
        marker = "▶ " if entry is current else ""
        end = entry.end.isoformat() if entry.end else "…"
        ref = entry.reference
        table.add_row(
            f"{marker}{entry.start.isoformat()} – {end}",
            format_value(param, entry.value),
            CONFIDENCE[entry.confidence],
            entry.cite(),
            ref.published.isoformat() if ref.published else "—",
            ref.checked.isoformat(),
            ref.source + (f"\n{entry.note}" if entry.note else ""),
        )
    console.print(table)
    if current is None:
        console.print(f"Tidak berlaku pada {day.isoformat()}.", highlight=False)
