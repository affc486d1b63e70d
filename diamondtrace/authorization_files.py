"""The files an authorization travels in, both standard: `transfer --unsigned` writes exactly the
parameter of a wallet's `eth_signTypedData_v4`, for the holder's wallet to sign; `transfer
--sign-only` writes `{"typedData": <that parameter>, "signature": "0x..."}`. Each carries a
`description` in words beside it, which is not signed (a wallet shows the message itself).
A Safe's owner writes its share of the Safe's signature in the same shape, plus
`"safe": {"address", "owner"}`: its signature is of the Safe's `SafeMessage` wrapping the
authorization's digest (see `safe_holders`). Reading one back checks, field by field, that it is
the registry's authorization."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .authorizations import (
    AUTHORIZATION_FIELDS,
    DOMAIN_FIELDS,
    DOMAIN_NAME,
    DOMAIN_VERSION,
    Authorization,
    Given,
    Move,
    authorize,
    sign_authorization,
    typed_data,
)
from .errors import InputError
from .model import ZERO32, Action, parse_address, stone_id, text_of
from .reader import Registry
from .records import iso_time
from .tables import read_json_object
from .wallet import Signer

# The format `transfer --sign-only` wrote before the standard one; no longer read.
OLD_TYPE = "diamondtrace/custody-authorization"
PRIMARY_TYPE = "CustodyAuthorization"


def describe(chain_id: int, registry: str, auth: Authorization) -> str:
    """The authorization in words, for the person about to sign it."""
    action = Action(auth.action).label
    extras = [
        "with the WDC System of Warranties statement" if auth.warranty else "without the SoW warranty statement",
        f"KP certificate {text_of(auth.certificate)}" if auth.certificate != ZERO32 else "no KP certificate",
        f"document hash 0x{bytes(auth.document).hex()}" if auth.document != ZERO32 else "no document",
    ]
    return (
        f"Authorizes moving stone {stone_id(auth.tokenId)} (token id {auth.tokenId}) from its holder {auth.holder} "
        f"to {auth.to}, action {action}, {', '.join(extras)}. Valid until {iso_time(auth.deadline)} and once only: it uses "
        f"the holder's nonce {auth.nonce}, and only while the stone's latest record is in block {auth.lastRecordBlock}. "
        f"For registry {registry} on chain id {chain_id}."
    )


def unsigned_file(chain_id: int, registry: str, auth: Authorization) -> dict[str, Any]:
    return {"description": describe(chain_id, registry, auth), **typed_data(chain_id, registry, auth)}


def signed_file(chain_id: int, registry: str, auth: Authorization, signature: bytes) -> dict[str, Any]:
    return {
        "description": describe(chain_id, registry, auth),
        "typedData": typed_data(chain_id, registry, auth),
        "signature": "0x" + signature.hex(),
    }


def share_file(chain_id: int, registry: str, auth: Authorization, owner: str, signature: bytes, of: str) -> dict[str, Any]:
    """One owner's share of the signature of the Safe that holds the stone (`auth.holder`); `of`
    says how many owners must sign, in words."""
    return {
        "description": (
            f"One owner's share of Safe {auth.holder}'s signature ({of}): its owner {owner} signed the Safe's "
            f"SafeMessage wrapping this authorization's EIP-712 digest. {describe(chain_id, registry, auth)}"
        ),
        "typedData": typed_data(chain_id, registry, auth),
        "signature": "0x" + signature.hex(),
        "safe": {"address": auth.holder, "owner": owner},
    }


Online = Callable[[], tuple[int, Registry]]


def unsigned(out: Path, move: Move, given: Given, holder: str | None, online: Online) -> Authorization:
    """Writes the authorization for `move` to `out` for `holder` (None: the stone's holder on the
    chain) to sign in its own wallet; no key is needed."""
    check_free(out)
    inputs, auth = authorize(move, lambda _: holder, given, online)
    write(out, unsigned_file(inputs.chain_id, inputs.registry, auth))
    return auth


def sign_only(
    out: Path, move: Move, given: Given, signer_for: Callable[[int], Signer], online: Online
) -> tuple[Signer, Authorization]:
    """Signs the authorization for `move` with the holder's key and writes it to `out`."""
    check_free(out)
    inputs, auth = authorize(move, lambda chain_id: signer_for(chain_id).address, given, online)
    signer = signer_for(inputs.chain_id)
    signature = sign_authorization(signer.account, inputs.chain_id, inputs.registry, auth)
    write(out, signed_file(inputs.chain_id, inputs.registry, auth, signature))
    return signer, auth


def check_free(out: Path) -> None:
    if out.exists():
        raise _taken(out)


def _taken(out: Path) -> InputError:
    return InputError(f"{out} already exists; choose another file")


def write(out: Path, data: dict[str, Any]) -> None:
    try:
        with open(out, "x", encoding="utf-8") as fp:
            fp.write(json.dumps(data, indent=2) + "\n")
    except FileExistsError:
        raise _taken(out) from None
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from None


# ---------------------------------------------------------------------------------------------
# Reading a file back
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationFile:
    """A signed authorization as read: what it names, and the signature (not yet checked)."""

    source: str
    chain_id: int
    registry: str
    auth: Authorization
    signature: bytes
    owner: str | None = None  # a Safe owner's share: `signature` is the owner's, of the Safe's SafeMessage


