"""brownie run scripts/transfer.py main STONE TO [ACTION [ACCOUNT [DEPLOYMENT.json]]]: a custody transfer."""

from diamondtrace import brownie_bridge, custody
from diamondtrace.model import ZERO32, Action, parse_address, parse_stone


@brownie_bridge.script
def main(stone, to, action="sale", account="0", deployment=None):
    token, recipient, kind = parse_stone(stone), parse_address(to, "TO"), Action.parse(action)
    _, registry = brownie_bridge.registry(deployment)
    sent = custody.transfer(registry, brownie_bridge.sender(account), token, recipient, kind, ZERO32, ZERO32)
    print(f"{stone} moved to {recipient} in block {sent.block}")
    return sent
