"""brownie run scripts/verify.py main STONE [DEPLOYMENT.json]: a stone's provenance and integrity verdict."""

from diamondtrace import brownie_bridge, verify
from diamondtrace.cli import render_provenance
from diamondtrace.model import parse_stone


def main(stone, deployment=None):
    record, registry = brownie_bridge.registry(deployment)
    report = verify.provenance(registry, parse_stone(stone), record.block)
    print(render_provenance(report))
    return report
