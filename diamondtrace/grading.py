"""Grading reports, recorded by the lab that holds the stone."""

from __future__ import annotations

from web3.contract import Contract

from .errors import InputError
from .model import parse_centicarats, text32
from .sending import Sender, Sent


def grade(
    registry: Contract,
    sender: Sender,
    token: int,
    *,
    report: str,
    carat: str,
    colour: str,
    clarity: str,
    cut: str,
    lab_grown: bool,
    document: bytes,
) -> Sent:
    fields = (
        text32(report, "--report"),
        parse_centicarats(carat, "--carat"),
        _short(colour, 8, "--colour"),
        _short(clarity, 8, "--clarity"),
        _short(cut, 16, "--cut"),
        lab_grown,
        document,
    )
    return sender.send(registry.functions.grade(token, fields))


def _short(text: str, size: int, what: str) -> bytes:
    if len(text) > size:
        raise InputError(f"{what} {text!r} is longer than {size} characters")
    return text32(text, what)[:size]
