"""`jaring members …` as a person runs it: a real process, its output and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from jaring.membership import numbers
from tests.membership.conftest import TEBET_BARAT, Snapshot, nik, sponsor

JARING = str(Path(sys.executable).parent / "jaring")
BORN = date(1985, 3, 2)


def run(
    *args: str, data: Path, url: str, stdin: str | None = None, lang: str = "id"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JARING_DATA_DIR": str(data), "JARING_DATABASE_URL": url, "JARING_LANG": lang}
    return subprocess.run(
        [JARING, "members", *args], capture_output=True, text=True, env=env, input=stdin, check=False
    )


def test_enrol_show_and_assign(url: str, jaring_env: Path) -> None:
    the_nik = nik(BORN, 7)
    common = ("--name", "Budi Santoso", "--birth-date", "1985-03-02", "--region", TEBET_BARAT)
    done = run(
        "enrol",
        "--nik",
        "-",
        *common,
        "--category",
        "ojek",
        "--json",
        stdin=the_nik + "\n",
        data=jaring_env,
        url=url,
    )
    assert done.returncode == 0, done.stderr
    member = json.loads(done.stdout)
    pn = member["participant_number"]
    assert numbers.valid_participant_number(pn)
    assert (member["status"], member["nik_masked"], member["sex"]) == (
        "registered",
        the_nik[:6] + "*" * 10,
        "L",
    )

    again = run("enrol", "--nik", the_nik, *common, data=jaring_env, url=url)
    assert again.returncode == 2
    assert again.stderr == f"jaring: error: this NIK is already a member: participant {pn}.\n"

    bad = run("enrol", "--nik", the_nik[:-1], *common, data=jaring_env, url=url)
    assert (bad.returncode, bad.stderr) == (2, "jaring: error: nik: the NIK must be 16 digits.\n")

    shown = run("show", pn, data=jaring_env, url=url)
    assert shown.returncode == 0, shown.stderr
    assert "Budi Santoso" in shown.stdout
    assert "terdaftar" in shown.stdout
    assert the_nik not in shown.stdout
    assert json.loads(run("show", pn, "--json", data=jaring_env, url=url).stdout) == member

    pemda = sponsor(url, "PEMDA-3174")
    start = str(date.today())[:7]
    assigned = run(
        "assign-payer",
        "--sponsor",
        pemda.code,
        "--from-month",
        start,
        "--months",
        "3",
        pn,
        "--json",
        data=jaring_env,
        url=url,
    )
    assert assigned.returncode == 0, assigned.stderr
    assert (json.loads(assigned.stdout)["assigned"], json.loads(assigned.stdout)["sponsor_code"]) == (
        1,
        "PEMDA-3174",
    )
    english = run(
        "assign-payer",
        "--sponsor",
        pemda.code,
        "--from-month",
        start,
        "--months",
        "3",
        pn,
        data=jaring_env,
        url=url,
        lang="en",
    )
    assert "0 newly recorded, 1 already recorded" in english.stdout


def test_enrol_bulk_prints_the_report(url: str, jaring_env: Path, snapshot: Snapshot, tmp_path: Path) -> None:
    people = snapshot.pick(inside=True)[:3]
    file = tmp_path / "niks.csv"
    file.write_text("nik\n" + "".join(p["nik"] + "\n" for p in people) + "x\n", encoding="utf-8")
    args = ("enrol-bulk", str(file), "--snapshot", snapshot.id[:10], "--category", "petani")
    done = run(*args, "--json", data=jaring_env, url=url)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["rows_in"], report["accepted"], report["by_reason"], report["repeat"]) == (
        4,
        3,
        {"nik_invalid": 1},
        False,
    )
    human = run(*args, data=jaring_env, url=url)
    assert human.returncode == 0, human.stderr
    assert "sudah pernah diproses" in human.stdout
    assert "nik_invalid" in human.stdout
    assert report["rejects_path"] in human.stdout.replace("\n", "")
