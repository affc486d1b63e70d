"""brownie run scripts/accredit.py main ADDRESS ROLE NAME COUNTRY [PREFIX [ACCOUNT [DEPLOYMENT.json]]]:
accredit a participant (as the admin); ROLE is producer, trader, manufacturer, lab, retailer or
kp-authority; PREFIX ("" for none) is a producer's or manufacturer's stone-ID prefix for life."""

from diamondtrace import brownie_bridge, participants
from diamondtrace.model import parse_address


@brownie_bridge.script
def main(address, role, name, country, prefix="", account="0", deployment=None):
    _, registry = brownie_bridge.registry(deployment)
    participant = parse_address(address, "ADDRESS")
    admin = brownie_bridge.sender(account)
    sent = participants.add_participant(registry, admin, participant, role, name, country, prefix or None)
    prefixed = f", prefix {prefix}" if prefix else ""
    print(f"{participant} accredited as {role} in {country.upper()}{prefixed} in block {sent.block}")
    return sent
