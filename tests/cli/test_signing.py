"""Offline signing as a new user meets it: what it needs shown by one command, a signature that
could never be used refused when it is made, and a broadcast that says in words why the registry
would refuse an authorization, before sending it."""

import json
import time

from cli_support import ADMIN, RELAYER, address, run_rows, write_csv

from diamondtrace.authorization_files import signed_file
from diamondtrace.authorizations import Authorization, sign_authorization
from diamondtrace.model import Action, token_id
from diamondtrace.wallet import dev_account

DEAD = "http://127.0.0.1:9"  # nothing listens there


def _stones(dt, tmp_path, prefix, count=1):
    dt("mint", write_csv(tmp_path / f"{prefix}.csv", run_rows(prefix, count)), "--dev-account", 1)
    return [f"{prefix}-{i:05d}" for i in range(count)]


def _registry(dt):
    return json.loads(dt.deployment.read_text())["registry"]


def refused(dt, *args, contains, expect=2):
    before = dt.block()
    r = dt(*args, expect=expect)
    for text in [contains] if isinstance(contains, str) else contains:
        assert text in r.err, r.err
    assert "Traceback" not in r.err and dt.block() == before
    return r


def test_signing_inputs_shows_all_that_offline_signing_needs_and_its_options_sign(dt, tmp_path):
    [stone] = _stones(dt, tmp_path, "BW-SI")
    shown = dt("signing-inputs", stone, json=True).json
    on_chain = dt.registry().functions.stone(token_id(stone)).call()
    assert shown["holder"] == address("producer") and shown["nonce"] == 0 and shown["chain_id"] == 31337
    assert shown["registry"] == _registry(dt) and shown["last_record_block"] == on_chain.lastRecordBlock
    human = dt("signing-inputs", stone).out
    assert f"--chain-id 31337 --registry {_registry(dt)} --nonce 0 --last-record-block {on_chain.lastRecordBlock}" in human
    # Exactly those options sign offline an authorization that the registry accepts.
    signed = tmp_path / "offline.json"
    dt.at(DEAD)(
        "transfer", stone, "--to", address("trader_bw"), "--sign-only", signed, *shown["options"].split(), "--dev-account", 1
    )
    dt("broadcast", signed, "--dev-account", RELAYER)
    assert dt("verify", stone, json=True).json["holder"] == address("trader_bw")
    assert dt("signing-inputs", stone, json=True).json["holder"] == address("trader_bw")
    refused(dt, "signing-inputs", "BW-SI-NONE", contains="no stone BW-SI-NONE on this registry")


def test_sign_only_points_at_signing_inputs_when_it_lacks_them(dt, tmp_path):
    [stone] = _stones(dt, tmp_path, "BW-PT")
    signed = tmp_path / "signed.json"
    missing = dt.at(DEAD)("transfer", stone, "--to", address("trader_bw"), "--sign-only", signed, "--chain-id", 31337,
                          "--registry", _registry(dt), "--dev-account", 1, expect=2)  # fmt: skip
    assert (
        "--nonce" in missing.err and "--last-record-block" in missing.err and "diamondtrace signing-inputs STONE" in missing.err
    )
    unreachable = dt.at(DEAD)(
        "transfer", stone, "--to", address("trader_bw"), "--sign-only", signed, "--dev-account", 1, expect=3
    )
    assert "cannot reach" in unreachable.err and "diamondtrace signing-inputs STONE" in unreachable.err
    half = dt(
        "transfer", stone, "--to", address("trader_bw"), "--sign-only", signed, "--chain-id", 31337, "--dev-account", 1, expect=2
    )
    assert "give --chain-id and --registry together" in half.err
    assert not signed.exists()


def test_sign_only_refuses_what_could_never_be_used(dt, tmp_path):
    mine, theirs = _stones(dt, tmp_path, "BW-NU", 2)
    dt("transfer", theirs, "--to", address("trader_bw"), "--dev-account", 1)
    signed = tmp_path / "signed.json"
    refused(dt, "transfer", theirs, "--to", address("trader_bw"), "--sign-only", signed, "--dev-account", 1,
            contains=[f"{address('producer')} does not hold {theirs}", f"its holder is {address('trader_bw')}",
                      "nothing was signed"])  # fmt: skip
    refused(dt, "transfer", mine, "--to", address("trader_bw"), "--sign-only", signed, "--valid-until", "2020-01-31",
            "--dev-account", 1, contains="--valid-until 2020-01-31 is in the past")  # fmt: skip
    last = dt("signing-inputs", mine, json=True).json["last_record_block"]
    refused(dt, "transfer", mine, "--to", address("trader_bw"), "--sign-only", signed, "--last-record-block", last - 1,
            "--dev-account", 1,
            contains=f"--last-record-block {last - 1} is not the block of {mine}'s latest record ({last})")  # fmt: skip
    dt("transfer", mine, "--to", address("trader_bw"), "--sign-only", tmp_path / "used.json", "--dev-account", 1)
    dt("broadcast", tmp_path / "used.json", "--dev-account", RELAYER)
    dt("transfer", mine, "--to", address("producer"), "--action", "return", "--dev-account", 9)
    refused(dt, "transfer", mine, "--to", address("trader_bw"), "--sign-only", signed, "--nonce", 0, "--dev-account", 1,
            contains="--nonce 0 is spent: " + f"{address('producer')}'s next nonce is 1")  # fmt: skip
    dt("flag", mine, "--reason", "lost", "--dev-account", 1)
    refused(
        dt,
        "transfer",
        mine,
        "--to",
        address("trader_bw"),
        "--sign-only",
        signed,
        "--dev-account",
        1,
        contains=f"{mine} is flagged lost",
    )
    assert not signed.exists()


