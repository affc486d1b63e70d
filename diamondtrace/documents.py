"""Documents (invoices, certificates, reports, rulings) stay off chain: the registry records their keccak-256."""

from __future__ import annotations

from pathlib import Path

from eth_utils import keccak

from .errors import InputError
from .model import ZERO32


def document_hash(path: Path | None) -> bytes:
    """keccak-256 of a document's bytes; the document itself never leaves this machine."""
    if path is None:
        return ZERO32
    try:
        return keccak(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read the document {path}: {exc.strerror}") from None
