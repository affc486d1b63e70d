"""Custody changes the holder or the admin sends: transfers (never to the zero address), the
recovery of a revoked holder's stones, and reports of theft or loss and their clearing. Transfers
signed by the holder for someone else to send are `authorizations`."""

from __future__ import annotations

from web3.contract import Contract

from .errors import InputError
from .model import ZERO32, Action, Flag
from .sending import Sender, Sent

# ---------------------------------------------------------------------------------------------
# Operations on stones, shared by the command and the brownie scripts.
# ---------------------------------------------------------------------------------------------


def transfer(
    registry: Contract,
    sender: Sender,
    token: int,
    to: str,
    action: Action,
    document: bytes,
    certificate: bytes,
    warranty: bool = False,
) -> Sent:
    """A custody transfer; `warranty`: the invoice (hashed as `document`) carries the WDC System of
    Warranties statement."""
    check_recipient(to)
    return sender.send(registry.functions.transferCustody(to, token, int(action), document, certificate, warranty))


def check_recipient(to: str, what: str = "--to") -> None:
    """A stone always has a holder: nobody may send one to the zero address (the registry's refusal
    would only say the sender is not approved)."""
    if int(to, 16) == 0:
        raise InputError(f"{what} is the zero address: a stone cannot be burnt or sent to nobody; give the recipient's address")


def recover(registry: Contract, sender: Sender, tokens: list[int], document: bytes) -> Sent:
    """The admin moves revoked participants' stones to their named successors."""
    if document == ZERO32:
        raise InputError("a recovery needs --document: the ruling or agreement behind it (only its hash is recorded)")
    return sender.send(registry.functions.recover(tokens, document))


def flag(registry: Contract, sender: Sender, token: int, reason: Flag, document: bytes = ZERO32) -> Sent:
    """The holder flags its stone; or the admin, on a report (`document` required)."""
    return sender.send(registry.functions.flag(token, int(reason), document))


def unflag(registry: Contract, sender: Sender, token: int, document: bytes) -> Sent:
    if document == ZERO32:
        raise InputError("clearing a flag needs --document: the report that the stone was recovered (only its hash is recorded)")
    return sender.send(registry.functions.clearFlag(token, document))
