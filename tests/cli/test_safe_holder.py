"""A 2-of-3 Safe (safe-smart-account 1.5.0, deployed from its npm artifacts) holds stones and
moves one with an authorization its owners sign separately (`transfer --holder SAFE
--sign-only`, one file each), which `broadcast` combines into the Safe's ERC-1271 signature; one
owner alone, a stranger, or files for different moves are refused with nothing sent. The relayed
transfer's gas with a Safe holder is measured against an EOA holder's, for the same kind of move."""

import json

import pytest
from authorization_support import PRODUCER, holder_of, mint, refused
from cli_support import ADMIN, RELAYER, address
from safe_support import create_safe, deploy_safe

from diamondtrace import safe as multisig
from diamondtrace.chain import connect
from diamondtrace.sending import Sender
from diamondtrace.wallet import dev_account, dev_signer

OWNERS = [13, 14, 15]  # dev accounts outside the cast: the Safe's owners, who sign and send nothing
STRANGER = 16
EOA_HOLDER = 9  # the cast's trader_bw, a trader in Botswana as the Safe is


@pytest.fixture
def safe(dt):
    """A 2-of-3 Safe accredited as a trader in Botswana (inside the test's snapshot)."""
    link = connect(dt.url)
    sender = Sender(link, dev_signer(ADMIN, link.chain_id))
    created = create_safe(sender, deploy_safe(sender), [address(i) for i in OWNERS], 2)
    dt("participant", "add", created.address, "--role", "trader", "--name", "Gaborone Safe Traders", "--country", "BW",
       "--dev-account", ADMIN)  # fmt: skip
    return created.address


def held_by(dt, tmp_path, prefix: str, holder: str) -> str:
    """A stone the producer mints and sells to `holder`."""
    stone = mint(dt, tmp_path, prefix)
    dt("transfer", stone, "--to", holder, "--dev-account", PRODUCER)
    assert holder_of(dt, stone) == holder
    return stone


def share(dt, tmp_path, stone, safe, owner, name=None, to=None, **extra):
    """The file owner `owner` (a dev account) writes as its share of the Safe's authorization."""
    out = tmp_path / (name or f"share-{owner}.json")
    args = ["transfer", stone, "--to", to or address("producer"), "--holder", safe, "--sign-only", out]
    r = dt(*args, "--dev-account", owner, json=True, **extra)
    return out, r


def test_two_owners_sign_separately_and_broadcast_moves_the_safes_stone(dt, tmp_path, safe):
    stone = held_by(dt, tmp_path, "BW-SAFE", safe)
    first, written = share(dt, tmp_path, stone, safe, OWNERS[2])
    assert written.json["signer"] == address(OWNERS[2]) and written.json["safe"] == safe
    assert (written.json["owners"], written.json["threshold"]) == (3, 2)
    data = json.loads(first.read_text())
    assert set(data) == {"description", "typedData", "signature", "safe"}
    assert data["safe"] == {"address": safe, "owner": address(OWNERS[2])}
    assert data["typedData"]["message"]["holder"] == safe and data["typedData"]["primaryType"] == "CustodyAuthorization"
    assert f"One owner's share of Safe {safe}'s signature (2 of 3 owners must sign)" in data["description"]
    second, _ = share(dt, tmp_path, stone, safe, OWNERS[0])
    assert json.loads(second.read_text())["typedData"] == data["typedData"]  # the same authorization, signed twice

    # Each share is an owner's signature of the Safe's SafeMessage wrapping the registry's digest.
    w3 = connect(dt.url).w3
    digest = dt.registry().functions.authorizationDigest(_auth(data["typedData"]["message"])).call()
    wrapped = multisig.SafeMessage(safe, 31337, digest)
    assert multisig.signer_of(wrapped, bytes.fromhex(data["signature"][2:])) == address(OWNERS[2])
    handler = w3.eth.contract(address=safe, abi=[_GET_MESSAGE_HASH])
    assert handler.functions.getMessageHash(digest).call() == wrapped.hash()

    relayed = dt("broadcast", first, second, "--dev-account", RELAYER, json=True).json
    assert (relayed["from"], relayed["to"]) == (safe, address("producer"))
    assert holder_of(dt, stone) == address("producer")
    assert w3.eth.get_transaction(relayed["transaction"])["from"] == address(RELAYER)
    report = dt("verify", stone, json=True).json
    assert report["holder"] == address("producer")
    assert [r["to"] for r in report["custody"][-2:]] == [safe, address("producer")]
    dt("verify", stone)  # exit 0: the record is whole
    # Used once: the same shares again are a replay, refused before sending.
    refused(dt, stone, "broadcast", first, second, "--dev-account", RELAYER, contains="was already used")


