"""Human-readable rendering of a calculation: a small table, amounts as `Rp 1.234.567`."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from jaring.kit.i18n import format_date, t
from jaring.kit.money import format_rupiah
from jaring.rules.calculation import Calculation
from jaring.rules.labels import label

TITLES = {
    "contribution": ("Iuran", "Contribution"),
    "benefit_jkm": ("Manfaat JKM (kematian)", "JKM death benefit"),
    "benefit_jkk_death": (
        "Manfaat JKK: meninggal akibat kecelakaan kerja",
        "JKK work-accident death",
    ),
    "benefit_jkk_disability": ("Manfaat JKK: cacat", "JKK disability"),
    "benefit_stmb": ("Manfaat JKK: STMB", "JKK temporary incapacity (STMB)"),
    "benefit_jkp": ("Manfaat JKP (kehilangan pekerjaan)", "JKP job-loss benefit"),
    "benefit_jht": ("Manfaat JHT", "JHT benefit"),
    "benefit_pmi_jkm": ("Manfaat kematian PMI", "PMI death benefit"),
}


def render(calc: Calculation, console: Console, lang: str) -> None:
    title = TITLES[calc.kind][1 if lang == "en" else 0]
    if calc.kind == "contribution":
        title += f" {str(calc.extras.get('segment', '')).upper()}"
    rules_on = f"{t('rules_date', lang)} {format_date(calc.rules_date, lang)}"
    table = Table(title=f"{title} — {rules_on}", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column(t("component", lang))
    table.add_column(t("amount", lang), justify="right")
    table.add_column(t("reference", lang))
    for line in calc.lines:
        table.add_row(label(line.code, lang), format_rupiah(line.amount), line.reference)
    table.add_section()
    table.add_row(f"[bold]{t('total', lang)}[/bold]", f"[bold]{format_rupiah(calc.total)}[/bold]", "")
    console.print(table)
    for text in _facts(calc, lang):
        console.print(text, highlight=False)
    for warning in calc.warnings:
        console.print(f"[yellow]{t('warning', lang)}:[/yellow] {warning}", highlight=False)
    for note in calc.notes:
        console.print(f"{t('note', lang)}: {note[1] if lang == 'en' else note[0]}", highlight=False)


def _facts(calc: Calculation, lang: str) -> list[str]:
    x = calc.extras
    out: list[str] = []
    if "split" in x:
        payers = [f"{t(k, lang)} {format_rupiah(v)}" for k, v in x["split"].items() if v]
        if payers:
            out.append(f"{t('paid_by', lang)}: " + ", ".join(payers))
    if x.get("deferred"):
        out.append(f"{t('deferred', lang)}: {format_rupiah(x['deferred'])}")
    if "allocation" in x and any(x["allocation"].values()):
        parts = [f"{k} {format_rupiah(v)}" for k, v in x["allocation"].items()]
        out.append(f"{t('allocation', lang)}: " + ", ".join(parts))
    for month in x.get("months", []):
        out.append(f"{t('per_month', lang)} {month['month']}: {format_rupiah(month['total'])}")
    for what, when in x.get("due_dates", {}).items():
        shown = "JKK+JKM" if what == "jkk_jkm" else what.upper() if what != "all" else ""
        out.append(
            f"{t('due', lang)} {shown}: {format_date(date.fromisoformat(when), lang)}".replace(" :", ":")
        )
    if x.get("entitled") is False:
        out.append(f"[red]{t('not_entitled', lang)}[/red]: {x.get('reason', '')}")
    elif "payable_now" in x and x["payable_now"] != calc.total:
        out.append(f"{t('payable_now', lang)}: {format_rupiah(x['payable_now'])}")
    if "scholarship" in x:
        out.append(_scholarship(x["scholarship"], lang))
    for key in ("claim_deadline", "payable_from"):
        if key in x:
            out.append(f"{t(key, lang)}: {format_date(date.fromisoformat(x[key]), lang)}")
    return out


def _scholarship(s: dict[str, Any], lang: str) -> str:
    eligible = {True: t("yes", lang), False: t("no", lang), None: t("unknown", lang)}[s["eligible"]]
    levels = ", ".join(
        f"{row['level']} {format_rupiah(row['amount_per_year'])} × {row['years']}" for row in s["levels"]
    )
    return (
        f"{t('scholarship', lang)}: {t('eligible', lang)}: {eligible}; "
        f"maks. {s['children_max']} × {format_rupiah(s['per_child_max'])} = "
        f"{format_rupiah(s['max_total'])} ({levels}) — {s['reference']}"
    )
