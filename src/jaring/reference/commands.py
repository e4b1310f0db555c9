"""CLI: `jaring reference load|status` and `jaring region show|children`.

The heavy modules (SQLAlchemy, the loaders) are imported inside the commands so that
`jaring --help` and the calculators stay quick to start.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jaring.kit.i18n import language

if TYPE_CHECKING:
    from jaring.reference.load import LoadResult, RegionsResult, Status
    from jaring.reference.lookup import Located, Region, RegionDetail
    from jaring.reference.stats import ImportResult
    from jaring.reference.stats import Progress as ProgressFn

LEVELS = ("province", "regency", "district", "village")

_TEXT: dict[str, tuple[str, str]] = {
    "province": ("Provinsi", "Province"),
    "regency": ("Kabupaten/Kota", "Regency/city"),
    "district": ("Kecamatan", "District"),
    "village": ("Desa/Kelurahan", "Village"),
    "kab": ("kabupaten", "regency"),
    "kota": ("kota", "city"),
    "kab_n": ("kabupaten", "regencies"),
    "kota_n": ("kota", "cities"),
    "desa": ("desa", "desa"),
    "kelurahan": ("kelurahan", "kelurahan"),
    "desa_adat": ("desa adat", "desa adat"),
    "desa_n": ("desa", "desa"),
    "kelurahan_n": ("kelurahan", "kelurahan"),
    "desa_adat_n": ("desa adat", "desa adat"),
    "level": ("Tingkat", "Level"),
    "count": ("Jumlah", "Count"),
    "detail": ("Rincian", "Breakdown"),
    "code": ("Kode", "Code"),
    "name": ("Nama", "Name"),
    "type": ("Jenis", "Type"),
    "above": ("Wilayah induk", "Part of"),
    "file": ("Berkas", "File"),
    "status": ("Status", "Status"),
    "values": ("Nilai", "Values"),
    "for": ("Dipakai untuk", "Used for"),
    "indicator": ("Indikator", "Indicator"),
    "period": ("Periode", "Period"),
    "value": ("Nilai", "Value"),
    "regions": ("Wilayah", "Regions"),
    "source": ("Sumber", "Source"),
    "loaded": ("dimuat", "loaded"),
    "imported": ("dimuat", "imported"),
    "unchanged": ("tidak berubah", "unchanged"),
    "missing": ("tidak ada", "missing"),
    "not_per_region": ("angka nasional, tidak dimuat", "national figures, not imported"),
    "unrecognised": ("tidak dikenali, dilewati", "not recognised, skipped"),
    "weights": ("bobot wilayah & tingkat cakupan", "regional weights & coverage rates"),
    "targeting": ("konteks kemiskinan untuk penargetan", "poverty context for targeting"),
    "welfare": ("profil kesejahteraan & ketenagakerjaan", "welfare & labour profile"),
    "baseline": ("data dasar kepesertaan BPJS Ketenagakerjaan", "BPJS Ketenagakerjaan baseline"),
    "maps": ("peta koroplet (tanpa ini: peta petak)", "choropleth maps (without: tile-grid map)"),
    "title_regions": ("Wilayah administrasi", "Administrative regions"),
    "title_reference": ("Statistik dan batas wilayah", "Statistics and boundaries"),
    "title_matches": ("Wilayah yang cocok", "Matching regions"),
    "title_stats": ("Statistik", "Statistics"),
    "title_chain": ("Rantai wilayah", "Region chain"),
    "title_children": ("Wilayah bawahan", "Regions below"),
    "children": ("Jumlah wilayah bawahan", "Regions directly below"),
    "unknown_codes": ("kode wilayah tidak dikenal, dilewati", "unknown region codes, skipped"),
    "examples": ("contoh", "e.g."),
    "empty": ("sel kosong dilewati", "empty cells skipped"),
    "not_loaded_feature": ("Tidak tersedia", "Not available"),
    "skipped_stats": (
        "Statistik dan batas wilayah tidak dimuat (--no-stats)",
        "Statistics and boundaries not imported (--no-stats)",
    ),
    "loads": ("Pemuatan terakhir", "Latest loads"),
    "kind": ("Jenis", "Kind"),
    "when": ("Waktu (UTC)", "When (UTC)"),
    "rows": ("Baris", "Rows"),
    "boundaries": ("Batas wilayah", "Boundaries"),
    "none": ("belum ada", "none yet"),
    "more": (
        "mungkin ada lebih banyak; persempit dengan --level atau naikkan --limit",
        "there may be more; narrow with --level or raise --limit",
    ),
}


def _t(key: str, lang: str) -> str:
    pair = _TEXT.get(key, (key, key))
    return pair[1] if lang == "en" else pair[0]


def _n(value: float, lang: str) -> str:
    """Thousands grouped the way the reader expects: 83.762 (id) or 83,762 (en)."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    if lang == "en":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, width=None if stream.isatty() else 140, soft_wrap=False)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