def test_one_owner_alone_a_stranger_or_different_moves_are_refused_with_nothing_sent(dt, tmp_path, safe):
    stone = held_by(dt, tmp_path, "BW-SAFX", safe)
    first, _ = share(dt, tmp_path, stone, safe, OWNERS[0])
    broadcast = ("broadcast", "--dev-account", RELAYER)
    refused(dt, stone, *broadcast, first, contains=["2 of 3 owners must sign; 1 signature given", "nothing was sent"])
    refused(dt, stone, *broadcast, first, first, contains=f"{address(OWNERS[0])} signed twice; each owner counts once")

    # A stranger cannot write a share; one made by hand is refused when broadcast.
    r = dt("transfer", stone, "--to", address("producer"), "--holder", safe, "--sign-only", tmp_path / "stranger.json",
           "--dev-account", STRANGER, expect=2)  # fmt: skip
    assert f"{address(STRANGER)} is not an owner of Safe {safe}" in r.err and not (tmp_path / "stranger.json").exists()
    data = json.loads(first.read_text())
    digest = dt.registry().functions.authorizationDigest(_auth(data["typedData"]["message"])).call()
    forged = multisig.sign(multisig.SafeMessage(safe, 31337, digest), dev_account(STRANGER))
    stranger = tmp_path / "stranger.json"
    stranger.write_text(
        json.dumps({**data, "signature": "0x" + forged.hex(), "safe": {"address": safe, "owner": address(STRANGER)}})
    )
    refused(dt, stone, *broadcast, first, stranger, contains=f"{address(STRANGER)} is not an owner of Safe {safe}")
    # A stranger's signature under an owner's name is not that owner's share.
    posing = tmp_path / "posing.json"
    posing.write_text(
        json.dumps({**data, "signature": "0x" + forged.hex(), "safe": {"address": safe, "owner": address(OWNERS[1])}})
    )
    refused(dt, stone, *broadcast, first, posing,
            contains=[f"its signature is not {address(OWNERS[1])}'s share of this authorization",
                      f"(it was made by {address(STRANGER)})"])  # fmt: skip

    # Shares of different moves do not add up, even from two owners.
    elsewhere, _ = share(dt, tmp_path, stone, safe, OWNERS[1], name="elsewhere.json", to=address("trader_bw"))
    refused(dt, stone, *broadcast, first, elsewhere, contains="authorize different things (their typedData differ in to)")
    altered = tmp_path / "altered.json"
    second, _ = share(dt, tmp_path, stone, safe, OWNERS[1])
    changed = json.loads(second.read_text())
    changed["typedData"]["message"]["to"] = address("trader_bw")
    altered.write_text(json.dumps(changed))
    refused(dt, stone, *broadcast, first, altered, contains="authorize different things")
    refused(dt, stone, *broadcast, altered, elsewhere, contains=f"its signature is not {address(OWNERS[1])}'s share")
    # A holder's own signed file is not a share; --signature goes with one unsigned file.
    own = held_by(dt, tmp_path, "BW-SAFO", address("trader_bw"))
    mine = tmp_path / "mine.json"
    dt("transfer", own, "--to", address("producer"), "--sign-only", mine, "--dev-account", EOA_HOLDER)
    refused(dt, stone, *broadcast, first, mine, contains="is no Safe owner's share")
    refused(dt, own, *broadcast, mine, mine, contains="is no Safe owner's share")
    refused(dt, stone, *broadcast, first, second, "--signature", "0x12", contains="--signature goes with one unsigned file")
    # Offline, the Safe's owners cannot be read: a share is signed online.
    r = dt("transfer", stone, "--to", address("producer"), "--holder", safe, "--sign-only", tmp_path / "offline.json",
           "--chain-id", 31337, "--registry", dt.registry().address, "--nonce", 0, "--last-record-block", 1,
           "--dev-account", OWNERS[0], expect=2)  # fmt: skip
    assert "a Safe owner signs its share online" in r.err
    # The two owners' shares of the same move still move it: the refusals above were the files'.
    dt(*broadcast, second, first)
    assert holder_of(dt, stone) == address("producer")


def test_a_contract_that_is_no_safe_is_refused_as_holder(dt, tmp_path):
    registry = dt.registry().address  # a contract, and not a Safe
    stone = mint(dt, tmp_path, "BW-SAFN")
    r = dt("transfer", stone, "--to", address("producer"), "--holder", registry, "--sign-only", tmp_path / "no.json",
           "--dev-account", OWNERS[0], expect=2)  # fmt: skip
    assert f"--holder {registry} is neither your key's address ({address(OWNERS[0])}) nor a Safe" in r.err
    assert "Traceback" not in r.err and not (tmp_path / "no.json").exists()


def test_relayed_transfer_gas_of_a_safe_holder_against_an_eoa_holder(dt, tmp_path, safe):
    """The same kind of move, each holder's first authorization of a stone it bought: a sale to
    the producer, relayed; the Safe's costs its ERC-1271 check of two owners' signatures."""
    by_safe = held_by(dt, tmp_path, "BW-GASS", safe)
    by_eoa = held_by(dt, tmp_path, "BW-GASE", address(EOA_HOLDER))
    shares = [share(dt, tmp_path, by_safe, safe, owner)[0] for owner in OWNERS[:2]]
    signed = tmp_path / "eoa.json"
    dt("transfer", by_eoa, "--to", address("producer"), "--sign-only", signed, "--dev-account", EOA_HOLDER)
    eoa_gas = dt("broadcast", signed, "--dev-account", RELAYER, json=True).json["gas_used"]
    safe_gas = dt("broadcast", *shares, "--dev-account", RELAYER, json=True).json["gas_used"]
    assert holder_of(dt, by_safe) == holder_of(dt, by_eoa) == address("producer")
    print(f"\nrelayed transferCustodySigned gas: EOA holder {eoa_gas}, 2-of-3 Safe holder {safe_gas} (+{safe_gas - eoa_gas})")
    assert eoa_gas < safe_gas < eoa_gas + 60_000  # ERC-1271 through the Safe's fallback handler: two ecrecovers, a few calls


_GET_MESSAGE_HASH = {
    "type": "function",
    "name": "getMessageHash",
    "stateMutability": "view",
    "inputs": [{"type": "bytes", "name": "message"}],
    "outputs": [{"type": "bytes32", "name": ""}],
}


def _auth(message: dict) -> tuple:
    """A signed file's message as the registry's CustodyAuthorization tuple."""
    number = ("tokenId", "action", "nonce", "lastRecordBlock", "deadline")
    fields = ("tokenId", "holder", "to", "action", "document", "certificate", "warranty", "nonce", "lastRecordBlock", "deadline")
    return tuple(
        int(message[f]) if f in number else bytes.fromhex(message[f][2:]) if f in ("document", "certificate") else message[f]
        for f in fields
    )