def test_broadcast_says_why_an_authorization_would_fail(dt, tmp_path):
    a, b, c = _stones(dt, tmp_path, "BW-WHY", 3)
    registry = _registry(dt)

    def sign(stone, name, *options):
        path = tmp_path / name
        dt.at(DEAD)("transfer", stone, "--to", address("trader_bw"), "--sign-only", path, *options, "--dev-account", 1)
        return path

    def offline(stone, name, nonce=0, chain_id=31337, at=registry):
        last = dt("signing-inputs", stone, json=True).json["last_record_block"]
        return sign(stone, name, "--chain-id", chain_id, "--registry", at, "--nonce", nonce, "--last-record-block", last)

    other_chain = offline(a, "chain1337.json", chain_id=1337)
    refused(
        dt,
        "broadcast",
        other_chain,
        "--dev-account",
        RELAYER,
        contains="is signed for chain id 1337, but the RPC endpoint is chain id 31337",
    )
    other_registry = offline(a, "registry.json", at=address(ADMIN))
    refused(
        dt,
        "broadcast",
        other_registry,
        "--dev-account",
        RELAYER,
        contains=f"is signed for registry {address(ADMIN)}, not {registry}",
    )
    ahead = offline(a, "ahead.json", nonce=3)
    refused(dt, "broadcast", ahead, "--dev-account", RELAYER,
            contains=["names nonce 3, but", "next nonce is 0", "signed with a wrong --nonce"])  # fmt: skip
    # Two authorizations on the same nonce: once one is used, the other is dead.
    first, second = offline(a, "first.json"), offline(b, "second.json")
    dt("broadcast", first, "--dev-account", RELAYER)
    refused(
        dt,
        "broadcast",
        first,
        "--dev-account",
        RELAYER,
        contains=["was already used", f"went from {address('producer')} to {address('trader_bw')}", "replay"],
    )
    refused(
        dt, "broadcast", second, "--dev-account", RELAYER, contains=["can no longer be used", "nonce 0 is spent (its next is 1)"]
    )
    # The holder sold the stone another way after signing.
    unused = offline(c, "unused.json", nonce=1)
    dt("transfer", c, "--to", address("trader_bw"), "--action", "consignment", "--dev-account", 1)
    refused(dt, "broadcast", unused, "--dev-account", RELAYER,
            contains=[f"{address('producer')}, who signed",
                      f"no longer holds {c} (its holder is {address('trader_bw')})"])  # fmt: skip


def test_broadcast_refuses_an_expired_or_foreign_signature_in_words(dt, tmp_path):
    [stone] = _stones(dt, tmp_path, "BW-EXP")
    inputs = dt("signing-inputs", stone, json=True).json

    def write(name, deadline, account):
        auth = Authorization(token_id(stone), address("producer"), address("trader_bw"), int(Action.SALE), b"\0" * 32, b"\0" * 32,
                             False, inputs["nonce"], inputs["last_record_block"], deadline)  # fmt: skip
        path = tmp_path / name
        signature = sign_authorization(account, 31337, inputs["registry"], auth)
        path.write_text(json.dumps(signed_file(31337, inputs["registry"], auth, signature)))
        return path

    # Signed last month with a deadline that has passed since (the command no longer signs one).
    expired = write("expired.json", int(time.time()) - 86400, dev_account(1))
    refused(
        dt,
        "broadcast",
        expired,
        "--dev-account",
        RELAYER,
        contains=["expired at", "ask " + address("producer") + " to sign a new one"],
    )
    # Someone other than the holder signed it.
    foreign = write("foreign.json", int(time.time()) + 86400, dev_account(9))
    refused(dt, "broadcast", foreign, "--dev-account", RELAYER,
            contains=f"the signature is not {address('producer')}'s for this authorization "
                     f"(it was made by {address('trader_bw')})")  # fmt: skip
    assert dt("verify", stone, json=True).json["holder"] == address("producer")
