"""`jaring billing` as the operator uses it: a real process, its output and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.contributions.billing_fixtures import MAY, mixed, world_id

JARING = [str(Path(sys.executable).parent / "jaring")]


def run(*args: str, url: str, tmp_path: Path, lang: str = "id") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "JARING_LANG": lang,
        "JARING_DATABASE_URL": url,
        "JARING_DATA_DIR": str(tmp_path / "var"),
    }
    return subprocess.run([*JARING, "billing", *args], capture_output=True, text=True, env=env, check=False)


def test_run_prints_the_report_and_a_rerun_bills_nothing(store_url, tmp_path):
    world = mixed(store_url)
    expected = world.expected(MAY)
    done = run("run", "--period", "2026-05", "--json", url=store_url, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["charges_created"] == len(expected)
    assert report["amount_total"] == sum(row[1] for row in expected.values())
    table = run("run", "--period", "2026-05", url=store_url, tmp_path=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "Penagihan periode 2026-05" in table.stdout
    assert "Sudah ditagih sebelumnya" in table.stdout
    english = run("run", "--period", "2026-05", url=store_url, tmp_path=tmp_path, lang="en")
    assert "Already billed" in english.stdout


def test_invoices_and_an_invoice(store_url, tmp_path):
    world = mixed(store_url)
    run("run", "--period", "2026-05", url=store_url, tmp_path=tmp_path)
    listed = run("invoices", "--sponsor", "PROV35", "--json", url=store_url, tmp_path=tmp_path)
    assert [i["number"] for i in json.loads(listed.stdout)] == ["INV-PROV35-202605"]
    shown = run("invoice", "INV-PROV35-202605", url=store_url, tmp_path=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "cocok" in shown.stdout
    assert world.people[world_id(4)].participant_number in shown.stdout
    missing = run("invoice", "INV-NOPE-202605", url=store_url, tmp_path=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.startswith("jaring: error: invoice 'INV-NOPE-202605' not found")


def test_prepay_and_charges(store_url, tmp_path):
    world = mixed(store_url)
    siti = world.people[world_id(1)].participant_number
    done = run(
        "prepay", "--participant", siti, "--months", "3", "--start", "2026-11", "--json",
        url=store_url, tmp_path=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [c["amount"] for c in json.loads(done.stdout)] == [8_400, 8_400, 16_800]
    charges = run("charges", "--participant", siti, url=store_url, tmp_path=tmp_path)
    assert "Rp 16.800" in charges.stdout
    assert "2027-01" in charges.stdout
    refused = run("prepay", "--participant", siti, "--months", "5", url=store_url, tmp_path=tmp_path)
    assert refused.returncode == 2
    assert "5 is not a payment period" in refused.stderr
    bad = run("run", "--period", "2026-13", url=store_url, tmp_path=tmp_path)
    assert bad.returncode == 2
    assert "--period" in bad.stderr
