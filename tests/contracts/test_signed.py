"""Signed custody transfers: the holder signs EIP-712 typed data offline; anyone relays it."""

import pytest
from brownie import ContractWallet, DiamondRegistry, chain
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from helpers import plain, record_certificate, register, reverts

from diamondtrace.custody import Authorization, sign_authorization, typed_data
from diamondtrace.model import ZERO32, Action, Flag, text32

DOC = b"\x5a" * 32


def authorization(registry, holder, token, to, action=Action.SALE, certificate=ZERO32, nonce=None, deadline=None):
    return Authorization(
        tokenId=token,
        to=str(to),
        action=int(action),
        document=DOC,
        certificate=certificate,
        nonce=registry.nonces(holder) if nonce is None else nonce,
        deadline=chain.time() + 3600 if deadline is None else deadline,
    )


def signed(cast, registry, holder, auth, chain_id=None, verifying=None):
    key = cast.key(holder)
    return sign_authorization(key, chain_id or chain.id, verifying or registry.address, auth)


def test_a_relayer_submits_the_holders_signature(registry, cast, stones):
    auth = authorization(registry, cast.producer, stones[0], cast.trader_bw)
    signature = signed(cast, registry, cast.producer, auth)
    balance = cast.producer.balance()
    tx = registry.transferCustodySigned(auth.as_tuple(), signature, {"from": cast.relayer})
    assert tx.sender == cast.relayer and cast.producer.balance() == balance
    e = tx.events["CustodyTransferred"]
    assert (e["from"], e["to"], e["action"], bytes(e["document"])) == (cast.producer, cast.trader_bw, Action.SALE, DOC)
    assert registry.ownerOf(stones[0]) == cast.trader_bw and registry.nonces(cast.producer) == 1


def test_the_contract_and_eth_account_agree_on_the_digest(registry, cast, stones):
    auth = authorization(registry, cast.producer, stones[0], cast.trader_bw)
    message = encode_typed_data(full_message=typed_data(chain.id, registry.address, auth))
    # EIP-712: keccak256("\x19\x01" || domainSeparator || hashStruct(message))
    digest = keccak(b"\x19" + message.version + message.header + message.body)
    assert bytes(registry.authorizationDigest(auth.as_tuple())) == digest


def test_a_signature_is_single_use_and_expires(registry, cast, stones):
    auth = authorization(registry, cast.producer, stones[0], cast.trader_bw)
    signature = signed(cast, registry, cast.producer, auth)
    registry.transferCustodySigned(auth.as_tuple(), signature, {"from": cast.relayer})
    registry.transferCustody(cast.producer, stones[0], Action.RETURN, DOC, ZERO32, {"from": cast.trader_bw})
    with reverts("InvalidNonce", cast.producer.address, 1, 0):
        registry.transferCustodySigned(auth.as_tuple(), signature, {"from": cast.relayer})
    late = authorization(registry, cast.producer, stones[1], cast.trader_bw, deadline=chain.time() - 1)
    with reverts("AuthorizationExpired", late.deadline):
        registry.transferCustodySigned(late.as_tuple(), signed(cast, registry, cast.producer, late), {"from": cast.relayer})


def test_wrong_signer_and_tampered_authorizations_are_rejected(registry, cast, stones):
    auth = authorization(registry, cast.producer, stones[0], cast.trader_bw)
    with reverts("InvalidSignature", cast.producer.address):
        registry.transferCustodySigned(auth.as_tuple(), signed(cast, registry, cast.trader, auth), {"from": cast.relayer})
    signature = signed(cast, registry, cast.producer, auth)
    for field in [(1, str(cast.trader)), (2, Action.RETURN), (3, b"\x00" * 32), (6, auth.deadline + 1)]:
        tampered = list(auth.as_tuple())
        tampered[field[0]] = field[1]
        with reverts("InvalidSignature"):
            registry.transferCustodySigned(tampered, signature, {"from": cast.relayer})
    assert registry.ownerOf(stones[0]) == cast.producer


