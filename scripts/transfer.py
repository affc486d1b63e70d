"""brownie run scripts/transfer.py main STONE TO [ACTION [ACCOUNT [DEPLOYMENT.json]]]: a custody transfer."""

from diamondtrace import brownie_bridge, custody
from diamondtrace.model import ZERO32, Action, parse_stone


def main(stone, to, action="sale", account="0", deployment=None):
    _, registry = brownie_bridge.registry(deployment)
    sender = brownie_bridge.sender(account)
    sent = custody.transfer(registry, sender, parse_stone(stone), to, Action.parse(action), ZERO32, ZERO32)
    print(f"{stone} moved to {to} in block {sent.block}")
    return sent
