"""Signed custody transfers: the holder signs EIP-712 typed data offline; anyone relays it."""

import dataclasses

import pytest
from brownie import ContractWallet, DiamondRegistry, chain
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from helpers import DOC, authorization, record_certificate, records_in, register, reverts, sign

from diamondtrace.authorizations import typed_data
from diamondtrace.model import ROLES, ZERO32, Action, Flag, text32, token_id


def test_a_relayer_submits_the_holders_signature(registry, cast, stones):
    auth = authorization(registry, cast.producer, stones[0], cast.trader_bw)
    signature = sign(cast, registry, cast.producer, auth)
    balance = cast.producer.balance()
    tx = registry.transferCustodySigned(auth.as_tuple(), signature, {"from": cast.relayer})
    assert tx.sender == cast.relayer and cast.producer.balance() == balance
    (record,) = records_in(tx)
    assert (record.sender, record.recipient, record.action, record.document, record.warranty) == (
        cast.producer,
        cast.trader_bw,
        Action.SALE,
        DOC,
        True,
    )
    assert registry.ownerOf(stones[0]) == cast.trader_bw and registry.nonces(cast.producer) == 1


def test_the_contract_and_eth_account_agree_on_the_digest(registry, cast, stones):
    auth = authorization(registry, cast.producer, stones[0], cast.trader_bw)
    message = encode_typed_data(full_message=typed_data(chain.id, registry.address, auth))
    # EIP-712: keccak256("\x19\x01" || domainSeparator || hashStruct(message))
    digest = keccak(b"\x19" + message.version + message.header + message.body)
    assert bytes(registry.authorizationDigest(auth.as_tuple())) == digest


def test_a_signature_is_single_use_and_expires(registry, cast, stones):
    # Two authorizations signed with the same nonce: the first one used spends it.
    first = authorization(registry, cast.producer, stones[0], cast.trader_bw)
    second = authorization(registry, cast.producer, stones[1], cast.trader_bw)
    registry.transferCustodySigned(first.as_tuple(), sign(cast, registry, cast.producer, first), {"from": cast.relayer})
    with reverts("InvalidNonce", cast.producer.address, 1, 0):
        registry.transferCustodySigned(second.as_tuple(), sign(cast, registry, cast.producer, second), {"from": cast.relayer})
    late = authorization(registry, cast.producer, stones[1], cast.trader_bw, deadline=chain.time() - 1)
    with reverts("AuthorizationExpired", late.deadline):
        registry.transferCustodySigned(late.as_tuple(), sign(cast, registry, cast.producer, late), {"from": cast.relayer})
    assert registry.ownerOf(stones[1]) == cast.producer


def test_wrong_signer_and_tampered_authorizations_are_rejected(registry, cast, stones):
    auth = authorization(registry, cast.producer, stones[0], cast.trader_bw)
    with reverts("InvalidSignature", cast.producer.address):
        registry.transferCustodySigned(auth.as_tuple(), sign(cast, registry, cast.trader, auth), {"from": cast.relayer})
    signature = sign(cast, registry, cast.producer, auth)
    for change in [
        {"tokenId": stones[1]},  # another stone of the same batch: same holder, same latest record
        {"to": str(cast.trader)},
        {"action": Action.RETURN},
        {"document": ZERO32},
        {"certificate": text32("BW-KP-0001")},
        {"warranty": False},
        {"deadline": auth.deadline + 1},
    ]:
        tampered = dataclasses.replace(auth, **change)
        with reverts("InvalidSignature", cast.producer.address):
            registry.transferCustodySigned(tampered.as_tuple(), signature, {"from": cast.relayer})
    assert registry.ownerOf(stones[0]) == cast.producer and registry.nonces(cast.producer) == 0


