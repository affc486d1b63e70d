"""brownie run scripts/verify.py main STONE [DEPLOYMENT.json]: a stone's provenance and integrity verdict."""

from diamondtrace import brownie_bridge, verify
from diamondtrace.model import parse_stone
from diamondtrace.records import Registry


def main(stone, deployment=None):
    record, registry = brownie_bridge.registry(deployment)
    report = verify.provenance(Registry(registry), parse_stone(stone), record.block)
    print(verify.report(report))
    return report.as_json()