def test_replay_on_another_chain_or_another_deployment_is_rejected(registry, cast, renderer, stones):
    auth = authorization(registry, cast.producer, stones[0], cast.trader_bw)
    other_chain = signed(cast, registry, cast.producer, auth, chain_id=1)
    with reverts("InvalidSignature"):
        registry.transferCustodySigned(auth.as_tuple(), other_chain, {"from": cast.relayer})

    twin = DiamondRegistry.deploy(cast.admin, renderer, {"from": cast.admin})
    for account, role, country in [(cast.producer, 1, b"BW"), (cast.trader_bw, 2, b"BW")]:
        twin.accredit(account, role, country, "twin", {"from": cast.admin})
    register(twin, cast.producer, [("BW-0001", 250)])
    signature = signed(cast, registry, cast.producer, auth)
    with reverts("InvalidSignature"):
        twin.transferCustodySigned(auth.as_tuple(), signature, {"from": cast.relayer})
    registry.transferCustodySigned(auth.as_tuple(), signature, {"from": cast.relayer})


def test_every_registry_rule_applies_to_signed_transfers(registry, cast, stones):
    def submit(to, token=stones[0], certificate=ZERO32):
        auth = authorization(registry, cast.producer, token, to, certificate=certificate)
        return registry.transferCustodySigned(
            auth.as_tuple(), signed(cast, registry, cast.producer, auth), {"from": cast.relayer}
        )

    with reverts("RecipientNotAccredited"):
        submit(cast.consumer)
    with reverts("CrossBorderWithoutCertificate"):
        submit(cast.trader)
    registry.flag(stones[1], Flag.LOST, {"from": cast.producer})
    with reverts("StoneIsFlagged"):
        submit(cast.trader_bw, token=stones[1])
    registry.pause({"from": cast.admin})
    with reverts("EnforcedPause"):
        submit(cast.trader_bw)
    registry.unpause({"from": cast.admin})
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    submit(cast.trader, certificate=text32("BW-KP-0001"))
    assert registry.ownerOf(stones[0]) == cast.trader


def test_a_holder_cancels_an_unused_authorization(registry, cast, stones):
    auth = authorization(registry, cast.producer, stones[0], cast.trader_bw)
    signature = signed(cast, registry, cast.producer, auth)
    registry.useNonce({"from": cast.producer})
    with reverts("InvalidNonce"):
        registry.transferCustodySigned(auth.as_tuple(), signature, {"from": cast.relayer})


@pytest.fixture
def wallet(registry, cast):
    wallet = ContractWallet.deploy(cast.trader_bw, {"from": cast.admin})
    registry.accredit(wallet, 2, b"BW", "Gaborone Multisig", {"from": cast.admin})
    return wallet


def test_a_contract_wallet_signs_through_erc1271(registry, cast, stones, wallet):
    registry.transferCustody(wallet, stones[0], Action.SALE, DOC, ZERO32, {"from": cast.producer})
    auth = authorization(registry, wallet, stones[0], cast.producer, action=Action.RETURN)
    registry.transferCustodySigned(auth.as_tuple(), signed(cast, registry, cast.trader_bw, auth), {"from": cast.relayer})
    assert registry.ownerOf(stones[0]) == cast.producer
    auth = authorization(registry, cast.producer, stones[0], wallet)
    registry.transferCustodySigned(auth.as_tuple(), signed(cast, registry, cast.producer, auth), {"from": cast.relayer})
    bad = authorization(registry, wallet, stones[0], cast.producer)
    with reverts("InvalidSignature", wallet.address):
        registry.transferCustodySigned(bad.as_tuple(), signed(cast, registry, cast.trader, bad), {"from": cast.relayer})
    assert plain(registry.custodyState(stones[0]))[:2] == (wallet.address, 3)