lang_option = click.option(
    "--lang", type=click.Choice(["id", "en"]), default=None, help="Language (default: JARING_LANG or id)."
)


# ------------------------------------------------------------------ jaring reference


@click.group()
def reference() -> None:
    """Reference data: regions (idn-area-data), statistics and map boundaries."""


@contextmanager
def _progress() -> Iterator[ProgressFn | None]:
    # A bar only for a person watching; logs and pipes get the summary alone.
    if not sys.stderr.isatty():
        yield None
        return
    bar = Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console(stderr=True),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def report(what: str, done: int, total: int) -> None:
        if what not in tasks:
            tasks[what] = bar.add_task(what, total=total)
        bar.update(tasks[what], completed=done, total=total)

    with bar:
        yield report


@reference.command("load")
@click.option(
    "--stats/--no-stats",
    "with_stats",
    default=True,
    help="Also import statistics and boundaries from the reference folder (default on).",
)
@json_option
@lang_option
def reference_load(with_stats: bool, as_json: bool, lang: str | None) -> None:
    """Load regions from idn-area-data, then statistics and boundaries (missing files are fine)."""
    from jaring.reference.load import load_all

    with _progress() as progress:
        result = load_all(with_stats=with_stats, progress=progress)
    if as_json:
        _echo_json(result.to_json())
        return
    _print_load(result, lang or language())


def _print_load(result: LoadResult, lang: str) -> None:
    console = _console()
    console.print(_regions_table(result.regions, lang))
    if result.stats is None or result.boundaries is None:
        console.print(_t("skipped_stats", lang))
        return
    console.print(_reference_table(result.stats, result.boundaries, lang))
    for line in _notes(result.stats, result.boundaries, lang):
        console.print(line, highlight=False)


def _regions_table(result: RegionsResult, lang: str) -> Table:
    status = _t(result.status, lang)
    table = Table(title=f"{_t('title_regions', lang)}: {result.edition} ({status})", title_justify="left")
    for key in ("level", "count", "detail"):
        table.add_column(_t(key, lang), justify="right" if key == "count" else "left")
    breakdown = {"regency": ("kab", "kota"), "village": ("desa", "kelurahan", "desa_adat")}
    for level in LEVELS:
        parts = [f"{_n(result.types.get(t, 0), lang)} {_t(f'{t}_n', lang)}" for t in breakdown.get(level, ())]
        table.add_row(_t(level, lang), _n(result.counts.get(level, 0), lang), ", ".join(parts))
    return table


def _reference_table(stats: ImportResult, boundaries: ImportResult, lang: str) -> Table:
    table = Table(title=f"{_t('title_reference', lang)} ({_t(stats.status, lang)})", title_justify="left")
    for key in ("file", "status", "values", "for"):
        table.add_column(_t(key, lang), justify="right" if key == "values" else "left")
    for folder, result in (("stats", stats), ("geo", boundaries)):
        for report in result.files:
            values = _n(report.values, lang) if report.status == "imported" else ""
            table.add_row(
                f"{folder}/{report.name}",
                _t(report.status, lang),
                values,
                _t(report.feature, lang) if report.feature else "",
            )
    return table


def _notes(stats: ImportResult, boundaries: ImportResult, lang: str) -> list[str]:
    lines = []
    for report in [*stats.files, *boundaries.files]:
        if report.unknown:
            examples = "; ".join(report.unknown_examples)
            lines.append(
                f"{report.name}: {_n(report.unknown, lang)} {_t('unknown_codes', lang)} "
                f"({_t('examples', lang)} {examples})"
            )
        if report.empty:
            lines.append(f"{report.name}: {_n(report.empty, lang)} {_t('empty', lang)}")
    missing = sorted(set(stats.missing_features) | set(boundaries.missing_features))
    if missing:
        lines.append(f"{_t('not_loaded_feature', lang)}: " + "; ".join(_t(f, lang) for f in missing))
    return lines


@reference.command("status")
@json_option
@lang_option
def reference_status(as_json: bool, lang: str | None) -> None:
    """What is loaded: regions per level, the latest loads, indicators and boundaries."""
    from jaring.reference.load import status

    current = status()
    if as_json:
        _echo_json(current.to_json())
        return
    _print_status(current, lang or language())


