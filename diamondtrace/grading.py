"""Grading reports, recorded by the lab that holds the stone: the GIA scales they are written in,
whose lab they are, and whether the weight they give is plausible for the stone."""

from __future__ import annotations

import logging
from typing import Callable

from web3 import Web3
from web3.contract import Contract

from .errors import InputError
from .model import Kind, format_carat, parse_address, parse_centicarats, text32
from .reader import Registry
from .records import Stone
from .sending import Sender, Sent

log = logging.getLogger("diamondtrace")

# The GIA scales, as the report prints them and the registry keeps them (text in bytes8/bytes16).
COLOURS = tuple(chr(c) for c in range(ord("D"), ord("Z") + 1))
CLARITIES = ("FL", "IF", "VVS1", "VVS2", "VS1", "VS2", "SI1", "SI2", "I1", "I2", "I3")
CUTS = ("Excellent", "Very Good", "Good", "Fair", "Poor")
# A lab weighs a polished stone to the hundredth of a carat; the registered weight was the
# manufacturer's. Beyond this share apart, one of the two is probably mistyped.
WEIGHT_TOLERANCE = 0.03


def on_scale(value: str, scale: tuple[str, ...], what: str) -> str:
    """`value` as the scale writes it (case and spacing as typed do not matter)."""
    wanted = " ".join(value.split()).casefold()
    for grade in scale:
        if grade.casefold() == wanted:
            return grade
    raise InputError(f"{what} {value!r} is not on the GIA scale: one of {', '.join(scale)}")


def check_lab(reader: Registry, signer: str, lab: str) -> None:
    """`lab` (a name or an address, as the user wrote it) must be the signing account's own."""
    if Web3.is_address(lab.strip()):
        if parse_address(lab, "--lab") == signer:
            return
    elif lab.casefold() == (reader.participant(signer).name or "").casefold():
        return
    name = reader.participant(signer).name
    raise InputError(f"--lab {lab!r} is not the signing account's lab ({name or 'unnamed'}, {signer})")


def weight_concern(stone: Stone, centicarats: int) -> str | None:
    """Why a graded weight looks wrong against the stone's registered one, or None."""
    registered = stone.centicarats
    if stone.kind == Kind.POLISHED and centicarats > registered:
        return (
            f"{stone.stone_id} is graded at {format_carat(centicarats)} ct, heavier than its registered "
            f"{format_carat(registered)} ct: a polished stone does not gain weight; check --carat"
        )
    if abs(centicarats - registered) > WEIGHT_TOLERANCE * registered:
        return (
            f"{stone.stone_id} is graded at {format_carat(centicarats)} ct but registered at "
            f"{format_carat(registered)} ct (more than {WEIGHT_TOLERANCE:.0%} apart); check --carat"
        )
    return None


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
    lab: str | None = None,
    warn: Callable[[str], None] = log.warning,
) -> Sent:
    """Records a grading report; `lab`, if given, must name the signer. A weight far from the
    stone's registered one is recorded but reported through `warn` first (a lab's scale is the
    better judge than the registration, so it is not refused)."""
    fields = (
        text32(report, "--report"),
        parse_centicarats(carat, "--carat"),
        text32(on_scale(colour, COLOURS, "--colour"), "--colour")[:8],
        text32(on_scale(clarity, CLARITIES, "--clarity"), "--clarity")[:8],
        text32(on_scale(cut, CUTS, "--cut"), "--cut")[:16],
        lab_grown,
        document,
    )
    reader = Registry(registry)
    if lab is not None:
        check_lab(reader, sender.address, lab)
    concern = weight_concern(reader.stone(token), fields[1])
    if concern:
        warn(concern)
    return sender.send(registry.functions.grade(token, fields))
