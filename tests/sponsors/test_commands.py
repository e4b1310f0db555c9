"""`jaring sponsors create|list` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jaring.cli import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_create_list_and_refuse_a_second_code(jaring_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "sponsors", "create", "--code", "KAB-MALANG", "--name", "Pemkab Malang",
                        "--kind", "regency", "--region", "3507")  # fmt: skip
    assert code == 0
    assert "apbd" in out  # a regency's money is APBD unless told otherwise
    code, _, err = _run(capsys, "sponsors", "create", "--code", "KAB-MALANG", "--name", "x", "--kind", "csr",
                        "--region", "3507")  # fmt: skip
    assert code == 2
    assert "exists already" in err
    code, _, err = _run(
        capsys, "sponsors", "create", "--code", "X", "--name", "x", "--kind", "csr", "--region", "35x"
    )
    assert code == 2
    assert "region" in err
    code, out, _ = _run(capsys, "sponsors", "list", "--json")
    assert [(s["code"], s["funding"]) for s in json.loads(out)] == [("KAB-MALANG", "apbd")]
