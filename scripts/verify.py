"""brownie run scripts/verify.py main STONE [DEPLOYMENT.json]: a stone's provenance and integrity verdict
(exit 1 when the record is broken or the stone flagged, as `diamondtrace verify`)."""

from diamondtrace import brownie_bridge, verify
from diamondtrace.model import parse_stone
from diamondtrace.reader import Registry


@brownie_bridge.script
def main(stone, deployment=None):
    token = parse_stone(stone)
    record, registry = brownie_bridge.registry(deployment)
    report = verify.provenance(Registry(registry), token, record.block)
    print(verify.report(report))
    if report.exit_code:
        raise SystemExit(report.exit_code)
    return report.as_json()
