"""brownie run scripts/verify.py main STONE: a stone's provenance and integrity verdict."""

from diamondtrace import brownie_bridge, verify
from diamondtrace.cli import render_provenance
from diamondtrace.model import parse_stone


def main(stone):
    deployment, registry = brownie_bridge.registry()
    report = verify.provenance(registry, parse_stone(stone), deployment.block)
    print(render_provenance(report))
    return report
