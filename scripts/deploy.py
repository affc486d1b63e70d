"""brownie run scripts/deploy.py [main ACCOUNT [DEPLOYMENT.json]]: deploy the registry on the active network."""

from pathlib import Path

from diamondtrace import brownie_bridge, deployments
from diamondtrace.deployments import Deployment


@brownie_bridge.script
def main(account="0", deployment=None):
    chain = brownie_bridge.chain()
    record = deployments.deploy(chain, brownie_bridge.sender(account))
    path = Path(deployment) if deployment else Deployment.default_path(chain.chain_id)
    record.save(path)
    print(f"registry {record.registry} deployed; record {path}")
    return record
