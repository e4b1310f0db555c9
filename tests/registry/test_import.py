"""Registry import: every row accounted for, every reason, the no-op re-import, bad files."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from jaring.kit import protect
from jaring.kit.errors import BadInput
from jaring.registry import importer
from jaring.registry.codes import EXTRACT_COLUMNS, OCCUPATIONS
from jaring.registry.generate import generate
from jaring.registry.reasons import REJECTIONS
from jaring.registry.service import import_snapshot, list_snapshots

SNAPSHOT = date(2026, 9, 30)
HEADER = list(EXTRACT_COLUMNS)
GOOD = {
    "nik": "3171015708900001",
    "kk_number": "3171011201200003",
    "name": "Siti Aminah",
    "sex": "2",
    "birth_date": "1990-08-17",
    "village_code": "31.71.01.1001",
    "relationship": "1",
    "employment_status": "1",
    "occupation": "trader",
    "desil": "2",
    "deceased": "0",
    "jamsostek": "0",
}

# One row per reason: the good row with one field broken.
BROKEN = {
    "nik_missing": {"nik": ""},
    "nik_non_digit": {"nik": "31710157089O0001"},
    "nik_length": {"nik": "317101570890001"},
    "nik_province_unknown": {"nik": "1071015708900001"},
    "nik_region_zero": {"nik": "3100015708900001"},
    "nik_date_impossible": {"nik": "3171017202900001"},
    "nik_serial_zero": {"nik": "3171015708900000"},
    "kk_missing": {"kk_number": " "},
    "kk_non_digit": {"kk_number": "317101120120000A"},
    "kk_length": {"kk_number": "31710112012000031"},
    "kk_province_unknown": {"kk_number": "1071011201200003"},
    "kk_date_impossible": {"kk_number": "3171013201200003"},
    "name_missing": {"name": ""},
    "sex_invalid": {"sex": "3"},
    "birth_date_invalid": {"birth_date": "1990-02-30"},
    "birth_date_future": {"birth_date": "2026-12-01", "nik": "3171014112260001"},
    "village_invalid": {"village_code": "31.71.01"},
    "village_unknown": {"village_code": "3171019999"},
    "relationship_invalid": {"relationship": "9"},
    "employment_invalid": {"employment_status": "x"},
    "occupation_unknown": {"occupation": "astronaut"},
    "desil_missing": {"desil": ""},
    "desil_invalid": {"desil": "11"},
    "deceased_invalid": {"deceased": "maybe"},
    "jamsostek_invalid": {"jamsostek": "40"},
}


def _write(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _unique(serial: int) -> dict[str, str]:
    # A distinct, valid NIK per row so that only the broken field decides.
    return {"nik": f"317101570890{serial:04d}"}


def _rejects(result_path: str) -> list[dict[str, str]]:
    with open(result_path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_reason_is_reported_with_its_row(jaring_env: Path, tmp_path: Path) -> None:
    rows = [GOOD | _unique(1)]
    expected: dict[int, str] = {}
    for serial, (reason, change) in enumerate(BROKEN.items(), start=2):
        rows.append(GOOD | _unique(serial) | change)
        expected[len(rows) + 1] = reason  # file line: header is line 1
    # Two rows with the same NIK: both rejected.
    rows += [GOOD | _unique(90), GOOD | _unique(90) | {"name": "Another"}]
    expected[len(rows)] = expected[len(rows) + 1] = "nik_duplicate"
    result = import_snapshot(path=_write(tmp_path / "x.csv", rows), snapshot_date=SNAPSHOT)

    assert result.rows_in == len(rows) == result.accepted + result.rejected
    assert result.accepted == 1
    assert set(result.by_reason) == (set(REJECTIONS) - {"row_malformed"})
    rejects = _rejects(result.rejects_path)
    assert {int(r["line"]): r["reason"] for r in rejects} == expected
    # the rejects file keeps the original values, e.g. the dotted village code and spaces
    first = next(r for r in rejects if r["reason"] == "kk_missing")
    assert (first["kk_number"], first["village_code"]) == (" ", "31.71.01.1001")


def test_accepted_rows_are_protected_and_normalised(jaring_env: Path, tmp_path: Path) -> None:
    result = import_snapshot(path=_write(tmp_path / "x.csv", [GOOD]), snapshot_date=SNAPSHOT)
    table = pq.read_table(result.path).to_pylist()
    assert len(table) == 1
    person = table[0]
    assert not {"nik", "kk_number"} & set(person)
    assert protect.decrypt(person["nik_index"].hex(), person["nik_cipher"]) == GOOD["nik"]
    assert protect.decrypt(person["kk_index"].hex(), person["kk_cipher"], "kk") == GOOD["kk_number"]
    assert (person["sex"], person["village_code"], person["regency_code"]) == ("F", "3171011001", "3171")
    assert (person["birth_date"], person["desil"], person["deceased"]) == (date(1990, 8, 17), 2, False)
    raw = Path(result.path).read_bytes()
    assert GOOD["nik"].encode() not in raw


def test_warnings_do_not_reject(jaring_env: Path, tmp_path: Path) -> None:
    rows = [
        GOOD | {"nik": "3171011708900001"},  # a man's NIK on a woman's row
        GOOD | {"nik": "3171015708910002"},  # NIK says 1991, row says 1990
        GOOD | {"nik": "3172995708900003"},  # district code no longer exists
    ]
    result = import_snapshot(path=_write(tmp_path / "w.csv", rows), snapshot_date=SNAPSHOT)
    assert result.accepted == 3
    assert result.warnings == {"nik_birth_date_mismatch": 1, "nik_region_retired": 1, "nik_sex_mismatch": 1}


def test_reimport_is_a_no_op(jaring_env: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "x.csv", [GOOD, GOOD | _unique(2)])
    first = import_snapshot(path=path, snapshot_date=SNAPSHOT)
    again = import_snapshot(path=path, snapshot_date=SNAPSHOT)
    assert (first.already_imported, again.already_imported) == (False, True)
    assert again.snapshot_id == first.snapshot_id
    assert [s.snapshot_id for s in list_snapshots()] == [first.snapshot_id]


def test_generated_faults_match_the_report(jaring_env: Path, tmp_path: Path) -> None:
    summary = generate(persons=20_000, seed=11, out=tmp_path / "g.csv.gz", faults=0.1, chunk_size=7_000)
    result = import_snapshot(path=summary.path, snapshot_date=summary.snapshot_date)
    assert result.by_reason == dict(
        sorted(summary.expected_rejections.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    assert result.rows_in == 20_000 == result.accepted + result.rejected
    assert result.warnings == {}


def test_parquet_and_csv_give_the_same_snapshot(jaring_env: Path, tmp_path: Path) -> None:
    csv_file = generate(persons=3_000, seed=5, out=tmp_path / "a.csv", faults=0.05)
    parquet = generate(persons=3_000, seed=5, out=tmp_path / "a.parquet", faults=0.05)
    one = import_snapshot(path=csv_file.path, snapshot_date=csv_file.snapshot_date)
    two = import_snapshot(path=parquet.path, snapshot_date=parquet.snapshot_date)
    assert (one.accepted, one.by_reason) == (two.accepted, two.by_reason)
    assert pq.read_table(one.path).equals(pq.read_table(two.path))


def test_malformed_lines_are_rejected_not_dropped(jaring_env: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "m.csv", [GOOD, GOOD | _unique(2)])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("3171015708900003,too,few\n")
    result = import_snapshot(path=path, snapshot_date=SNAPSHOT)
    assert (result.rows_in, result.accepted, result.by_reason) == (3, 2, {"row_malformed": 1})
    reject = _rejects(result.rejects_path)[0]
    assert (reject["line"], reject["original_line"]) == ("4", "3171015708900003,too,few")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"PK\x03\x04 spreadsheet", "spreadsheet"),
        (b"nik,nama\n1,Siti\n", "missing required column"),
        (",".join(HEADER).encode() + b"\n", "header but no rows"),
        (",".join(HEADER).encode() + "\n1,2,Andr\xe9,1".encode("latin-1"), "not UTF-8"),
        (b"\x00\x01\x02binary", "not a text file"),
    ],
)
def test_bad_files_get_one_clear_message(
    jaring_env: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(BadInput, match=message):
        import_snapshot(path=path, snapshot_date=SNAPSHOT)
    assert list_snapshots() == []


def test_a_file_named_parquet_that_is_not(jaring_env: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "x.parquet", [GOOD])
    with pytest.raises(BadInput, match="not a Parquet file"):
        import_snapshot(path=path, snapshot_date=SNAPSHOT)


def test_gzip_csv_and_header_case(jaring_env: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.csv.gz"
    header = [h.upper() for h in HEADER] + ["kolom_lain"]
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow([GOOD[h] for h in HEADER] + ["x"])
    result = import_snapshot(path=path, snapshot_date=SNAPSHOT)
    assert (result.accepted, result.extra_columns) == (1, ("kolom_lain",))


def test_cli_json_accounts_for_every_row(jaring_env: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    rows = [GOOD, GOOD | _unique(2) | {"desil": ""}]
    path = _write(tmp_path / "c.csv", rows)
    jaring = Path(sys.executable).with_name("jaring")
    out = subprocess.run(
        [str(jaring), "registry", "import", str(path), "--snapshot-date", "2026-09-30", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    payload = json.loads(out.stdout)
    assert payload["rows_in"] == payload["accepted"] + payload["rejected"] == 2
    assert payload["by_reason"] == {"desil_missing": 1}
    again = subprocess.run(
        [str(jaring), "registry", "import", str(path), "--snapshot-date", "2026-09-30"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "sudah pernah diimpor" in again.stdout
    assert GOOD["nik"] not in out.stderr + again.stderr + again.stdout
    bad = subprocess.run(
        [str(jaring), "registry", "import", str(tmp_path / "nope.csv"), "--snapshot-date", "2026-09-30"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("jaring: error:")
    assert "no such file" in bad.stderr


def test_columns_and_occupations_are_what_the_docs_say() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "registry-format.md").read_text(encoding="utf-8")
    for code in OCCUPATIONS:
        assert f"`{code}`" in docs
    documented = [line.split("`")[1] for line in docs.splitlines() if line.startswith("| `")]
    assert documented == list(EXTRACT_COLUMNS)


def test_duplicates_far_apart_are_found_and_precedence_kept(
    jaring_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tiny batches put the two copies of each NIK in different batches, so the importer
    # only learns of them after the first pass.
    monkeypatch.setattr(importer, "BATCH_ROWS", 2)
    rows = [GOOD | _unique(serial) for serial in range(1, 12)]
    rows.append(GOOD | _unique(3) | {"desil": ""})  # duplicate beats a later reason
    rows.append(GOOD | _unique(5) | {"nik": "3171015708900005"[:15]})  # not the same NIK
    rows.append(GOOD | {"nik": "3100015708900007"})  # an earlier reason beats duplicate...
    rows.append(GOOD | {"nik": "3100015708900007"})  # ...on both copies
    result = import_snapshot(path=_write(tmp_path / "x.csv", rows), snapshot_date=SNAPSHOT)
    assert result.rows_in == 15 == result.accepted + result.rejected
    assert result.by_reason == {"nik_duplicate": 2, "nik_region_zero": 2, "nik_length": 1}
    lines = {int(r["line"]): r["reason"] for r in _rejects(result.rejects_path)}
    assert lines == {
        4: "nik_duplicate",
        13: "nik_duplicate",
        14: "nik_length",
        15: "nik_region_zero",
        16: "nik_region_zero",
    }
    assert pq.read_metadata(result.path).num_rows == 10


def test_reader_errors_do_not_echo_the_row() -> None:
    message = importer._first_line(
        RuntimeError("Conversion Error: CSV Error on Line: 7 Original Line: 3171015708900001,Siti\nmore")
    )
    assert "3171015708900001" not in message
    assert "Siti" not in message
    assert message.startswith("Conversion Error: CSV Error on Line: 7")