def read(path: Path, signature: str | None = None) -> AuthorizationFile:
    """A `--sign-only` file, or an `--unsigned` one with the `signature` its holder's wallet made."""
    source = str(path)
    data = read_json_object(path, "custody authorization")
    if data.get("type") == OLD_TYPE:
        raise InputError(
            f"{path} is in DiamondTrace's old signed-authorization format ({OLD_TYPE}), no longer read: sign it again "
            'with `diamondtrace transfer ... --sign-only`, which writes the standard {"typedData": ..., "signature": ...}'
        )
    if "typedData" in data:
        if signature is not None:
            raise InputError(f"{path} is signed already: --signature goes with an unsigned file (`transfer --unsigned`)")
        typed, signature_text, where = data["typedData"], data.get("signature"), f"{path}: signature"
    elif "types" in data:
        if signature is None:
            raise InputError(
                f"{path} is not signed: give the holder's signature of it with --signature 0x... "
                "(what its wallet's eth_signTypedData_v4 returned)"
            )
        typed, signature_text, where = data, signature, "--signature"
    else:
        raise InputError(
            f"{path} is not a custody authorization: it has neither typedData (a signed file) nor types (an unsigned one)"
        )
    chain_id, registry, auth = _typed(typed, source)
    owner = _owner(data["safe"], auth, source) if "safe" in data else None
    return AuthorizationFile(source, chain_id, registry, auth, _signature(signature_text, where), owner)


def _owner(safe: Any, auth: Authorization, source: str) -> str:
    """The owner whose share a file is, once its `safe` part names the authorization's holder."""
    if not isinstance(safe, dict) or set(safe) != {"address", "owner"}:
        raise InputError(f'{source}: its "safe" part must have exactly address (the Safe that holds the stone) and owner')
    address = _field(safe["address"], "address", f"{source}: safe.address")
    if address != auth.holder:
        raise InputError(
            f"{source}: safe.address {address} is not the authorization's holder {auth.holder}: "
            "a Safe's owners sign for the Safe that holds the stone"
        )
    return _field(safe["owner"], "address", f"{source}: safe.owner")


def _typed(typed: Any, source: str) -> tuple[int, str, Authorization]:
    """The chain id, registry and authorization of an `eth_signTypedData_v4` parameter, which must
    be the registry's type and domain exactly (a signature over anything else cannot match)."""
    if not isinstance(typed, dict):
        raise InputError(f"{source}: the typed data is not a JSON object")
    types = typed.get("types")
    if (
        typed.get("primaryType") != PRIMARY_TYPE
        or not isinstance(types, dict)
        or set(types) - {"EIP712Domain", PRIMARY_TYPE}
        or types.get("EIP712Domain", DOMAIN_FIELDS) != DOMAIN_FIELDS
        or types.get(PRIMARY_TYPE) != AUTHORIZATION_FIELDS
    ):
        raise InputError(
            f"{source}: its types are not the registry's {PRIMARY_TYPE} (domain version {DOMAIN_VERSION}): "
            "it is some other message, or was altered"
        )
    domain = typed.get("domain")
    if not isinstance(domain, dict) or set(domain) != {f["name"] for f in DOMAIN_FIELDS}:
        raise InputError(f"{source}: its domain must have exactly name, version, chainId and verifyingContract")
    if (domain["name"], domain["version"]) != (DOMAIN_NAME, DOMAIN_VERSION):
        raise InputError(
            f"{source} is signed for {domain['name']!r} version {domain['version']!r}, "
            f"not the registry's domain {DOMAIN_NAME!r} version {DOMAIN_VERSION!r}"
        )
    chain_id = _uint(domain["chainId"], 256, f"{source}: domain.chainId")
    registry = _field(domain["verifyingContract"], "address", f"{source}: domain.verifyingContract")
    message = typed.get("message")
    names = [f["name"] for f in AUTHORIZATION_FIELDS]
    if not isinstance(message, dict) or set(message) != set(names):
        raise InputError(f"{source}: its message must have exactly the fields {', '.join(names)}")
    values = {f["name"]: _field(message[f["name"]], f["type"], f"{source}: message.{f['name']}") for f in AUTHORIZATION_FIELDS}
    if values["action"] not in set(Action):
        raise InputError(f"{source}: message.action {values['action']} is not one of the registry's actions")
    return chain_id, registry, Authorization(**values)


def _field(value: Any, kind: str, what: str) -> Any:
    if kind.startswith("uint"):
        return _uint(value, int(kind[4:]), what)
    if kind == "address":
        return parse_address(_text(value, what), what)
    if kind == "bytes32":
        return _hex(value, what, 32)
    if not isinstance(value, bool):
        raise InputError(f"{what} must be true or false, not {value!r}")
    return value


def _uint(value: Any, bits: int, what: str) -> int:
    """A number as wallets write one: a JSON number, a decimal string or a 0x-hex string."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isdigit():
        number = int(value)
    elif isinstance(value, str) and value[:2] == "0x" and len(value) > 2:
        try:
            number = int(value, 16)
        except ValueError:
            number = None
    if number is None or not 0 <= number < 2**bits:
        raise InputError(f"{what} {value!r} is not a uint{bits} (a decimal or 0x-hex whole number)")
    return number


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string, not {value!r}")
    return value


def _hex(value: Any, what: str, size: int | None = None) -> bytes:
    text = _text(value, what)
    try:
        raw = bytes.fromhex(text[2:]) if text[:2] == "0x" else None
    except ValueError:
        raw = None
    if raw is None or (size is not None and len(raw) != size):
        raise InputError(f"{what} {text!r} is not 0x-hex{f' of {size} bytes' if size else ''}")
    return raw


def _signature(value: Any, what: str) -> bytes:
    """A signature as bytes; a 65-byte one's `v` as the registry's ECDSA takes it (27 or 28):
    hardware wallets return it as 0 or 1."""
    if value is None:
        raise InputError(f"{what} is missing")
    raw = _hex(value, what)
    if len(raw) == 65 and raw[64] in (0, 1):
        raw = raw[:64] + bytes([raw[64] + 27])
    return raw
