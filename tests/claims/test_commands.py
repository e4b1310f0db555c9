"""The claims commands as an officer types them: two accounts for maker-checker, one-line
errors, and the ledger check counting the payout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jaring.cli import main
from tests.accounts.conftest import make_account
from tests.claims.conftest import paid_through_march
from tests.contributions.billing_fixtures import World


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("JARING_LANG", "en")
    global _patch, _capture
    _patch, _capture = monkeypatch, capsys


_patch: pytest.MonkeyPatch
_capture: pytest.CaptureFixture[str]


def _run(args: list[str], user: str | None = None, password: str | None = None) -> tuple[int, str]:
    """The real entry point, as `jaring ARGS`; (exit code, what it printed on both streams)."""
    if user:
        _patch.setenv("JARING_USER", user)
        _patch.setenv("JARING_PASSWORD", password or "")
    else:
        _patch.delenv("JARING_USER", raising=False)
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    printed = _capture.readouterr()
    return code, printed.out + printed.err


def test_a_jkk_claim_from_the_console(world: World, jaring_env: Path) -> None:
    person = paid_through_march(world)
    first = make_account(world.url, "budi", "claims_supervisor", region_code="35")
    second = make_account(world.url, "citra", "claims_supervisor", region_code="3507")
    code, out = _run(
        ["claims", "report-accident", "--participant", person.participant_number, "--at", "2026-04-10 08:00",
         "--reporter", "member", "--json"]
    )  # fmt: skip
    assert code == 0, out
    report = json.loads(out)
    assert report["late"] is True
    code, out = _run(
        ["claims", "file", "--participant", person.participant_number, "--kind", "jkk_transport",
         "--report", str(report["id"]), "--detail", "cost=6.500.000", "--detail", "invoice=BUS-1",
         "--detail", "mode=darat", "--document", "kartu_peserta", "--json"]
    )  # fmt: skip
    assert code == 0, out
    claim = json.loads(out)
    assert claim["amount_total"] == 5_000_000  # the land ceiling, PP 82/2019 Lampiran III
    code, out = _run(["claims", "verify", str(claim["id"])])
    assert code == 2
    assert "still needs documents: ktp, kuitansi_transport" in out
    code, out = _run(["claims", "documents", str(claim["id"]), "ktp", "kuitansi_transport"])
    assert code == 0, out
    assert "Payout due" in out
    assert _run(["claims", "verify", str(claim["id"])], "budi", first.password)[0] == 0
    code, out = _run(["claims", "approve", str(claim["id"])], "budi", first.password)
    assert code == 2
    assert "maker-checker" in out
    assert _run(["claims", "approve", str(claim["id"])], "citra", "wrong password")[0] == 2
    assert _run(["claims", "approve", str(claim["id"])], "citra", second.password)[0] == 0
    code, out = _run(
        ["claims", "pay", str(claim["id"]), "--transfer-ref", "BJT-77"], "citra", second.password
    )
    assert code == 0, out
    assert "ref BJT-77" in out
    code, out = _run(["claims", "list", "--status", "paid"])
    assert str(claim["id"]) in out
    code, out = _run(["ledger", "check", "--json"])
    assert code == 0, out
    assert json.loads(out)["benefits_paid"] == 5_000_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "jkm_accident"], "claim type 'jkm_accident' is not known"),
        (["--kind", "jkm_death", "--event-date", "2026-13-01"], "not a date"),
        (
            ["--kind", "jkk_medical", "--detail", "cost=100000", "--detail", "invoice=A1"],
            "give its report_id",
        ),
        (["--kind", "jkm_death", "--event-date", "2026-04-10", "--detail", "cost"], "key=value"),
    ],
)
def test_bad_input_is_one_line(world: World, jaring_env: Path, args: list[str], message: str) -> None:
    person = paid_through_march(world)
    code, out = _run(["claims", "file", "--participant", person.participant_number, *args])
    assert code == 2
    assert message in out
    assert "Traceback" not in out