def test_replay_on_another_chain_or_another_deployment_is_rejected(registry, cast, renderer, stones):
    auth = authorization(registry, cast.producer, stones[0], cast.trader_bw)
    with reverts("InvalidSignature"):
        registry.transferCustodySigned(
            auth.as_tuple(), sign(cast, registry, cast.producer, auth, chain_id=1), {"from": cast.relayer}
        )

    twin = DiamondRegistry.deploy(cast.admin, renderer, {"from": cast.admin})
    for account, role, country, prefix in [
        (cast.producer, "producer", b"BW", text32("BW-")),
        (cast.trader_bw, "trader", b"BW", ZERO32),
    ]:
        twin.accredit(account, ROLES[role], country, "twin", prefix, {"from": cast.admin})
    register(twin, cast.producer, [("BW-0001", 250)])
    # The same stone, holder, nonce and latest record on the twin: only the domain differs.
    on_twin = dataclasses.replace(auth, lastRecordBlock=twin.stone(stones[0])["lastRecordBlock"])
    with reverts("InvalidSignature"):
        twin.transferCustodySigned(on_twin.as_tuple(), sign(cast, registry, cast.producer, on_twin), {"from": cast.relayer})
    registry.transferCustodySigned(auth.as_tuple(), sign(cast, registry, cast.producer, auth), {"from": cast.relayer})
    assert registry.ownerOf(stones[0]) == cast.trader_bw and twin.ownerOf(stones[0]) == cast.producer


def test_every_registry_rule_applies_to_signed_transfers(registry, cast, stones):
    def submit(to, token=stones[0], certificate=ZERO32):
        auth = authorization(registry, cast.producer, token, to, certificate=certificate)
        return registry.transferCustodySigned(auth.as_tuple(), sign(cast, registry, cast.producer, auth), {"from": cast.relayer})

    with reverts("RecipientNotAccredited"):
        submit(cast.consumer)
    with reverts("CrossBorderWithoutCertificate"):
        submit(cast.trader)
    registry.flag(stones[1], Flag.LOST, ZERO32, {"from": cast.producer})
    with reverts("StoneIsFlagged"):
        submit(cast.trader_bw, token=stones[1])
    registry.pause({"from": cast.admin})
    with reverts("EnforcedPause"):
        submit(cast.trader_bw)
    registry.unpause({"from": cast.admin})
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    submit(cast.trader, certificate=text32("BW-KP-0001"))
    assert registry.ownerOf(stones[0]) == cast.trader and registry.nonces(cast.producer) == 1


def test_a_holder_cancels_an_unused_authorization(registry, cast, stones):
    auth = authorization(registry, cast.producer, stones[0], cast.trader_bw)
    signature = sign(cast, registry, cast.producer, auth)
    assert registry.useNonce({"from": cast.producer}).return_value == 0
    with reverts("InvalidNonce", cast.producer.address, 1, 0):
        registry.transferCustodySigned(auth.as_tuple(), signature, {"from": cast.relayer})


@pytest.fixture
def wallet(registry, cast):
    wallet = ContractWallet.deploy(cast.trader_bw, {"from": cast.admin})
    registry.accredit(wallet, ROLES["trader"], b"BW", "Gaborone Multisig", ZERO32, {"from": cast.admin})
    return wallet


def test_a_contract_wallet_signs_through_erc1271(registry, cast, stones, wallet):
    registry.transferCustody(wallet, stones[0], Action.SALE, DOC, ZERO32, True, {"from": cast.producer})
    auth = authorization(registry, wallet, stones[0], cast.producer, action=Action.RETURN)
    registry.transferCustodySigned(auth.as_tuple(), sign(cast, registry, cast.trader_bw, auth), {"from": cast.relayer})
    assert registry.ownerOf(stones[0]) == cast.producer and registry.nonces(wallet) == 1
    auth = authorization(registry, cast.producer, stones[0], wallet)
    registry.transferCustodySigned(auth.as_tuple(), sign(cast, registry, cast.producer, auth), {"from": cast.relayer})
    bad = authorization(registry, wallet, stones[0], cast.producer)
    with reverts("InvalidSignature", wallet.address):
        registry.transferCustodySigned(bad.as_tuple(), sign(cast, registry, cast.trader, bad), {"from": cast.relayer})
    assert registry.ownerOf(stones[0]) == wallet.address and registry.custodyAnchor(stones[0])[1]


def test_a_stone_id_that_does_not_exist_is_refused_before_any_signature_check(registry, cast, stones):
    auth = dataclasses.replace(authorization(registry, cast.producer, stones[0], cast.trader_bw), tokenId=token_id("NOPE"))
    with reverts("UnknownStone", token_id("NOPE")):
        registry.transferCustodySigned(auth.as_tuple(), sign(cast, registry, cast.producer, auth), {"from": cast.relayer})
