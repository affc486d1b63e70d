"""Each command against the real local chain."""

import json

from cli_support import CONSUMER, RELAYER, address, run_rows, write_csv

from diamondtrace.model import token_id


def test_deploy_writes_the_deployment_record(deployed):
    record = json.loads(deployed.deployment.read_text())
    assert record["chain_id"] == 31337
    assert record["registry"].startswith("0x") and record["renderer"].startswith("0x")
    assert record["block"] >= 1 and set(record["transactions"]) == {"DiamondRegistry", "DiamondRenderer"}
    assert record["compiler"]["version"].startswith("0.8.30+commit.")
    assert record["compiler"]["optimizer"] == {"enabled": True, "runs": 1000}
    assert record["compiler"]["viaIR"] is True and record["compiler"]["evmVersion"] == "prague"
    assert deployed.rpc("eth_getCode", record["registry"], "latest") != "0x"


def test_participants_are_added_shown_and_revoked(dt):
    shown = dt("participant", "show", address("trader"), json=True).json
    assert shown == {"address": address("trader"), "name": "Antwerp Rough Traders", "country": "BE", "roles": ["trader"], "accredited": True}
    added = dt("participant", "add", address("trader"), "--role", "retailer", "--name", "Antwerp Rough Traders", "--country", "BE", "--dev-account", 0, json=True).json
    assert added["roles"] == ["trader", "retailer"] and added["transaction"].startswith("0x")
    revoked = dt("participant", "revoke", address("trader"), "--dev-account", 0, json=True).json
    assert revoked["accredited"] is False and revoked["roles"] == []
    assert "not accredited" in dt("participant", "show", address("trader")).out


def test_only_the_admin_accredits(dt):
    before = dt.block()
    r = dt("participant", "add", address(CONSUMER), "--role", "trader", "--name", "X", "--country", "BE", "--dev-account", 1, expect=2)
    assert "OwnableUnauthorizedAccount" in r.err and "nothing sent" in r.err
    assert dt.block() == before


def test_kp_certificates_are_recorded_and_shown(dt, tmp_path):
    document = tmp_path / "kp.pdf"
    document.write_bytes(b"%PDF- the certificate")
    dt(
        "kp", "register", "--number", "BW-KP-2026-0001", "--exporting", "BW", "--importing", "BE",
        "--exporter", address("producer"), "--importer", address("trader"), "--carats", "1520.35",
        "--value-usd", "250000", "--parcels", "3", "--issued", "2026-11-01", "--expires", "2027-02-01",
        "--document", document, "--dev-account", 6,
    )  # fmt: skip
    shown = dt("kp", "show", "BW-KP-2026-0001", json=True).json
    assert shown["declared_carat"] == "1520.35" and shown["drawn_carat"] == "0.00"
    assert shown["exporter"] == address("producer") and shown["importing"] == "BE"


def test_mint_registers_a_production_run_and_reports_it(dt, tmp_path):
    rows = run_rows("BW-MINT", 30)
    rows[3] += ["", "A large octahedron, \"top\" colour"]
    rows = [r + ["", ""] if len(r) == 5 else r for r in rows]
    path = write_csv(tmp_path / "run.csv", rows, "stone_id,carat,mine,country,production_date,kp_certificate,description")
    result = dt("mint", path, "--batch-size", 12, "--dev-account", 1, json=True).json
    assert result["registered"] == 30 and result["already_registered"] == 0
    assert [int(t) for t in result["token_ids"]] == [token_id(r[0]) for r in rows]
    assert len(result["transactions"]) == 3 and result["batches"] == [12, 12, 6]
    assert 20_000 < result["gas_per_stone"] < 40_000 and result["stones_per_second"] > 0
    assert result["described"] == 1
    again = dt("mint", path, "--dev-account", 1, json=True).json
    assert again["registered"] == 0 and again["already_registered"] == 30 and again["transactions"] == []
    stone = dt("verify", "BW-MINT-00003", json=True).json
    assert stone["description"] == 'A large octahedron, "top" colour' and stone["carat"] == "1.03"


