"""The CLI as a person uses it: a real process, its stdout, stderr and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

JARING = [str(Path(sys.executable).parent / "jaring")]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*JARING, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "JARING_LANG": "id", **(env or {})},
        check=False,
    )


def test_json_contribution_has_the_documented_shape():
    done = run(
        "calc", "contribution", "--segment", "bpu", "--income", "1000000", "--month", "2025-05", "--json"
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["total"] == 16_800
    assert body["rules_date"] == "2025-05-01"
    assert {line["code"]: line["amount"] for line in body["lines"]} == {"jkk": 10_000, "jkm": 6_800}
    assert all(line["reference"].startswith("PP ") for line in body["lines"])
    assert body["split"]["worker"] == 16_800


def test_human_output_is_an_indonesian_table_with_references():
    done = run("calc", "contribution", "--segment", "bpu", "--income", "1000000", "--month", "2026-05")
    assert done.returncode == 0, done.stderr
    assert "Rp 10.000" in done.stdout
    assert "Keringanan iuran JKK" in done.stdout
    assert "PP 50/2025" in done.stdout
    assert "Jatuh tempo" in done.stdout


def test_english_on_request():
    done = run("calc", "benefit", "jkm", "--death-date", "2026-01-10", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert "JKM lump sum" in done.stdout
    assert "Rp 42.000.000" in done.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            [
                "calc",
                "contribution",
                "--segment",
                "bpu",
                "--income",
                "1000000",
                "--month",
                "2026-05",
                "--bogus",
            ],
            "no such option",
        ),
        (
            ["calc", "contribution", "--segment", "bpu", "--income", "1000000", "--month", "2026-13"],
            "YYYY-MM",
        ),
        (
            [
                "calc",
                "contribution",
                "--segment",
                "pu",
                "--wage",
                "-100",
                "--risk-class",
                "sedang",
                "--month",
                "2025-01",
            ],
            "cannot be negative",
        ),
        (
            [
                "calc",
                "contribution",
                "--segment",
                "pu",
                "--wage",
                "abc",
                "--risk-class",
                "sedang",
                "--month",
                "2025-01",
            ],
            "whole number",
        ),
        (
            [
                "calc",
                "contribution",
                "--segment",
                "bpu",
                "--income",
                "1000000",
                "--month",
                "2026-05",
                "--programs",
                "jkk,xyz",
            ],
            "program 'xyz' is not known",
        ),
        (
            ["calc", "contribution", "--segment", "bpu", "--income", "1500000", "--month", "2026-05"],
            "not a declared income level",
        ),
        (["calc", "benefit", "jkm", "--death-date", "2026-02-30"], "exists on the calendar"),
        (["calc", "benefit", "jkm", "--death-date", "2015-06-30"], "in force from 2015-07-01"),
        (
            [
                "calc",
                "benefit",
                "jkp",
                "--wage",
                "5000000",
                "--phk-date",
                "2020-05-01",
                "--contribution-months",
                "12",
            ],
            "in force from 2021-02-02",
        ),
        (
            [
                "calc",
                "contribution",
                "--segment",
                "bpu",
                "--income",
                "1000000",
                "--month",
                "2026-05",
                "--months-paid",
                "2",
            ],
            "1, 3, 6, 12",
        ),
        (["rules", "show", "pu.nonexistent"], "no parameter named"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_code_2(args, says):
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("jaring: error: ")
    assert says.lower() in lines[0].lower()
    assert "Traceback" not in done.stderr


def test_the_income_setting_accepts_any_income_above_the_lowest_level():
    args = ["calc", "contribution", "--segment", "bpu", "--income", "1500000", "--month", "2025-05", "--json"]
    done = run(*args, env={"JARING_BPU_INCOME": "any"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == 15_000 + 6_800


def test_unconfirmed_values_need_an_explicit_flag():
    args = [
        "calc",
        "contribution",
        "--segment",
        "pu",
        "--wage",
        "15000000",
        "--risk-class",
        "rendah",
        "--month",
        "2026-05",
        "--json",
    ]
    refused = run(*args)
    assert refused.returncode == 2
    assert "unconfirmed" in refused.stderr
    allowed = run(*args, "--allow-unconfirmed")
    assert allowed.returncode == 0, allowed.stderr
    body = json.loads(allowed.stdout)
    assert len(body["warnings"]) == 1
    assert "jp_wage_cap" in body["warnings"][0]


def test_rules_show_lists_parameters_and_one_history():
    listing = run("rules", "show", "--date", "2026-05-01", "--json")
    assert listing.returncode == 0, listing.stderr
    names = {p["name"] for p in json.loads(listing.stdout)["parameters"]}
    assert {"bpu.jkm_amount", "pu.jp_wage_cap", "relief.pp50_2025_other"} <= names
    history = run("rules", "show", "pu.jp_wage_cap", "--json")
    body = json.loads(history.stdout)
    assert [h["from"] for h in body["history"]][:2] == ["2015-07-01", "2016-03-01"]
    assert body["history"][-1]["confidence"] == "U"
    table = run("rules", "show", "jkm.funeral", "--date", "2019-12-01")
    assert "Rp 3.000.000" in table.stdout
    assert "PP 82/2019" in table.stdout
