"""Protection of identity numbers (UU 27/2022): a keyed blind index for matching, and
deterministic authenticated encryption for getting the number back when a role needs it.

For a 16-digit number m (NIK or KK):

    index(m)  = AES-256(K_index, m)                   16 bytes (hex, 32 characters, in tables)
    cipher(m) = AES-256(K_enc, index(m)) XOR m        16 bytes

The numbers are exactly one AES block, and AES under a secret key is a pseudorandom
function on one block (up to the 2^64 birthday bound, far beyond 300 million people), so
it is a keyed blind index as sound as a truncated HMAC and about fifty times faster in
bulk: one AES-ECB call indexes a whole column. The cipher is the SIV construction
(Rogaway–Shrimpton) for a one-block message: the synthetic IV is the blind index, which is
stored anyway, so no nonce has to be kept, and decrypting re-computes the index to prove
the value was not altered. It reveals only what the blind index already reveals (which
rows share a number). Separate keys per purpose keep the index key from decrypting.

Keys: a 32-byte master key from JARING_SECRET_KEY (64 hex characters) or, failing that, a
key file created on first use in the data dir (mode 0600). Sub-keys are derived per
purpose, so the index of a NIK and of a KK number never coincide. The key id (a hash of
the master key) is stored with every snapshot, so a changed key is detected, not misread.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from jaring.kit import config
from jaring.kit.errors import JaringError

WIDTH = 16  # bytes of a NIK or KK number, of an index and of a ciphertext
FIELDS = ("nik", "kk")


class ProtectionError(JaringError):
    """The secret key is missing, malformed, or not the one the data was protected with."""


@dataclass(frozen=True)
class FieldKeys:
    index: bytes
    encryption: bytes


@dataclass(frozen=True)
class Keys:
    key_id: str
    fields: dict[str, FieldKeys]

    def of(self, field: str) -> FieldKeys:
        return self.fields[field]


def _derive(master: bytes, purpose: str) -> bytes:
    return hmac.new(master, f"jaring/{purpose}/v1".encode(), hashlib.sha256).digest()


def _master_key() -> bytes:
    configured = os.environ.get("JARING_SECRET_KEY", "").strip()
    if configured:
        try:
            key = bytes.fromhex(configured)
        except ValueError:
            raise ProtectionError("JARING_SECRET_KEY must be 64 hexadecimal characters (32 bytes)") from None
        if len(key) != 32:
            raise ProtectionError("JARING_SECRET_KEY must be 64 hexadecimal characters (32 bytes)")
        return key
    path = config.data_dir() / "keys" / "master.key"
    if not path.exists():
        _create_key_file(path)
    key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    if len(key) != 32:
        raise ProtectionError(f"the key file {path} is damaged; restore it from your backup")
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")


@cache
def _keys_for(master: bytes) -> Keys:
    return Keys(
        key_id=hashlib.sha256(b"jaring/key-id/" + master).hexdigest()[:16],
        fields={
            name: FieldKeys(_derive(master, f"{name}-index"), _derive(master, f"{name}-encryption"))
            for name in FIELDS
        },
    )


def keys() -> Keys:
    return _keys_for(_master_key())


def _aes(values: np.ndarray, key: bytes) -> np.ndarray:
    """AES-256 of each 16-byte row of `values` ((n, 16) uint8), in one call."""
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    out = encryptor.update(np.ascontiguousarray(values).tobytes()) + encryptor.finalize()
    return np.frombuffer(out, dtype=np.uint8).reshape(-1, WIDTH)


def protect_many(values: np.ndarray, field: str = "nik") -> tuple[np.ndarray, np.ndarray]:
    """Blind indexes and ciphertexts of n numbers given as an (n, 16) uint8 array of ASCII
    digits; both results are (n, 16) uint8."""
    field_keys = keys().of(field)
    indexes = _aes(values, field_keys.index)
    return indexes, np.bitwise_xor(values, _aes(indexes, field_keys.encryption))


def _as_block(value: str) -> np.ndarray:
    raw = value.encode("ascii")
    if len(raw) != WIDTH:
        raise ValueError("only 16-character numbers are protected this way")
    return np.frombuffer(raw, dtype=np.uint8).reshape(1, WIDTH)


def blind_index(value: str, field: str = "nik") -> str:
    """The blind index (32 hex characters) of one number, for lookups by NIK."""
    index: bytes = _aes(_as_block(value), keys().of(field).index).tobytes()
    return index.hex()


def encrypt(value: str, field: str = "nik") -> tuple[str, bytes]:
    """(blind index hex, ciphertext) of one number."""
    indexes, ciphers = protect_many(_as_block(value), field)
    return indexes.tobytes().hex(), ciphers.tobytes()


def decrypt(index: str, cipher: bytes, field: str = "nik") -> str:
    """The number behind (index, cipher); refuses a value that does not match its index."""
    iv = np.frombuffer(bytes.fromhex(index), dtype=np.uint8).reshape(1, WIDTH)
    stream = _aes(iv, keys().of(field).encryption)
    plain = np.bitwise_xor(np.frombuffer(cipher, dtype=np.uint8).reshape(1, WIDTH), stream)
    raw: bytes = plain.tobytes()
    value = raw.decode("latin-1")
    if not raw.isdigit() or not hmac.compare_digest(blind_index(value, field), index):
        raise ProtectionError("the encrypted value does not match its index: wrong key or altered data")
    return value


def _sealing_key(purpose: str) -> bytes:
    return _derive(_master_key(), f"seal-{purpose}")


def seal(secret: bytes, purpose: str) -> bytes:
    """AES-256-GCM of a secret the system must use again (a payment channel's HMAC key);
    the purpose is bound in, so a sealed value cannot be moved to another use."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(_sealing_key(purpose)).encrypt(nonce, secret, purpose.encode())


def unseal(sealed: bytes, purpose: str) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(_sealing_key(purpose)).decrypt(sealed[:12], sealed[12:], purpose.encode())
    except InvalidTag:
        raise ProtectionError(
            f"a sealed {purpose} does not open with this key; was the key changed?"
        ) from None
