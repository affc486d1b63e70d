"""brownie run scripts/mint_batch.py main FILE.csv [ACCOUNT]: register a production run."""

from pathlib import Path

from diamondtrace import brownie_bridge, mint


def main(file, account="0"):
    deployment, registry = brownie_bridge.registry()
    result = mint.mint(registry, brownie_bridge.sender(account), Path(file), from_block=deployment.block)
    print(f"registered {result.registered} stones; {result.already_registered} were already registered")
    return result