def _print_status(current: Status, lang: str) -> None:
    console = _console()
    levels = Table(title=_t("title_regions", lang), title_justify="left")
    levels.add_column(_t("level", lang))
    levels.add_column(_t("count", lang), justify="right")
    for level in LEVELS:
        levels.add_row(_t(level, lang), _n(current.counts.get(level, 0), lang))
    console.print(levels)
    loads = Table(title=_t("loads", lang), title_justify="left")
    for key in ("kind", "when", "rows", "source"):
        loads.add_column(_t(key, lang), justify="right" if key == "rows" else "left")
    for kind, load in current.loads.items():
        edition = load["detail"].get("edition", "") if isinstance(load["detail"], dict) else ""
        when = load["loaded_at"].strftime("%Y-%m-%d %H:%M")
        loads.add_row(kind, when, _n(load["rows"], lang), f"{edition} {load['source']}".strip())
    console.print(loads if current.loads else f"{_t('loads', lang)}: {_t('none', lang)}")
    if current.indicators:
        indicators = Table(title=_t("title_stats", lang), title_justify="left")
        for key in ("indicator", "period", "regions"):
            indicators.add_column(_t(key, lang), justify="right" if key == "regions" else "left")
        for indicator, period, count in current.indicators:
            indicators.add_row(indicator, period, _n(count, lang))
        console.print(indicators)
    shapes = ", ".join(f"{_t(level, lang)} {_n(n, lang)}" for level, n in sorted(current.boundaries.items()))
    console.print(f"{_t('boundaries', lang)}: {shapes or _t('none', lang)}", highlight=False)


# ------------------------------------------------------------------ jaring region


@click.group()
def region() -> None:
    """Look up regions by code or name (after 'jaring reference load')."""


@region.command("show")
@click.argument("code_or_name")
@click.option("--level", type=click.Choice(LEVELS), help="Only regions of this level (name search).")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True, help="Most matches.")
@json_option
@lang_option
def region_show(code_or_name: str, level: str | None, limit: int, as_json: bool, lang: str | None) -> None:
    """A region by code (31.74 or 3174) with its chain; otherwise regions whose name contains the text."""
    from jaring.kit.errors import NotFound
    from jaring.reference import codes, lookup

    lang = lang or language()
    if codes.looks_like_code(code_or_name):
        detail = lookup.get_region(code_or_name)
        if as_json:
            _echo_json(detail.to_json())
        else:
            _print_detail(detail, lang)
        return
    matches = lookup.search_regions(code_or_name, level=level, limit=limit)
    if not matches:
        where = f" at level {level}" if level else ""
        raise NotFound(f"no region{where} has a name containing {code_or_name.strip()!r}")
    if as_json:
        _echo_json({"matches": [m.to_json() for m in matches]})
        return
    _print_matches(matches, limit, lang)


@region.command("children")
@click.argument("code")
@json_option
@lang_option
def region_children(code: str, as_json: bool, lang: str | None) -> None:
    """The regions directly below a region (e.g. the districts of a regency)."""
    from jaring.reference import lookup

    found = lookup.children(code)
    if as_json:
        _echo_json({"children": [r.to_json() for r in found]})
        return
    lang = lang or language()
    table = Table(title=f"{_t('title_children', lang)}: {code}", title_justify="left")
    for key in ("code", "name", "type"):
        table.add_column(_t(key, lang))
    for item in found:
        table.add_row(item.dotted, item.name, _t(item.type, lang) if item.type else "")
    _console().print(table)


def _label(item: Region, lang: str) -> str:
    kind = f" ({_t(item.type, lang)})" if item.type else ""
    return f"{_t(item.level, lang)}{kind}"


def _print_detail(detail: RegionDetail, lang: str) -> None:
    console = _console()
    item = detail.region
    console.print(f"[bold]{item.dotted}  {item.name}[/bold]  {_label(item, lang)}", highlight=False)
    chain = Table(title=_t("title_chain", lang), title_justify="left")
    for key in ("level", "code", "name"):
        chain.add_column(_t(key, lang))
    for link in (*detail.chain, item):
        chain.add_row(_label(link, lang), link.dotted, link.name)
    console.print(chain)
    console.print(f"{_t('children', lang)}: {_n(detail.child_count, lang)}", highlight=False)
    if detail.stats:
        table = Table(title=_t("title_stats", lang), title_justify="left")
        for key in ("indicator", "period", "value"):
            table.add_column(_t(key, lang), justify="right" if key == "value" else "left")
        for stat in detail.stats:
            table.add_row(stat.indicator, stat.period, _n(stat.value, lang))
        console.print(table)


def _print_matches(matches: list[Located], limit: int, lang: str) -> None:
    table = Table(title=_t("title_matches", lang), title_justify="left")
    for key in ("code", "level", "name", "above"):
        table.add_column(_t(key, lang))
    for match in matches:
        above = " › ".join(link.name for link in reversed(match.chain))
        table.add_row(match.region.dotted, _label(match.region, lang), match.region.name, above)
    console = _console()
    console.print(table)
    if len(matches) == limit:
        console.print(f"({_t('more', lang)})", highlight=False)
