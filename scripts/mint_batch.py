"""brownie run scripts/mint_batch.py main FILE.csv [ACCOUNT [DEPLOYMENT.json]]: register a production run."""

from pathlib import Path

from diamondtrace import brownie_bridge, mint


@brownie_bridge.script
def main(file, account="0", deployment=None):
    _, registry = brownie_bridge.registry(deployment)
    result = mint.mint(registry, brownie_bridge.sender(account), Path(file))
    print(f"registered {result.registered} stones; {result.already_registered} were already registered")
    return result
