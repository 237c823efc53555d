"""Keyed pseudonymisation of person identifiers on import (DATA_MODEL.md, "Personal data").

Every column naming a person (`offender_id`) is replaced by ``p_`` + the first
:data:`PSEUDONYM_HEX_CHARS` hex characters of HMAC-SHA256(key, id) (RFC 2104). The same id and
key always give the same pseudonym, so tables still link after import; without the key the
pseudonyms cannot be reversed or recomputed by a dictionary attack on the ids.

80 bits (20 hex characters) make a collision between any two of n ids about n²/2⁸¹: for 10
million people about 4·10⁻¹¹. Import still checks that distinct ids stay distinct.

The key lives outside the workspace: the environment variable ``COMMISSIONING_PSEUDONYM_KEY``,
or a key file (``--key-file`` or ``COMMISSIONING_PSEUDONYM_KEY_FILE``) made by
``commission keygen PATH``. Synthetic data may use the public :data:`DEMO_KEY` instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

PERSON_ID_COLUMNS: tuple[str, ...] = ("offender_id",)
PSEUDONYM_PREFIX = "p_"
PSEUDONYM_HEX_CHARS = 20
MIN_KEY_BYTES = 16
KEY_BYTES = 32

ENV_KEY = "COMMISSIONING_PSEUDONYM_KEY"
ENV_KEY_FILE = "COMMISSIONING_PSEUDONYM_KEY_FILE"
SYNTHETIC_MANIFEST = "synthetic.json"

#: Public, constant key for synthetic data only: it protects nothing, and says so.
DEMO_KEY = b"commissioning synthetic demo key - never use for real offender data"

HOW_TO_MAKE_A_KEY = (
    "Make a key outside the workspace with `commission keygen PATH` (e.g. "
    "`commission keygen ~/.config/commissioning/pseudonym.key`), then pass `--key-file PATH` "
    f"or set {ENV_KEY_FILE}=PATH (or put the key itself in {ENV_KEY}). Keep the key: the same "
    "key is needed to link later imports to earlier ones."
)


class KeyProblem(Exception):
    """The pseudonymisation key is missing, too short, unreadable or kept in the wrong place."""


@dataclass(frozen=True)
class PseudonymKey:
    """A secret HMAC key and where it came from (never printed, only its fingerprint)."""

    secret: bytes
    origin: str
    is_demo: bool = False

    def __repr__(self) -> str:
        return f"PseudonymKey(origin={self.origin!r}, fingerprint={self.fingerprint!r})"

    @property
    def fingerprint(self) -> str:
        """A short, one-way identifier of the key, safe to record in manifests."""
        digest = hashlib.sha256(b"commissioning key fingerprint\x00" + self.secret)
        return "k_" + digest.hexdigest()[:16]


def _key_from_text(text: str, origin: str) -> PseudonymKey:
    """A key written as hex (as keygen writes it) or as any other text (its UTF-8 bytes)."""
    text = text.strip()
    try:
        secret = bytes.fromhex(text) if len(text) % 2 == 0 and text else text.encode()
    except ValueError:
        secret = text.encode()
    if len(secret) < MIN_KEY_BYTES:
        raise KeyProblem(
            f"the pseudonymisation key from {origin} is too short ({len(secret)} bytes; "
            f"at least {MIN_KEY_BYTES} needed). {HOW_TO_MAKE_A_KEY}"
        )
    return PseudonymKey(secret, origin)


def load_key_file(path: Path, workspace: Path | None = None) -> PseudonymKey:
    """Read a key file, refusing one that lies inside the workspace."""
    path = Path(path).expanduser()
    if workspace is not None:
        inside = path.resolve().is_relative_to(Path(workspace).resolve())
        if inside:
            raise KeyProblem(
                f"the key file {path} is inside the workspace {workspace}; a key kept beside "
                "the data it protects protects nothing. Move it outside the workspace."
            )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyProblem(f"no key file at {path}. {HOW_TO_MAKE_A_KEY}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyProblem(f"the key file {path} could not be read: {exc}") from None
    return _key_from_text(text, f"key file {path}")


def is_synthetic(source: Path) -> bool:
    """True when the file sits beside a `synthetic.json` saying `"synthetic": true`."""
    manifest = Path(source).resolve().parent / SYNTHETIC_MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("synthetic") is True


def resolve_key(
    workspace: Path,
    source: Path | None = None,
    key_file: Path | None = None,
    synthetic_demo_key: bool = False,
) -> PseudonymKey:
    """Find the key for an import, in order: demo flag, --key-file, the environment, or the
    demo key for a file beside a synthetic manifest. Raises KeyProblem when there is none."""
    if synthetic_demo_key:
        return PseudonymKey(DEMO_KEY, "the synthetic demo key (--synthetic-demo-key)", True)
    if key_file is not None:
        return load_key_file(key_file, workspace)
    env_key = os.environ.get(ENV_KEY, "")
    if env_key.strip():
        return _key_from_text(env_key, f"environment variable {ENV_KEY}")
    env_file = os.environ.get(ENV_KEY_FILE, "")
    if env_file.strip():
        return load_key_file(Path(env_file), workspace)
    if source is not None and is_synthetic(source):
        return PseudonymKey(DEMO_KEY, f"the synthetic demo key ({SYNTHETIC_MANIFEST})", True)
    raise KeyProblem(f"no pseudonymisation key, so nothing was imported. {HOW_TO_MAKE_A_KEY}")


def write_key_file(path: Path) -> Path:
    """Write a new random 32-byte key as hex, readable by the owner only (mode 0600)."""
    path = Path(path).expanduser()
    if path.exists():
        raise KeyProblem(f"{path} already exists; a key is never overwritten (it would orphan "
                         "every pseudonym made with it). Choose another path.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    os.chmod(path, 0o600)
    return path


def pseudonyms(ids: pa.Array | pa.ChunkedArray, key: PseudonymKey) -> pa.Array:
    """HMAC-SHA256 pseudonyms of an id column; nulls stay null.

    Each distinct id is hashed once (dictionary encoding), then the result is spread back by
    index, so the cost grows with the number of people, not rows. The inner and outer HMAC
    states are computed once and copied per id (RFC 2104, H(K⊕opad ‖ H(K⊕ipad ‖ m))).
    """
    encoded = pc.dictionary_encode(ids)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries().combine_chunks()
    dictionary = encoded.dictionary.to_pylist()
    block = key.secret if len(key.secret) <= 64 else hashlib.sha256(key.secret).digest()
    block = block.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    hashed: list[str] = []
    for value in dictionary:
        h = inner.copy()
        h.update(str(value).encode("utf-8"))
        o = outer.copy()
        o.update(h.digest())
        hashed.append(PSEUDONYM_PREFIX + o.hexdigest()[:PSEUDONYM_HEX_CHARS])
    if len(set(hashed)) != len(hashed):
        raise RuntimeError("two different ids received the same pseudonym; report this")
    mapped = pa.array(hashed, type=pa.string())
    indices = encoded.indices
    taken = pc.take(mapped, pc.fill_null(indices, 0))
    return pc.if_else(pc.is_valid(indices), taken, pa.scalar(None, pa.string()))


def pseudonymise(table: pa.Table, key: PseudonymKey) -> pa.Table:
    """Replace every person-id column of a table by its pseudonyms."""
    for name in PERSON_ID_COLUMNS:
        if name in table.column_names:
            i = table.column_names.index(name)
            table = table.set_column(i, table.schema.field(i), pseudonyms(table.column(i), key))
    return table


def needs_key(columns: list[str] | tuple[str, ...]) -> bool:
    """True when a table has a column naming a person."""
    return bool(set(columns) & set(PERSON_ID_COLUMNS))


__all__ = [
    "DEMO_KEY",
    "ENV_KEY",
    "ENV_KEY_FILE",
    "HOW_TO_MAKE_A_KEY",
    "PERSON_ID_COLUMNS",
    "KeyProblem",
    "PseudonymKey",
    "is_synthetic",
    "load_key_file",
    "needs_key",
    "pseudonymise",
    "pseudonyms",
    "resolve_key",
    "write_key_file",
]
