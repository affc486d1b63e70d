"""The admin's emergency stop: a paused registry refuses every state change but flagging."""

from __future__ import annotations

from web3.contract import Contract

from .sending import Sender, Sent


def set_paused(registry: Contract, sender: Sender, paused: bool) -> Sent:
    """Pauses the registry (`paused`), or lifts the pause; the admin only."""
    return sender.send(registry.functions.pause() if paused else registry.functions.unpause())
