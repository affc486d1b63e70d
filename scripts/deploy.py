"""brownie run scripts/deploy.py [main ACCOUNT]: deploy the registry on the active network."""

from diamondtrace import admin, brownie_bridge
from diamondtrace.contracts import Deployment


def main(account="0"):
    chain = brownie_bridge.chain()
    deployment = admin.deploy(chain, brownie_bridge.sender(account))
    path = Deployment.default_path(chain.chain_id)
    deployment.save(path)
    print(f"registry {deployment.registry} deployed; record {path}")
    return deployment
