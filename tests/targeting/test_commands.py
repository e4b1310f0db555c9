"""`jaring sponsors target`, `jaring target ...` and `jaring budget simulate` through the real
entry point."""

from __future__ import annotations

import json

import pytest

from jaring.cli import main
from jaring.kit import protect
from tests.targeting.conftest import World, expected


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_from_a_target_to_a_budget_on_the_command_line(world: World, capsys: pytest.CaptureFixture[str]):
    code, out, _ = _cli(
        capsys, "sponsors", "target", "KAB", "--desil-max", "3", "--priority", "desil,older", "--json"
    )
    assert code == 0
    assert json.loads(out)["rule"]["desil_max"] == 3
    code, out, _ = _cli(capsys, "target", "run", "--sponsor", "KAB", "--snapshot", world.snapshot_id,
                        "--start-month", "2026-12", "--json")  # fmt: skip
    assert code == 0
    report = json.loads(out)
    reasons, order = expected(world, {"desil_max": 3}, ["desil", "older"])
    assert report["eligible"] == len(order)
    assert report["excluded"] == {k: v for k, v in reasons.items() if k and v}
    code, out, _ = _cli(capsys, "target", "rerun", str(report["run_id"]))
    assert code == 0
    assert "identical" in out
    first = next(p for p in world.persons if protect.blind_index(p["nik"]) == order[0])
    code, out, _ = _cli(capsys, "target", "explain", str(report["run_id"]), "--nik", first["nik"], "--json")
    assert code == 0
    assert json.loads(out)["rank"] == 1
    assert first["nik"] not in out
    code, out, _ = _cli(capsys, "budget", "simulate", "--sponsor", "KAB", "--months", "6",
                        "--budget", "1.008.000", "--budget", "100.000.000", "--json")  # fmt: skip
    assert code == 0
    scenarios = json.loads(out)
    funded = [s["funded"] for s in scenarios]
    assert funded == [min(10, len(order)), len(order)]  # Rp 1.008.000 = 10 persons x 6 months x Rp 16.800
    code, out, _ = _cli(capsys, "budget", "enrol", str(scenarios[0]["scenario_id"]), "--json")
    assert code == 0
    enrolled = json.loads(out)
    assert enrolled["accepted"] == funded[0]
    assert enrolled["rows_in"] == enrolled["accepted"] + enrolled["rejected"]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_mistakes_are_answered_in_one_line(world: World, capsys: pytest.CaptureFixture[str]):
    code, _, err = _cli(capsys, "target", "run", "--sponsor", "NOPE", "--snapshot", world.snapshot_id)
    assert code != 0
    assert "NOPE" in err
    assert "Traceback" not in err
    code, _, err = _cli(capsys, "sponsors", "target", "KAB", "--occupations", "astronaut")
    assert code != 0
    assert "astronaut" in err
    code, _, err = _cli(capsys, "budget", "simulate", "--sponsor", "KAB", "--budget", "100")
    assert code != 0
