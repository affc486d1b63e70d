"""The registry's admin handed to a 2-of-3 Safe (safe-smart-account 1.5.0, deployed from its npm
artifacts): the two-step handover, an accreditation as a Safe transaction, and what is refused,
by our check before sending and by the Safe itself."""

import dataclasses
import json
import re

import pytest
from brownie import accounts, web3
from eth_account import Account
from eth_utils import keccak
from helpers import reverts
from safe_support import SAFE_PACKAGE, create_safe, deploy_safe, safe_artifact

from diamondtrace import safe as multisig
from diamondtrace.chain import connect
from diamondtrace.deployments import registry_contract
from diamondtrace.errors import ChainError, InputError
from diamondtrace.model import ROLES, ZERO32
from diamondtrace.participants import accreditation, add_participant
from diamondtrace.reader import Registry
from diamondtrace.records import ZERO_ADDRESS
from diamondtrace.sending import Sender
from diamondtrace.toolchain import PROJECT_ROOT
from diamondtrace.wallet import dev_account, dev_signer

# Fresh keys: a Safe's owners sign and hold no ether; someone else sends. In descending order of
# address, so the Safe accepts their signatures only because `combine` sorts them.
OWNERS = sorted(
    (Account.from_key(keccak(text=f"DiamondTrace consortium owner {i}")) for i in range(3)),
    key=lambda owner: int(owner.address, 16),
    reverse=True,
)
STRANGER = Account.from_key(keccak(text="not an owner"))
NEWCOMER = dev_account(19).address  # not accredited by the cast in conftest


def _sender(account):
    """The library's own connection to brownie's chain, as a consortium's would be to theirs."""
    link = connect(web3.provider.endpoint_uri)
    return Sender(link, dev_signer(list(accounts).index(account), link.chain_id))


@pytest.fixture(scope="module")
def deployment(cast):
    return deploy_safe(_sender(cast.relayer))


@pytest.fixture(scope="module")
def safe(cast, deployment):
    return create_safe(_sender(cast.relayer), deployment, [owner.address for owner in OWNERS], 2)


@pytest.fixture
def relayer(cast):
    """Anyone funded sends the owners' signatures (a fresh Sender each test: each test's chain
    is rewound, and a Sender keeps its nonce)."""
    return _sender(cast.relayer)


@pytest.fixture
def view(registry, relayer):
    return registry_contract(relayer.w3, registry.address)


def _accreditation(view):
    return accreditation(view, NEWCOMER, "trader", "Dubai Diamond Traders", "AE")


def _signed(safe, call, *owners):
    tx = multisig.propose(safe, call)
    return tx, [multisig.sign(tx, owner) for owner in owners]


@pytest.fixture
def safe_admin(registry, cast, safe, view, relayer):
    registry.transferOwnership(safe.address, {"from": cast.admin})
    multisig.execute(safe, relayer, *_signed(safe, view.functions.acceptOwnership(), OWNERS[0], OWNERS[1]))
    return safe


def test_the_safe_is_the_npm_packages_own_build(safe, deployment):
    assert json.loads((SAFE_PACKAGE / "package.json").read_text())["version"] == "1.5.0"
    singleton = deployment.singleton
    assert web3.eth.get_storage_at(safe.address, 0)[12:] == bytes.fromhex(singleton.address[2:])  # the proxy's singleton
    assert singleton.functions.VERSION().call() == "1.5.0"
    assert web3.eth.get_code(singleton.address).to_0x_hex() == safe_artifact("Safe")["deployedBytecode"]
    assert sorted(safe.functions.getOwners().call()) == sorted(owner.address for owner in OWNERS)
    assert safe.functions.getThreshold().call() == 2
    # The library's few ABI entries are the Safe's own.
    for entry in multisig.SAFE_ABI:
        assert entry in [{**e, "inputs": [{"type": i["type"], "name": i["name"]} for i in e["inputs"]],
                          "outputs": [{"type": o["type"], "name": ""} for o in e["outputs"]]}
                         for e in safe_artifact("Safe")["abi"] if e["type"] == "function"]  # fmt: skip


def test_our_safe_transaction_hash_is_the_safes(safe, view):
    tx = multisig.propose(safe, _accreditation(view))
    full = web3.eth.contract(address=safe.address, abi=safe_artifact("Safe")["abi"])
    zero = ZERO_ADDRESS
    assert tx.hash() == full.functions.getTransactionHash(tx.to, 0, tx.data, 0, 0, 0, 0, zero, zero, tx.nonce).call()
    assert json.loads(json.dumps(tx.typed_data()))["message"]["data"] == "0x" + tx.data.hex()  # a wallet's JSON
    assert tx.hash() != multisig.SafeTransaction(tx.safe, tx.chain_id, tx.to, tx.data, tx.nonce + 1).hash()


