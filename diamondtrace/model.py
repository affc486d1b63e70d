"""The registry's vocabulary on the Python side: roles, actions, states, and how values are encoded.

These mirror interfaces/IDiamondRegistry.sol and contracts/libraries; tests check that they agree
with the deployed contract.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from itertools import repeat

from web3 import Web3

from .countries import COUNTRIES
from .errors import InputError

ROLES: dict[str, int] = {
    "producer": 1 << 0,
    "trader": 1 << 1,
    "manufacturer": 1 << 2,
    "lab": 1 << 3,
    "retailer": 1 << 4,
    "kp-authority": 1 << 5,
}


# IDiamondRegistry's enums: a stone's kind, how it entered the registry (Origin), where it stands
# in the trade (Status), and the theft flag.
Kind = enum.IntEnum("Kind", "ROUGH POLISHED", start=0)
Origin = enum.IntEnum("Origin", "MINE SPLIT DECLARED", start=0)
Status = enum.IntEnum("Status", "IN_TRADE RETAILED SPLIT", start=0)
Flag = enum.IntEnum("Flag", "NONE STOLEN LOST", start=0)


class Action(enum.IntEnum):
    TRANSFER = 0
    SALE = 1
    CONSIGNMENT = 2
    EXPORT = 3
    IMPORT = 4
    MANUFACTURING = 5
    GRADING = 6
    RETAIL_SALE = 7
    RETURN = 8
    RECOVERY = 9

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def parse(cls, text: str) -> "Action":
        for action in cls:
            if action.label == text:
                return action
        raise InputError(f"unknown action {text!r}; choose one of: {', '.join(a.label for a in cls)}")


# Actions a holder may name; a plain ERC-721 transfer and the admin's recovery name themselves.
NAMED_ACTIONS = tuple(a for a in Action if a not in (Action.TRANSFER, Action.RECOVERY))
# Records whose invoice must carry the SoW warranty for a stone to stay "warranted".
WARRANTED_ACTIONS = frozenset({Action.TRANSFER, Action.SALE, Action.EXPORT, Action.IMPORT, Action.RETAIL_SALE})
MAX_CENTICARATS = (1 << 20) - 1
MAX_DESCRIPTION = 500
# A stone ID: 1 to 32 printable ASCII characters without spaces (the registry's rule).
STONE_ID_REGEX = r"[\x21-\x7e]{1,32}"
STONE_ID_PATTERN = re.compile(STONE_ID_REGEX)
# A weight as files and people write it ("12.34"); anything else takes `parse_centicarats`'s full parse.
PLAIN_CARAT_REGEX = r"[0-9]{1,5}(?:\.[0-9]{1,2})?"
_PLAIN_CARAT = re.compile(PLAIN_CARAT_REGEX)
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
TEXT_PATTERN = re.compile(r"[\x20-\x7e]{1,32}")
ZERO32 = b"\x00" * 32


def role_names(roles: int) -> list[str]:
    return [name for name, bit in ROLES.items() if roles & bit]


def parse_address(value: str, what: str = "address") -> str:
    """An Ethereum address as typed: all lower or all upper case, or mixed case that passes its
    EIP-55 checksum (one mistyped letter's case is caught, as wallets catch it)."""
    value = value.strip()
    if not Web3.is_address(value):
        raise InputError(f"{what} {value!r} is not an Ethereum address")
    body = value[2:] if value[:2].lower() == "0x" else value
    if body != body.lower() and body != body.upper() and not Web3.is_checksum_address(value):
        raise InputError(f"{what} {value!r} fails its EIP-55 checksum (a letter's case is wrong): check the address")
    return Web3.to_checksum_address(value)


def parse_stone_id(text: str) -> str:
    if not STONE_ID_PATTERN.fullmatch(text):
        raise InputError(f"stone ID {text!r} must be 1 to 32 printable ASCII characters without spaces")
    return text


def token_ids(stone_ids: Iterable[str]) -> Iterator[int]:
    """The token ids of checked stone IDs: each ID's bytes, left-aligned in 32 bytes (as the
    registry derives them). Mapped in C: a production run's ids in milliseconds."""
    return map(int.from_bytes, map(bytes.ljust, map(str.encode, stone_ids), repeat(32), repeat(b"\0")), repeat("big"))


def token_of(stone_id: str) -> int:
    return next(token_ids((stone_id,)))


def token_id(stone_id: str) -> int:
    """The token id of a stone ID as typed."""
    return token_of(parse_stone_id(stone_id))


def stone_id(token: int) -> str:
    """The stone ID held in a token id."""
    return token.to_bytes(32, "big").rstrip(b"\0").decode("ascii", errors="replace")


def parse_stone(ref: str) -> int:
    """A token id from what a user typed: a decimal or 0x token id, or a producer stone ID."""
    ref = ref.strip()
    if re.fullmatch(r"0x[0-9a-fA-F]{1,64}", ref):
        return int(ref, 16)
    if re.fullmatch(r"[0-9]{33,78}", ref):
        return int(ref)
    return token_id(ref)


def text32(text: str, what: str = "value") -> bytes:
    """Short printable-ASCII text as the registry's left-aligned bytes32."""
    if not TEXT_PATTERN.fullmatch(text) or text.startswith(" "):
        raise InputError(f"{what} {text!r} must be 1 to 32 printable ASCII characters")
    return text.encode("ascii").ljust(32, b"\0")


def text_of(raw: bytes) -> str:
    return bytes(raw).rstrip(b"\0").decode("ascii", errors="replace")


def country(code: str) -> bytes:
    if code not in COUNTRIES:
        raise InputError(f"country {code!r} is not an ISO 3166-1 alpha-2 code (such as BW for Botswana)")
    return code.encode("ascii")


def parse_centicarats(text: str, what: str = "carat", maximum: int = MAX_CENTICARATS) -> int:
    """'1.05' -> 105. A decimal > 0 with at most two decimals, up to `maximum` centicarats."""
    plain = plain_centicarats([text]) if _PLAIN_CARAT.fullmatch(text) else None
    if plain and plain[0] <= maximum:
        return plain[0]
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise InputError(f"{what} {text!r} is not a decimal number") from None
    if not value.is_finite():
        raise InputError(f"{what} {text!r} is not a finite number")
    if value <= 0:
        raise InputError(f"{what} {text!r} must be greater than 0")
    if value > Decimal(maximum) / 100:
        raise InputError(f"{what} {text!r} exceeds the maximum of {format_carat(maximum)} ct")
    centicarats = value * 100
    if centicarats != centicarats.to_integral_value():
        raise InputError(f"{what} {text!r} has more than two decimals")
    return int(centicarats)


def plain_centicarats(texts: Sequence[str]) -> list[int] | None:
    """The weights of plain carat texts (each matching `PLAIN_CARAT_REGEX`), or None if one is out
    of range and needs `parse_centicarats` to say why. Five digits and two decimals are exact in
    a float: x.yz * 100 rounds to xyz. Mapped in C, as a whole column at a time."""
    weights = list(map(round, map(float.__mul__, map(float, texts), repeat(100.0))))
    return weights if weights and 0 < min(weights) and max(weights) <= MAX_CENTICARATS else None


def format_carat(centicarats: int) -> str:
    return f"{centicarats // 100}.{centicarats % 100:02d}"


def day_number(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


def date_of_day(day: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=day)


def timestamp_of(date: dt.date, end_of_day: bool = False) -> int:
    """The unix time of a UTC date's first (or last) second."""
    moment = dt.datetime.combine(date, dt.time(23, 59, 59) if end_of_day else dt.time(0), dt.timezone.utc)
    return int(moment.timestamp())


def parse_date(text: str, what: str = "date") -> dt.date:
    """A date written YYYY-MM-DD (and only so: ISO 8601's other forms are not what a user means)."""
    found = _ISO_DATE.fullmatch(text.strip())
    if not found:
        raise InputError(f"{what} {text!r} is not a date in the form YYYY-MM-DD")
    try:
        return dt.date(*map(int, found.groups()))
    except ValueError:
        raise InputError(f"{what} {text!r} does not exist: there is no such day in the calendar") from None
