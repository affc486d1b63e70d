"""Contract errors in words: every custom error of interfaces/IDiamondTraceErrors.sol reaches a
user with its NatSpec notice (from the compiled output the package ships), its arguments shown as
a person reads them (role names, stone IDs, countries, dates, carats) and placed in the notice."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from brownie import web3
from faster_eth_abi import encode
from helpers import DOC, certificate_input, register
from web3.exceptions import ContractCustomError

from diamondtrace import compiler
from diamondtrace.artifacts import custom_errors, describe_revert, revert_message
from diamondtrace.chain import connect
from diamondtrace.deployments import certificates_contract, registry_contract
from diamondtrace.model import ROLES, ZERO32, Action, Flag, day_number, text32, token_id
from diamondtrace.toolchain import PROJECT_ROOT

ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
STONE = "BW-0001"
# A value for each argument, by type, and how it must read: one sample a person would recognise.
SAMPLES = {
    "address": (ADDRESS, ADDRESS),
    "bytes2": (b"BW", "BW"),
    "bytes32": (text32("BW-KP-0042"), "BW-KP-0042"),
}
BY_NAME = {
    "role": (ROLES["kp-authority"], "kp-authority"),
    "roles": (ROLES["producer"] | ROLES["trader"], "producer+trader"),
    "flag": (Flag.STOLEN, "stolen"),
    "action": (Action.RETAIL_SALE, "retail-sale"),
    "productionDay": (day_number(dt.date(2026, 11, 20)), "2026-11-20"),
    "issuedAt": (1_767_225_600, "2026-01-01 00:00:00 UTC"),
    "expiresAt": (1_767_225_600, "2026-01-01 00:00:00 UTC"),
    "deadline": (1_767_225_600, "2026-01-01 00:00:00 UTC"),
    "centicarats": (105, "1.05 ct"),
    "declared": (10_000, "100.00 ct"),
    "drawn": (9_950, "99.50 ct"),
    "requested": (100, "1.00 ct"),
    "parent": (300, "3.00 ct"),
    "children": (301, "3.01 ct"),
    "tokenId": (token_id(STONE), STONE),
    "parentId": (token_id(STONE), STONE),
}


@pytest.fixture(scope="module")
def interface_errors() -> list[dict]:
    """The errors interfaces/IDiamondTraceErrors.sol declares, from a compile of the sources."""
    out = compiler.compile_input(compiler.standard_input(["abi"]))["interfaces/IDiamondTraceErrors.sol"]["IDiamondTraceErrors"]
    errors = [entry for entry in out["abi"] if entry["type"] == "error"]
    declared = re.findall(r"^\s*error (\w+)\(", (PROJECT_ROOT / "interfaces" / "IDiamondTraceErrors.sol").read_text(), re.M)
    assert sorted(e["name"] for e in errors) == sorted(declared)
    return errors


def sample(kind: str, name: str) -> tuple[object, str | None]:
    if name in BY_NAME and not kind.startswith("bytes"):
        return BY_NAME[name]
    if kind in SAMPLES:
        return SAMPLES[kind]
    assert kind.startswith("uint"), f"no sample for {kind} {name}"
    return 7, "7"


def test_every_interface_error_renders_in_words(interface_errors):
    known = {e.name: e for e in custom_errors().values()}
    for entry in interface_errors:
        name, inputs = entry["name"], entry["inputs"]
        assert name in known, f"{name} is not among the errors the shipped contracts revert with"
        assert known[name].notice, f"{name} has no NatSpec notice in the compiled output"
        samples = [sample(i["type"], i["name"]) for i in inputs]
        signature = f"{name}({','.join(i['type'] for i in inputs)})"
        data = web3.keccak(text=signature)[:4] + encode([i["type"] for i in inputs], [value for value, _ in samples])
        words = describe_revert(data)
        head, _, notice = words.partition("): ")
        args = ", ".join(f"{i['name']}={shown}" for i, (_, shown) in zip(inputs, samples))
        assert head == f"{name}({args}", words
        assert notice.endswith(".") and len(notice) > 15, words
        # Every argument the notice names in backticks is replaced by its value.
        assert not set(re.findall(r"`(\w+)`", notice)) & {i["name"] for i in inputs}, words
        assert "b'" not in words and "0x" + "00" * 8 not in words, words


def test_roles_stones_and_odd_values_read_plainly():
    def words(signature: str, types: list[str], values: list) -> str:
        return describe_revert(web3.keccak(text=signature)[:4] + encode(types, values))

    missing = words("MissingRole(address,uint8)", ["address", "uint8"], [ADDRESS, 32])
    assert missing == (
        f"MissingRole(account={ADDRESS}, role=kp-authority): {ADDRESS} lacks participant role kp-authority (a single role bit)."
    )
    assert words("InvalidRoles(uint8)", ["uint8"], [0]).startswith("InvalidRoles(roles=no role): no role is empty")
    assert words("InvalidRoles(uint8)", ["uint8"], [64 | 1]).startswith("InvalidRoles(roles=producer+0x40 (no such role))")
    # A token id that is no stone ID (a space inside, or bytes that are not text) still reads as what it is.
    assert words("InvalidStoneId(uint256)", ["uint256"], [token_of_bytes(b"BW 1")]).startswith('InvalidStoneId(tokenId="BW 1")')
    assert "tokenId=0xff" in words("InvalidStoneId(uint256)", ["uint256"], [token_of_bytes(b"\xff")])
    assert words("StoneIsFlagged(uint256,uint8)", ["uint256", "uint8"], [token_id(STONE), 9]).startswith(
        f"StoneIsFlagged(tokenId={STONE}, flag=9 (out of range))"
    )
    overdrawn = words(
        "CertificateOverdrawn(bytes32,uint64,uint64,uint64)",
        ["bytes32", "uint64", "uint64", "uint64"],
        [text32("BW-KP-1"), 10_000, 9_950, 100],
    )
    assert overdrawn.endswith("Drawing 1.00 ct would exceed certificate BW-KP-1's declared weight.")
    assert "expiresAt=1099511627775 (out of range)" in words(
        "CertificateNotValid(bytes32,uint40,uint40)", ["bytes32", "uint40", "uint40"], [text32("BW-KP-1"), 0, 2**40 - 1]
    )
    assert words("RecipientNotAccredited(address)", ["address"], ["0x" + "00" * 20]).startswith(
        "RecipientNotAccredited(to=0x0000000000000000000000000000000000000000 (the zero address))"
    )
    # OpenZeppelin's and Solady's errors carry their @dev text.
    assert words("TransferToZeroAddress()", [], []) == "TransferToZeroAddress(): Cannot mint or transfer to the zero address."
    assert describe_revert(web3.keccak(text="Panic(uint256)")[:4] + encode(["uint256"], [0x11])) == (
        "the contract panicked: an arithmetic operation overflowed (code 0x11)"
    )
    assert describe_revert("0xdeadbeef") == "unknown error 0xdeadbeef"


def token_of_bytes(raw: bytes) -> int:
    return int.from_bytes(raw.ljust(32, b"\0"), "big")


def refusal(call, sender) -> str:
    with pytest.raises(ContractCustomError) as refused:
        call.call({"from": sender.address})
    return revert_message(refused.value)


def test_a_real_refusal_names_the_role_and_the_stone(registry, cast):
    library = registry_contract(connect(web3.provider.endpoint_uri).w3, registry.address)
    book = certificates_contract(library)
    recorded = refusal(
        book.functions.recordCertificate(certificate_input("BW-KP-0001", cast.producer.address, cast.trader.address)), cast.trader
    )
    assert recorded == (
        f"MissingRole(account={cast.trader.address}, role=kp-authority): "
        f"{cast.trader.address} lacks participant role kp-authority (a single role bit)."
    )
    register(registry, cast.producer, [(STONE, 250)])
    registry.flag(token_id(STONE), Flag.STOLEN, DOC, {"from": cast.producer})
    moved = refusal(
        library.functions.transferCustody(cast.trader.address, token_id(STONE), Action.SALE, DOC, ZERO32, True), cast.producer
    )
    assert moved.startswith(f"StoneIsFlagged(tokenId={STONE}, flag=stolen): Stone {STONE} is flagged stolen or lost (stolen)")
