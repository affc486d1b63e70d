"""A Safe multisig as a stone's holder. The registry asks a contract holder whether a signature is
its own (ERC-1271); a Safe says yes when enough of its owners signed its `SafeMessage` wrapping
the authorization's digest. So each owner signs that on its own, with its own key
(`transfer --holder SAFE --sign-only`), into a file of its own: one share. `broadcast` takes the
shares, checks them in words (the same authorization, owners of the Safe, each once, enough for
its threshold) and combines them into the Safe's signature, which the Safe itself then vouches
for before anything is sent."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from web3 import Web3

from . import authorization_files, safe
from .authorization_files import AuthorizationFile, Online
from .authorizations import DEFAULT_VALIDITY, Authorization, Given, Move, authorize, digest
from .errors import InputError
from .wallet import Signer


@dataclass(frozen=True)
class Share:
    """An owner's signed share of a Safe's authorization, as written."""

    owner: str
    auth: Authorization
    owners: int
    threshold: int

    def of(self) -> str:
        return f"{self.threshold} of {self.owners} owners must sign"


def message(chain_id: int, registry: str, auth: Authorization) -> safe.SafeMessage:
    """What each owner of the Safe holding the stone signs for `auth`."""
    return safe.SafeMessage(auth.holder, chain_id, digest(chain_id, registry, auth))


def shared_valid_until() -> dt.date:
    """The default last valid day of a share: a week from today (UTC), a whole day, so that
    owners signing the same move on the same day sign the identical authorization."""
    return dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(seconds=DEFAULT_VALIDITY)


def sign_share(out: Path, move: Move, given: Given, holder: str, signer_for: Callable[[int], Signer], online: Online) -> Share:
    """The signer's share, as one of the owners of the Safe `holder` that holds the stone, of
    the Safe's authorization for `move`, written to `out`."""
    authorization_files.check_free(out)
    move = dataclasses.replace(move, valid_until=move.valid_until or shared_valid_until())
    if given.chain_id is not None:
        raise InputError(
            "a Safe owner signs its share online: the Safe's owners and threshold are read from the chain "
            "(leave out --chain-id and --registry); nothing was signed"
        )
    chain_id, reader = online()
    signer = signer_for(chain_id)
    safe_found = safe.owners_of(reader.w3, holder)
    if safe_found is None:
        raise InputError(
            f"--holder {holder} is neither your key's address ({signer.address}) nor a Safe (a contract that answers "
            "getOwners and getThreshold as a Safe does): with --sign-only, --holder names a Safe you are an owner of; "
            "nothing was signed"
        )
    found, threshold = safe_found
    if signer.address not in found:
        raise InputError(
            f"{signer.address} is not an owner of Safe {holder} (its owners: {', '.join(found)}): "
            "only its owners' shares make its signature; nothing was signed"
        )
    inputs, auth = authorize(move, lambda _: holder, given, online)
    share = Share(signer.address, auth, len(found), threshold)
    signature = safe.sign(message(inputs.chain_id, inputs.registry, auth), signer.account)
    data = authorization_files.share_file(inputs.chain_id, inputs.registry, auth, signer.address, signature, share.of())
    authorization_files.write(out, data)
    return share


def _differences(one: AuthorizationFile, other: AuthorizationFile) -> list[str]:
    fields = {"chainId": (one.chain_id, other.chain_id), "verifyingContract": (one.registry, other.registry)}
    fields |= {name: (value, getattr(other.auth, name)) for name, value in vars(one.auth).items()}
    return [name for name, (mine, theirs) in fields.items() if mine != theirs]


def combined(w3: Web3, files: list[AuthorizationFile]) -> AuthorizationFile:
    """The owners' shares in `files` as one authorization signed by their Safe: the same
    authorization in each, each signed by the owner it names, owners of the Safe, each once,
    enough for its threshold. Whether the Safe accepts the result is for its ERC-1271 to say."""
    first = files[0]
    for file in files:
        if file.owner is None:
            raise InputError(
                f"{file.source} is no Safe owner's share (it has no \"safe\" part): a holder's own signed file is broadcast alone"
            )
        differ = _differences(first, file)
        if differ:
            raise InputError(
                f"{file.source} and {first.source} authorize different things (their typedData differ in "
                f"{', '.join(differ)}): the owners' shares must carry the identical authorization, signed for "
                "the same move with the same --valid-until (or on the same day)"
            )
    safe_found = safe.owners_of(w3, first.auth.holder)
    if safe_found is None:
        raise InputError(
            f"the authorization's holder {first.auth.holder} is not a Safe on this chain: "
            "owners' shares are combined only into a Safe's signature"
        )
    found, threshold = safe_found
    signable = message(first.chain_id, first.registry, first.auth)
    for file in files:
        signer = safe.signer_of(signable, file.signature)
        if signer != file.owner:
            raise InputError(
                f"{file.source}: its signature is not {file.owner}'s share of this authorization (it was made by "
                f"{signer}): the file was altered after it was signed, or someone else signed it"
            )
    packed = safe.checked(signable, found, threshold, [file.signature for file in files])
    return dataclasses.replace(first, source=" + ".join(file.source for file in files), signature=packed, owner=None)
