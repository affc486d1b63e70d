"""brownie run scripts/deploy.py [main ACCOUNT [DEPLOYMENT.json [replace]]]: deploy the registry on the active network.

An existing deployment record is kept: the deploy is refused unless `replace` is given, and then
the earlier record is moved aside."""

from pathlib import Path

from diamondtrace import brownie_bridge, deployments
from diamondtrace.deployments import Deployment


@brownie_bridge.script
def main(account="0", deployment=None, replace=None):
    chain = brownie_bridge.chain()
    path = Path(deployment) if deployment else Deployment.default_path(chain.chain_id)
    record, aside = deployments.deploy_recorded(chain, brownie_bridge.sender(account), path, replace=replace in (True, "replace"))
    if aside:
        print(f"the earlier record was moved to {aside}")
    print(f"registry {record.registry} deployed; record {path}")
    return record
