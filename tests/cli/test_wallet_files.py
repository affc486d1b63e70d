"""The authorization files as wallets nobody here wrote take and make them: `transfer --unsigned`
signed by MetaMask's own signer (@metamask/eth-sig-util), ethers 6 and viem 2 and broadcast with
`--signature`; `--sign-only`'s signature recovered by each of them; an altered file or a wrong
signer refused before anything is sent."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from authorization_support import PRODUCER, holder_of, mint, refused
from cli_support import ADMIN, RELAYER, address

from diamondtrace.chain import connect
from diamondtrace.model import token_id
from diamondtrace.toolchain import PROJECT_ROOT, node_executable
from diamondtrace.wallet import dev_account

SIGN = Path(__file__).parents[1] / "wallets" / "sign.mjs"
CLIENTS = ["eth-sig-util", "ethers", "viem"]
DEAD = "http://127.0.0.1:9"  # nothing listens there


def wallet(mode: str, client: str, path: Path, signer: int = PRODUCER) -> str:
    """Runs tests/wallets/sign.mjs; the key goes by environment, never on a command line."""
    key = "0x" + bytes(dev_account(signer).key).hex()
    r = subprocess.run(
        [node_executable(), str(SIGN), mode, client, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DIAMONDTRACE_SIGNER_KEY": key} if mode == "sign" else dict(os.environ),
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.mark.parametrize("client", CLIENTS)
def test_a_wallet_signs_the_unsigned_file_and_its_signature_moves_the_stone(dt, tmp_path, client):
    stone = mint(dt, tmp_path, "BW-WAL")
    unsigned = tmp_path / "unsigned.json"
    # No key: the holder (read from the chain) signs in its own wallet.
    dt("transfer", stone, "--to", address("trader_bw"), "--warranty", "--unsigned", unsigned)
    data = json.loads(unsigned.read_text())
    assert set(data) == {"description", "types", "primaryType", "domain", "message"}
    assert [f["name"] for f in data["types"]["EIP712Domain"]] == ["name", "version", "chainId", "verifyingContract"]
    assert data["primaryType"] == "CustodyAuthorization" and data["domain"]["chainId"] == 31337
    assert data["domain"]["verifyingContract"] == dt.registry().address
    message = data["message"]
    assert message["tokenId"] == str(token_id(stone)) and message["holder"] == address("producer")
    assert message["to"] == address("trader_bw") and message["nonce"] == "0" and message["warranty"] is True
    assert message["document"] == "0x" + "00" * 32 and message["action"] == "1"
    assert stone in data["description"] and address("trader_bw") in data["description"] and "nonce 0" in data["description"]

    signature = wallet("sign", client, unsigned)
    relayed = dt("broadcast", unsigned, "--signature", signature, "--dev-account", RELAYER, json=True).json
    assert relayed["from"] == address("producer") and relayed["to"] == address("trader_bw")
    assert holder_of(dt, stone) == address("trader_bw")
    report = dt("verify", stone, json=True).json
    assert report["holder"] == address("trader_bw") and report["custody"][-1]["warranty"] is True


def test_our_signature_is_the_holders_in_each_wallet_client(dt, tmp_path):
    stone = mint(dt, tmp_path, "BW-REC")
    signed = tmp_path / "signed.json"
    dt("transfer", stone, "--to", address("trader_bw"), "--kp", "BW-KP-REC", "--sign-only", signed, "--dev-account", PRODUCER)
    data = json.loads(signed.read_text())
    assert set(data) == {"description", "typedData", "signature"}
    assert "EIP712Domain" in data["typedData"]["types"] and data["typedData"]["message"]["holder"] == address("producer")
    for client in CLIENTS:
        recovered = json.loads(wallet("recover", client, signed))
        assert recovered["recovered"].lower() == address("producer").lower() and recovered["verified"] is True, client


def test_an_unsigned_file_offline_names_its_holder(dt, tmp_path):
    stone = mint(dt, tmp_path, "BW-OFW")
    inputs = dt("signing-inputs", stone, json=True).json
    assert f"--unsigned OUT.json --holder {address('producer')} {inputs['options']}" in dt("signing-inputs", stone).out
    unsigned = tmp_path / "offline.json"
    offline = dt.at(DEAD)
    missing = offline(
        "transfer", stone, "--to", address("trader_bw"), "--unsigned", unsigned, *inputs["options"].split(), expect=2
    )
    assert "offline, --unsigned needs --holder ADDRESS" in missing.err and not unsigned.exists()
    offline("transfer", stone, "--to", address("trader_bw"), "--unsigned", unsigned, *inputs["options"].split(),
            "--holder", address("producer"))  # fmt: skip
    assert json.loads(unsigned.read_text())["message"]["holder"] == address("producer")
    # Online, a holder named must hold the stone; with --sign-only, --holder is the key's own address or a Safe.
    refused(dt, stone, "transfer", stone, "--to", address("trader_bw"), "--unsigned", tmp_path / "other.json",
            "--holder", address("trader_bw"),
            contains=[f"{address('trader_bw')} does not hold {stone}", "nothing was signed"])  # fmt: skip
    refused(dt, stone, "transfer", stone, "--to", address("trader_bw"), "--sign-only", tmp_path / "other.json",
            "--holder", address("trader_bw"), "--dev-account", PRODUCER,
            contains=f"is neither your key's address ({address('producer')}) nor a Safe")  # fmt: skip
    refused(dt, stone, "transfer", stone, "--to", address("trader_bw"), "--holder", address("producer"),
            "--dev-account", PRODUCER, contains="--holder goes with --unsigned, or with --sign-only")  # fmt: skip
    assert not (tmp_path / "other.json").exists()
    # The key's own address as --holder is the plain signed file.
    dt("transfer", stone, "--to", address("trader_bw"), "--sign-only", tmp_path / "own.json", "--holder", address("producer"),
       "--dev-account", PRODUCER)  # fmt: skip
    assert set(json.loads((tmp_path / "own.json").read_text())) == {"description", "typedData", "signature"}
    dt("broadcast", unsigned, "--signature", wallet("sign", "eth-sig-util", unsigned), "--dev-account", RELAYER)
    assert holder_of(dt, stone) == address("trader_bw")


def test_an_altered_file_or_a_wrong_signer_is_refused_with_nothing_sent(dt, tmp_path):
    stone = mint(dt, tmp_path, "BW-ALT")
    unsigned, signed = tmp_path / "unsigned.json", tmp_path / "signed.json"
    dt("transfer", stone, "--to", address("trader_bw"), "--unsigned", unsigned)
    dt("transfer", stone, "--to", address("trader_bw"), "--sign-only", signed, "--dev-account", PRODUCER)
    signature = wallet("sign", "ethers", unsigned)
    original = json.loads(unsigned.read_text())

    def altered(name, change, base=original):
        data = json.loads(json.dumps(base))
        change(data)
        path = tmp_path / name
        path.write_text(json.dumps(data))
        return path

    broadcast = ("broadcast", "--dev-account", RELAYER)
    not_the_holders = [f"the signature is not {address('producer')}'s for this authorization", "the file was altered"]
    for field, value in [("to", address(ADMIN)), ("nonce", "1"), ("deadline", str(2**40)), ("action", "3")]:
        path = altered(f"{field}.json", lambda d, field=field, value=value: d["message"].update({field: value}))
        refused(dt, stone, *broadcast, path, "--signature", signature, contains=not_the_holders)
    other_chain = altered("chain.json", lambda d: d["domain"].update(chainId=1))
    refused(dt, stone, *broadcast, other_chain, "--signature", signature,
            contains="is signed for chain id 1, but the RPC endpoint is chain id 31337")  # fmt: skip
    other_domain = altered("domain.json", lambda d: d["domain"].update(version="1"))
    refused(dt, stone, *broadcast, other_domain, "--signature", signature,
            contains="not the registry's domain 'DiamondTrace Registry' version '2'")  # fmt: skip
    to_in_signed = altered("signed-to.json", lambda d: d["typedData"]["message"].update(to=address(ADMIN)),
                           json.loads(signed.read_text()))  # fmt: skip
    refused(dt, stone, *broadcast, to_in_signed, contains=not_the_holders)
    # Signed by someone other than the holder, in a wallet or with our command.
    foreign = wallet("sign", "viem", unsigned, signer=9)
    refused(dt, stone, *broadcast, unsigned, "--signature", foreign,
            contains=[*not_the_holders, f"it was made by {address('trader_bw')}"])  # fmt: skip
    refused(dt, stone, *broadcast, unsigned, "--signature", "0x1234", contains="it is no valid signature")
    # Files that are not what `broadcast` was told they are.
    refused(dt, stone, *broadcast, unsigned, contains="is not signed: give the holder's signature of it with --signature")
    refused(dt, stone, *broadcast, signed, "--signature", signature, contains="is signed already")
    old = altered("old.json", lambda d: d.update(type="diamondtrace/custody-authorization"), {})
    refused(dt, stone, *broadcast, old, contains=["old signed-authorization format", '{"typedData": ..., "signature": ...}'])
    # The untouched file still moves the stone: the refusals above were the alterations'.
    dt(*broadcast, unsigned, "--signature", signature)
    assert holder_of(dt, stone) == address("trader_bw")


def test_a_contract_wallet_holder_signs_through_erc1271(dt, tmp_path):
    """A holder that is a contract (a multisig, say) is asked, as the registry asks it, whether
    a signature is its own (ERC-1271 `isValidSignature`)."""
    artifact = json.loads((PROJECT_ROOT / "build" / "contracts" / "ContractWallet.json").read_text())
    w3 = connect(dt.url).w3
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    deployed = w3.eth.wait_for_transaction_receipt(factory.constructor(address(9)).transact({"from": address(ADMIN)}))
    holder = deployed.contractAddress
    dt("participant", "add", holder, "--role", "trader", "--name", "Gaborone Multisig", "--country", "BW", "--dev-account", ADMIN)
    stone = mint(dt, tmp_path, "BW-1271")
    dt("transfer", stone, "--to", holder, "--dev-account", PRODUCER)
    unsigned = tmp_path / "unsigned.json"
    dt("transfer", stone, "--to", address("producer"), "--action", "return", "--unsigned", unsigned)
    assert json.loads(unsigned.read_text())["message"]["holder"] == holder
    refused(dt, stone, "broadcast", unsigned, "--signature", wallet("sign", "viem", unsigned, signer=PRODUCER),
            "--dev-account", RELAYER,
            contains=f"{holder} is a contract wallet and its isValidSignature (ERC-1271) refuses it")  # fmt: skip
    dt("broadcast", unsigned, "--signature", wallet("sign", "viem", unsigned, signer=9), "--dev-account", RELAYER)
    assert holder_of(dt, stone) == address("producer")