def test_a_keystore_signed_transfer(dt, tmp_path):
    password = tmp_path / "pw"
    password.write_text("correct horse battery staple\n")
    keystore = tmp_path / "trader.json"
    created = dt("account", "new", "--out", keystore, "--password-file", password, json=True).json
    trader = created["address"]
    dt.rpc("anvil_setBalance", trader, hex(10**18))
    dt("participant", "add", trader, "--role", "trader", "--name", "Keystore Trader", "--country", "BW", "--dev-account", 0)
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-KS", 2)), "--to", trader, "--dev-account", 1)
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"invoice with the System of Warranties statement")
    moved = dt(
        "transfer", "BW-KS-00000", "--to", address("trader_bw"), "--action", "consignment", "--document", invoice,
        "--keystore", keystore, "--password-file", password, json=True,
    ).json  # fmt: skip
    assert moved["action"] == "consignment"
    custody = dt("verify", "BW-KS-00000", json=True).json["custody"]
    assert custody[-1]["from"] == trader and custody[-1]["to"] == address("trader_bw")
    from eth_utils import keccak

    assert custody[-1]["document"] == "0x" + keccak(invoice.read_bytes()).hex()


def test_a_sign_only_authorization_is_broadcast_by_another_account(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-SIG", 2)), "--dev-account", 1)
    signed = tmp_path / "signed.json"
    dt("transfer", "BW-SIG-00000", "--to", address("trader_bw"), "--sign-only", signed, "--dev-account", 1)
    data = json.loads(signed.read_text())
    assert data["signer"] == address("producer") and data["authorization"]["nonce"] == 0
    before = dt.rpc("eth_getBalance", address("producer"), "latest")
    relayed = dt("broadcast", signed, "--dev-account", RELAYER, json=True).json
    assert relayed["from"] == address("producer") and relayed["to"] == address("trader_bw")
    assert dt.rpc("eth_getBalance", address("producer"), "latest") == before  # the relayer paid
    assert dt("verify", "BW-SIG-00000", json=True).json["holder"] == address("trader_bw")
    replay = dt("broadcast", signed, "--dev-account", RELAYER, expect=2)
    # The stone has a new holder now, so the old holder's signature no longer authorizes anything.
    assert "InvalidSignature" in replay.err and "nothing sent" in replay.err


def test_offline_signing_needs_no_chain(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-OFF", 1)), "--dev-account", 1)
    registry = json.loads(dt.deployment.read_text())["registry"]
    signed = tmp_path / "offline.json"
    offline = dt.__class__("http://127.0.0.1:9", dt.deployment)  # nothing listens there
    offline(
        "transfer", "BW-OFF-00000", "--to", address("trader_bw"), "--action", "sale", "--sign-only", signed,
        "--chain-id", 31337, "--registry", registry, "--nonce", 0, "--dev-account", 1,
    )  # fmt: skip
    dt("broadcast", signed, "--dev-account", RELAYER)
    assert dt("verify", "BW-OFF-00000", json=True).json["holder"] == address("trader_bw")


def test_a_tampered_authorization_is_refused_before_sending(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-TAM", 1)), "--dev-account", 1)
    signed = tmp_path / "signed.json"
    dt("transfer", "BW-TAM-00000", "--to", address("trader_bw"), "--sign-only", signed, "--dev-account", 1)
    data = json.loads(signed.read_text())
    data["authorization"]["to"] = address(CONSUMER)
    signed.write_text(json.dumps(data))
    before = dt.block()
    r = dt("broadcast", signed, "--dev-account", RELAYER, expect=2)
    assert "signature does not match" in r.err and dt.block() == before


def test_split_grade_flag_and_verify(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", [["BW-RGH-1", "10.00", "Jwaneng", "BW", "2026-11-20"]]), "--dev-account", 1)
    # Export to India under a KP certificate, then cut.
    dt(
        "kp", "register", "--number", "BW-KP-IN-1", "--exporting", "BW", "--importing", "IN",
        "--exporter", address("producer"), "--importer", address("manufacturer"), "--carats", "10",
        "--value-usd", "90000", "--parcels", "1", "--issued", "2026-11-01", "--expires", "2099-12-31", "--dev-account", 6,
    )  # fmt: skip
    dt("transfer", "BW-RGH-1", "--to", address("manufacturer"), "--action", "export", "--kp", "BW-KP-IN-1", "--dev-account", 1)
    children = write_csv(tmp_path / "children.csv", [["IN-POL-1", "3.05", "round brilliant"], ["IN-POL-2", "2.10", ""]], "stone_id,carat,description")
    split = dt("split", "BW-RGH-1", children, "--dev-account", 3, json=True).json
    assert split["children"] == ["IN-POL-1", "IN-POL-2"]
    dt("grade", "IN-POL-1", "--lab", "Gemological Lab of America", "--report", "GLA-100", "--carat", "3.01",
       "--colour", "E", "--clarity", "VVS2", "--cut", "Excellent", "--dev-account", 4)  # fmt: skip
    report = dt("verify", "IN-POL-1", json=True).json
    assert report["lineage"] == {"parent": "BW-RGH-1", "children": [], "root": "BW-RGH-1"}
    assert report["kind"] == "polished" and report["kp_certificate"]["number"] == "BW-KP-IN-1"
    assert report["origin"]["mine"] == "Jwaneng" and report["grading"][0]["colour"] == "E"
    assert report["description"] == "round brilliant"
    parent = dt("verify", "BW-RGH-1", json=True).json
    assert parent["status"] == "split" and parent["lineage"]["children"] == ["IN-POL-1", "IN-POL-2"]

    dt("flag", "IN-POL-2", "--reason", "stolen", "--dev-account", 3)
    flagged = dt("verify", "IN-POL-2", expect=1)
    assert "FLAGGED STOLEN" in flagged.out
    dt("unflag", "IN-POL-2", "--dev-account", 0)
    dt("verify", "IN-POL-2")


def test_grading_under_someone_elses_lab_name_is_refused(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-GR", 1)), "--dev-account", 1)
    r = dt("grade", "BW-GR-00000", "--lab", "GIA", "--report", "1", "--carat", "1", "--colour", "D",
           "--clarity", "IF", "--cut", "Excellent", "--dev-account", 4, expect=2)  # fmt: skip
    assert "is not the signing account's lab" in r.err


def test_verify_json_equals_the_on_chain_record(dt, tmp_path):
    from web3 import Web3

    from diamondtrace.contracts import registry_contract

    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-VER", 1)), "--dev-account", 1)
    dt("transfer", "BW-VER-00000", "--to", address("trader_bw"), "--dev-account", 1)
    dt("transfer", "BW-VER-00000", "--to", address("producer"), "--action", "return", "--dev-account", 9)
    report = dt("verify", "BW-VER-00000", json=True).json
    for key in ["token_id", "stone_id", "holder", "status", "carat", "kind", "origin", "kp_certificate", "custody", "lineage", "grading", "flags", "integrity"]:
        assert key in report
    registry = registry_contract(Web3(Web3.HTTPProvider(dt.url)), json.loads(dt.deployment.read_text())["registry"])
    token = token_id("BW-VER-00000")
    holder, count, commitment, last_action = registry.functions.custodyState(token).call()
    assert report["token_id"] == str(token) and report["holder"] == holder
    assert len(report["custody"]) == count == 2 and report["custody"][-1]["commitment"] == commitment
    assert [r["action"] for r in report["custody"]] == ["sale", "return"] and last_action == 8
    assert report["integrity"] == {"ok": True, "reason": "all 2 custody records present, in order, and matching the on-chain commitment"}
    assert report["carat"] == "1.00" and report["origin"]["country"] == "BW"
    human = dt("verify", str(token))
    assert "integrity   OK" in human.out and "BW-VER-00000" in human.out