def test_the_admin_is_handed_to_the_safe_in_two_steps(registry, cast, safe, view, relayer):
    registry.transferOwnership(safe.address, {"from": cast.admin})
    assert (registry.owner(), registry.pendingOwner()) == (cast.admin, safe.address)
    # Until it accepts, the Safe is not the admin: its accreditation is refused before sending.
    before = web3.eth.block_number
    with pytest.raises(InputError, match="OwnableUnauthorizedAccount"):
        multisig.execute(safe, relayer, *_signed(safe, _accreditation(view), OWNERS[0], OWNERS[1]))
    assert web3.eth.block_number == before

    multisig.execute(safe, relayer, *_signed(safe, view.functions.acceptOwnership(), OWNERS[0], OWNERS[1]))
    assert (registry.owner(), registry.pendingOwner()) == (safe.address, ZERO_ADDRESS)
    assert safe.functions.nonce().call() == 1


def test_an_accreditation_is_a_safe_transaction_signed_by_two_owners(registry, safe_admin, view, relayer):
    tx, (third, first) = _signed(safe_admin, _accreditation(view), OWNERS[2], OWNERS[0])
    signatures = [third, first[:64] + bytes([first[64] - 27])]  # v as 0 or 1, as a Ledger gives it
    sent = multisig.execute(safe_admin, relayer, tx, signatures)
    newcomer = Registry(view).participant(NEWCOMER)
    assert (newcomer.roles, newcomer.country, newcomer.name) == (["trader"], "AE", "Dubai Diamond Traders")
    assert registry.owner() == safe_admin.address
    assert web3.eth.get_transaction(sent.hash)["from"] == relayer.address
    # Run once: the same signatures again are for a nonce the Safe has passed.
    with pytest.raises(InputError, match="signed for nonce 1 of Safe .* which is at nonce 2: it ran already"):
        multisig.execute(safe_admin, relayer, tx, signatures)


def test_one_owner_alone_is_refused_by_our_check_and_by_the_safe(registry, safe_admin, view, relayer):
    tx, signatures = _signed(safe_admin, _accreditation(view), OWNERS[1])
    before = web3.eth.block_number
    with pytest.raises(InputError, match="^2 of 3 owners must sign; 1 signature given$"):
        multisig.execute(safe_admin, relayer, tx, signatures)
    assert web3.eth.block_number == before

    # Sent anyway, past our check: the Safe refuses it (GS020: signatures too short for its threshold).
    call = multisig.execution(safe_admin, tx, multisig.combine(tx, signatures))
    with pytest.raises(ChainError, match="GS020"):
        relayer.wait(relayer.submit(relayer.build(call, gas=500_000)), call)
    assert not Registry(view).participant(NEWCOMER).accredited
    assert safe_admin.functions.nonce().call() == tx.nonce


def test_signatures_of_strangers_or_of_another_transaction_are_refused(safe_admin, view, relayer):
    tx, (mine, stranger) = _signed(safe_admin, _accreditation(view), OWNERS[0], STRANGER)
    other = multisig.SafeTransaction(tx.safe, tx.chain_id, tx.to, tx.data, tx.nonce + 1)
    before = web3.eth.block_number
    refusals = {
        f"{STRANGER.address} is not an owner of Safe {safe_admin.address}": [mine, stranger],
        "is not an owner of Safe": [mine, multisig.sign(other, OWNERS[1])],
        f"{OWNERS[0].address} signed twice": [mine, mine],
        "is 65 bytes": [mine, mine[:64]],
        "not a valid ECDSA signature": [mine, bytes(65)],
    }
    with pytest.raises(
        InputError, match=f"signed for Safe {tx.safe} on chain id 1, not Safe {tx.safe} on chain id {tx.chain_id}"
    ):
        multisig.execute(safe_admin, relayer, dataclasses.replace(tx, chain_id=1), [mine, multisig.sign(tx, OWNERS[1])])
    for message, signatures in refusals.items():
        with pytest.raises(InputError, match=message):
            multisig.execute(safe_admin, relayer, tx, signatures)
    assert web3.eth.block_number == before


def test_the_old_admin_can_no_longer_accredit(registry, cast, safe_admin, view):
    with reverts("OwnableUnauthorizedAccount", cast.admin):
        registry.accredit(NEWCOMER, ROLES["trader"], b"AE", "Dubai Diamond Traders", ZERO32, {"from": cast.admin})
    with pytest.raises(InputError, match="OwnableUnauthorizedAccount"):
        add_participant(view, _sender(cast.admin), NEWCOMER, "trader", "Dubai Diamond Traders", "AE")
    assert not Registry(view).participant(NEWCOMER).accredited


def test_the_readmes_safe_example_runs_as_written(registry, cast, safe, view, relayer):
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8").split("### The admin as a Safe", 1)[1]
    example = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    registry.transferOwnership(safe.address, {"from": cast.admin})
    owner_a, owner_b, owner_c = OWNERS
    exec(example, {"chain": relayer.chain, "registry": view, "SAFE": safe.address, "newcomer": NEWCOMER, "anyone": relayer.signer,
                   "owner_a": owner_a, "owner_b": owner_b, "owner_c": owner_c})  # fmt: skip
    assert registry.owner() == safe.address and Registry(view).participant(NEWCOMER).roles == ["trader"]
