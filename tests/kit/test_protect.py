"""NIK protection: the index matches, the cipher round-trips, tampering and wrong keys fail."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jaring.kit import protect


@pytest.fixture(autouse=True)
def _key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JARING_SECRET_KEY", raising=False)
    monkeypatch.setenv("JARING_DATA_DIR", str(tmp_path))


def test_round_trip_and_deterministic_index(tmp_path: Path) -> None:
    index, cipher = protect.encrypt("3171015708900001")
    assert protect.decrypt(index, cipher) == "3171015708900001"
    assert protect.blind_index("3171015708900001") == index
    assert protect.blind_index("3171015708900002") != index
    assert b"3171015708900001" not in cipher
    key_file = tmp_path / "keys" / "master.key"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_nik_and_kk_indexes_differ() -> None:
    assert protect.blind_index("3171011201200003", "nik") != protect.blind_index("3171011201200003", "kk")


def test_bulk_equals_one_by_one() -> None:
    values = ["3171015708900001", "3201011708850002", "9912345708900001"]
    blocks = np.frombuffer("".join(values).encode(), dtype=np.uint8).reshape(-1, 16)
    indexes, ciphers = protect.protect_many(blocks)
    for value, index, cipher in zip(values, indexes, ciphers, strict=True):
        assert protect.encrypt(value) == (index.tobytes().hex(), cipher.tobytes())


def test_altered_cipher_is_refused() -> None:
    index, cipher = protect.encrypt("3171015708900001")
    altered = bytes([cipher[0] ^ 1]) + cipher[1:]
    with pytest.raises(protect.ProtectionError):
        protect.decrypt(index, altered)


def test_another_key_cannot_decrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    index, cipher = protect.encrypt("3171015708900001")
    monkeypatch.setenv("JARING_SECRET_KEY", "ab" * 32)
    assert protect.keys().key_id != ""
    with pytest.raises(protect.ProtectionError):
        protect.decrypt(index, cipher)


def test_malformed_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARING_SECRET_KEY", "not-hex")
    with pytest.raises(protect.ProtectionError, match="64 hexadecimal"):
        protect.keys()
