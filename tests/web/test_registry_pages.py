"""Registry and targeting pages over real HTTP: an imported snapshot with its import report and
its diff, a targeting run whose counts are the stored run's, the ranked list with masked NIKs,
paging and exports, the explain form (by rank and by NIK, and its refusals), and another
region's run refused like one that does not exist."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest

from jaring.kit import protect
from jaring.kit.auth import NATIONAL_ADMIN, REGENCY_OFFICER, Principal
from jaring.kit.periods import Month
from jaring.registry.diff import diff_snapshots
from jaring.registry.generate import generate
from jaring.registry.service import ImportResult, import_snapshot
from jaring.sponsors.service import create_sponsor
from jaring.sponsors.targets import set_target
from jaring.targeting import service as targeting
from tests.contributions.billing_fixtures import World
from tests.web.conftest import login

ADMIN = Principal("admin", NATIONAL_ADMIN)
RINA = Principal("rina", REGENCY_OFFICER, region_code="3507")


@dataclass
class Targeted:
    client: httpx.Client
    url: str
    first: ImportResult
    second: ImportResult
    niks: dict[str, str]  # blind index (hex) → NIK, of the first extract
    malang: list[str]  # NIKs of the persons living in Malang (3507)
    run: int  # KAB's run, in Malang (3507)
    other: int  # a run of a Jakarta sponsor


def _extract(tmp_path: Path, name: str, seed: int) -> tuple[Path, list[dict[str, str]]]:
    out = tmp_path / name
    generate(persons=3000, seed=seed, out=out, provinces=["35", "31"], faults=0.02)
    with out.open(encoding="utf-8", newline="") as handle:
        return out, list(csv.DictReader(handle))


@pytest.fixture
def targeted(site: tuple[httpx.Client, World], tmp_path: Path) -> Targeted:
    client, world = site
    url = world.url
    path, rows = _extract(tmp_path, "first.csv", 5)
    first = import_snapshot(path=path, snapshot_date=date(2026, 9, 30), url=url)
    # The same people a month on, without the first ten of Malang and the last forty of the
    # file: another file, so another snapshot, with removals in Malang and elsewhere.
    gone = {r["nik"] for r in rows if r["village_code"].startswith("3507")}
    gone = set(sorted(gone, key=[r["nik"] for r in rows].index)[:10]) | {r["nik"] for r in rows[-40:]}
    second_path = tmp_path / "second.csv"
    with second_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["nik"] not in gone)
    second = import_snapshot(path=second_path, snapshot_date=date(2026, 10, 31), url=url)
    # A wide rule, so the list is longer than a page.
    wide = {"desil_max": 10, "employment": "any"}
    set_target(principal=ADMIN, sponsor="KAB", rule=wide, url=url)
    run = targeting.run_targeting(
        principal=ADMIN, sponsor="KAB", snapshot=first.snapshot_id, start_month=Month(2027, 1), url=url
    )
    create_sponsor(
        principal=ADMIN, code="DKI", name="Pemprov DKI", kind="province", region_code="31", url=url
    )
    set_target(principal=ADMIN, sponsor="DKI", url=url)
    other = targeting.run_targeting(
        principal=ADMIN, sponsor="DKI", snapshot=first.snapshot_id, start_month=Month(2027, 1), url=url
    )
    niks = {
        protect.blind_index(r["nik"]): r["nik"] for r in rows if r["nik"].isdigit() and len(r["nik"]) == 16
    }
    malang = [r["nik"] for r in rows if r["village_code"].startswith("3507") and r["nik"] in niks.values()]
    return Targeted(client, url, first, second, niks, malang, run.run_id, other.run_id)


def cells(page: str, table: str) -> list[dict[str, str]]:
    """The rows of a table view as {column key: cell text}."""
    found = re.search(rf'<table class="data" id="{table}">(.*?)</table>', page, re.S)
    if found is None:
        return []
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S):
        cols = re.findall(r'<td class="[a-z]+" data-key="([^"]+)">(?:<a [^>]*>)?([^<]*)', tr)
        if cols:
            rows.append(dict(cols))
    return rows


def plain(number: str) -> int:
    return int(number.replace(".", "").replace(",", ""))


def read_csv(answer: httpx.Response) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_the_registry_lists_the_snapshot_with_its_import_report_and_diff(targeted: Targeted) -> None:
    client, first = targeted.client, targeted.first
    login(client, "admin", "admin-long-secret-1")
    page = client.get("/registry")
    assert page.status_code == 200
    listed = {row["snapshot_id"]: row for row in cells(page.text, "snapshots")}
    assert set(listed) == {first.snapshot_id, targeted.second.snapshot_id}
    mine = listed[first.snapshot_id]
    assert (plain(mine["rows_in"]), plain(mine["accepted"]), plain(mine["rejected"])) == (
        first.rows_in, first.accepted, first.rejected,
    )  # fmt: skip
    assert first.rejected > 0  # the extract has faults, so the report has reasons
    assert f'href="/registry/snapshots/{first.snapshot_id}"' in page.text
    exported = read_csv(client.get("/registry", params={"export": "csv"}))
    assert len(exported) == 3
    assert exported[0][0] == "Snapshot"
    assert {r[0] for r in exported[1:]} == set(listed)

    report = client.get(f"/registry/snapshots/{first.snapshot_id}")
    assert report.status_code == 200
    reasons = {row["code"]: plain(row["count"]) for row in cells(report.text, "rejections")}
    assert reasons == {k: v for k, v in first.by_reason.items() if v}
    assert sum(reasons.values()) == first.rejected
    assert 'id="no-previous"' in report.text
    rejections = read_csv(client.get(f"/registry/snapshots/{first.snapshot_id}", params={"export": "csv"}))
    assert {r[0]: int(r[2]) for r in rejections[1:]} == reasons
    warnings = read_csv(
        client.get(f"/registry/snapshots/{first.snapshot_id}", params={"table": "warnings", "export": "csv"})
    )
    assert {r[0]: int(r[2]) for r in warnings[1:]} == {k: v for k, v in first.warnings.items() if v}

    # The diff is shown once the service has computed it, never computed by the page.
    second = f"/registry/snapshots/{targeted.second.snapshot_id}"
    assert 'id="no-diff"' in client.get(second).text
    changes = diff_snapshots(old=first.snapshot_id, new=targeted.second.snapshot_id, url=targeted.url)
    assert changes.counts["removed"] > 0
    shown = client.get(second).text
    assert {row["code"]: plain(row["count"]) for row in cells(shown, "diff")} == {
        k: v for k, v in changes.counts.items() if v
    }
    assert len(cells(shown, "diff-regions")) == len(changes.by_region)


def test_a_regency_officer_sees_only_their_regency_s_changes(targeted: Targeted) -> None:
    client = targeted.client
    changes = diff_snapshots(
        old=targeted.first.snapshot_id, new=targeted.second.snapshot_id, url=targeted.url
    )
    login(client, "rina", "rina-long-secret-1")
    shown = client.get(f"/registry/snapshots/{targeted.second.snapshot_id}").text
    regions = cells(shown, "diff-regions")
    assert [row["regency"] for row in regions] == ["3507"]
    assert len(changes.by_region) > 1  # other regencies changed too, and are not shown
    mine = changes.by_region["3507"]
    assert mine["removed"] > 0  # (of the ten, those the first import accepted)
    assert {row["code"]: plain(row["count"]) for row in cells(shown, "diff")} == {
        k: v for k, v in mine.items() if v
    }


def test_a_run_page_shows_the_stored_run_s_counts_and_its_ranked_list(targeted: Targeted) -> None:
    client = targeted.client
    stored = targeting.get_run(principal=RINA, run_id=targeted.run, url=targeted.url)
    assert stored.eligible > 50  # enough for a second page
    login(client, "rina", "rina-long-secret-1")
    runs = client.get("/targeting/runs")
    assert runs.status_code == 200
    listed = cells(runs.text, "runs")
    assert [plain(r["run_id"]) for r in listed] == [targeted.run]  # not the Jakarta run
    assert plain(listed[0]["eligible"]) == stored.eligible

    page = client.get(f"/targeting/runs/{targeted.run}")
    assert page.status_code == 200
    for key, expected in (
        ("in-scope", stored.in_scope),
        ("eligible", stored.eligible),
        ("excluded-total", sum(stored.excluded.values())),
    ):
        assert re.search(rf'id="{key}" data-value="{expected}"', page.text), key
    assert stored.in_scope == stored.eligible + sum(stored.excluded.values())
    assert {r["code"]: plain(r["count"]) for r in cells(page.text, "exclusions")} == {
        k: v for k, v in stored.excluded.items() if v
    }
    ranked = cells(page.text, "ranked")
    assert [plain(r["rank"]) for r in ranked] == list(range(1, 51))
    assert all(re.fullmatch(r"\d{6}\*{10}", r["nik_masked"]) for r in ranked)
    assert not set(re.findall(r"\b\d{16}\b", page.text)) & set(targeted.niks.values())
    listed_file = pq.read_table(stored.ranked).to_pylist()
    assert [r["village_code"] for r in ranked] == [r["village_code"] for r in listed_file[:50]]

    second = client.get(f"/targeting/runs/{targeted.run}", params={"page": 2})
    assert plain(cells(second.text, "ranked")[0]["rank"]) == 51
    exported = read_csv(client.get(f"/targeting/runs/{targeted.run}", params={"page": 2, "export": "csv"}))
    assert [int(r[0]) for r in exported[1:]] == [plain(r["rank"]) for r in cells(second.text, "ranked")]
    workbook = client.get(f"/targeting/runs/{targeted.run}", params={"table": "exclusions", "export": "xlsx"})
    assert workbook.status_code == 200
    assert workbook.content[:2] == b"PK"


def test_the_explain_form_answers_by_rank_and_by_nik_as_the_service_does(targeted: Targeted) -> None:
    client, url = targeted.client, targeted.url
    stored = targeting.get_run(principal=RINA, run_id=targeted.run, url=url)
    third = pq.read_table(stored.ranked).to_pylist()[2]
    nik = targeted.niks[third["nik_index"].hex()]
    login(client, "rina", "rina-long-secret-1")
    form = client.get(f"/targeting/runs/{targeted.run}").text
    assert '<form id="explain"' in form

    by_rank = client.post(f"/targeting/runs/{targeted.run}/explain", data={"rank": "3"})
    assert by_rank.status_code == 200
    assert re.search(r'id="explained-rank">3<', by_rank.text)
    by_nik = client.post(f"/targeting/runs/{targeted.run}/explain", data={"nik": nik})
    assert re.search(r'id="explained-rank">3<', by_nik.text)
    assert nik not in by_nik.text  # the answer does not echo the NIK
    service = targeting.explain(principal=RINA, run_id=targeted.run, nik=nik, url=url)
    shown = dict(
        re.findall(
            r'<tr data-key="([a-z_]+)">.*?<td class="int">[^<]*</td><td class="int">([\d.]+)<', by_nik.text
        )
    )
    assert {k: plain(v) for k, v in shown.items()} == {a["key"]: a["persons_ahead"] for a in service.ahead}

    # Someone the run excluded: the reason the service gives.
    excluded = next(
        n
        for n in targeted.malang
        if targeting.explain(principal=RINA, run_id=targeted.run, nik=n, url=url).status == "excluded"
    )
    reason = targeting.explain(principal=RINA, run_id=targeted.run, nik=excluded, url=url).reason
    answer = client.post(f"/targeting/runs/{targeted.run}/explain", data={"nik": excluded})
    assert f'data-reason="{reason}"' in answer.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Isi NIK atau nomor peringkat"),
        ({"nik": "1234567890123456", "rank": "2"}, "Isi NIK atau nomor peringkat"),
        ({"rank": "abc"}, "Peringkat harus berupa bilangan bulat"),
        ({"rank": "999999"}, "there is no rank 999999"),
        ({"nik": "12345"}, "a NIK is 16 digits"),
    ],
)
def test_a_refused_explanation_says_why_and_keeps_what_was_typed(
    targeted: Targeted, data: dict[str, str], message: str
) -> None:
    client = targeted.client
    login(client, "rina", "rina-long-secret-1")
    answer = client.post(f"/targeting/runs/{targeted.run}/explain", data=data)
    assert answer.status_code == 422
    problem = re.search(r'<p class="problem" id="explain-problem">(.*?)</p>', answer.text, re.S)
    assert problem is not None
    assert message in problem.group(1)
    for name, value in data.items():
        assert f'name="{name}" inputmode="numeric" autocomplete="off"' in answer.text
        assert f'value="{value}"' in answer.text


def test_another_region_s_run_is_refused_like_one_that_does_not_exist(targeted: Targeted) -> None:
    client = targeted.client
    login(client, "rina", "rina-long-secret-1")
    for address in (f"/targeting/runs/{targeted.other}", "/targeting/runs/999999"):
        refused = client.get(address)
        assert refused.status_code == 404
        assert "di luar wilayah akun Anda" in refused.text
        assert "Pemprov DKI" not in refused.text
    explained = client.post(f"/targeting/runs/{targeted.other}/explain", data={"rank": "1"})
    assert explained.status_code == 404
    exported = client.get(f"/targeting/runs/{targeted.other}", params={"export": "csv"})
    assert exported.status_code == 404
    login(client, "admin", "admin-long-secret-1")
    assert client.get(f"/targeting/runs/{targeted.other}").status_code == 200
