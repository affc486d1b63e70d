"""Each command against the real local chain."""

import json

from cli_support import ADMIN, CONSUMER, RELAYER, address, run_rows, write_csv
from eth_utils import keccak

from diamondtrace.artifacts import artifact
from diamondtrace.model import token_id
from diamondtrace.reader import Registry


def _mint(dt, tmp_path, prefix, count=1, *args):
    return dt("mint", write_csv(tmp_path / f"{prefix}.csv", run_rows(prefix, count)), "--dev-account", 1, *args, json=True).json


def test_deploy_writes_the_deployment_record(deployed):
    record = json.loads(deployed.deployment.read_text())
    assert record["chain_id"] == 31337
    assert record["registry"].startswith("0x") and record["renderer"].startswith("0x")
    assert record["certificates"].startswith("0x") and record["grading"].startswith("0x")
    assert record["block"] >= 1 and set(record["transactions"]) == {"DiamondRegistry", "DiamondRenderer"}
    # The settings recorded are the ones the deployed code was built with (what an explorer needs).
    built = json.loads(artifact("DiamondRegistry")["metadata"])
    assert record["compiler"]["version"] == built["compiler"]["version"] and built["compiler"]["version"].startswith(
        "0.8.30+commit."
    )
    assert record["compiler"]["optimizer"] == built["settings"]["optimizer"] and built["settings"]["optimizer"]["enabled"] is True
    assert record["compiler"]["viaIR"] is True
    assert record["compiler"]["evmVersion"] == built["settings"]["evmVersion"] == "shanghai"
    assert deployed.rpc("eth_getCode", record["registry"], "latest") != "0x"
    registry = deployed.registry()
    assert registry.functions.certificates().call() == record["certificates"]
    assert registry.functions.grading().call() == record["grading"]


def test_participants_are_added_shown_and_revoked(dt):
    shown = dt("participant", "show", address("trader"), json=True).json
    assert shown == {
        "address": address("trader"), "name": "Antwerp Rough Traders", "country": "BE", "roles": ["trader"], "accredited": True,
        "prefix": None, "successor": None, "nonce": 0,
        "rjc": {"certificate": None, "expires": None, "since_block": None, "current": False},
    }  # fmt: skip
    added = dt(
        "participant",
        "add",
        address("trader"),
        "--role",
        "retailer",
        "--name",
        "Antwerp Rough Traders",
        "--country",
        "BE",
        "--dev-account",
        ADMIN,
        json=True,
    ).json
    assert added["roles"] == ["trader", "retailer"] and added["transaction"].startswith("0x")
    revoked = dt("participant", "revoke", address("trader"), "--dev-account", ADMIN, json=True).json
    assert revoked["accredited"] is False and revoked["roles"] == [] and revoked["successor"] is None
    assert revoked["country"] == "BE"  # kept after revocation: its rough stones still lie there
    assert "not accredited" in dt("participant", "show", address("trader")).out
    producer = dt("participant", "show", address("producer"))
    assert "stone-ID prefix BW-" in producer.out


def test_only_the_admin_accredits(dt):
    before = dt.block()
    r = dt(
        "participant",
        "add",
        address(CONSUMER),
        "--role",
        "trader",
        "--name",
        "X",
        "--country",
        "BE",
        "--dev-account",
        1,
        expect=2,
    )
    assert "OwnableUnauthorizedAccount" in r.err and "nothing sent" in r.err
    assert dt.block() == before
    assert dt("participant", "show", address(CONSUMER), json=True).json["accredited"] is False


def test_kp_certificates_are_recorded_and_shown(dt, tmp_path):
    document = tmp_path / "kp.pdf"
    document.write_bytes(b"%PDF- the certificate")
    dt(
        "kp", "register", "--number", "BW-KP-2026-0001", "--exporting", "BW", "--importing", "BE",
        "--exporter", address("producer"), "--importer", address("trader"), "--carats", "1520.35",
        "--value-usd", "250000", "--parcels", "3", "--issued", "2026-11-01", "--expires", "2027-02-01",
        "--document", document, "--dev-account", 6,
    )  # fmt: skip
    # The exporting country is read from the number ("BW-KP-...") or given with --exporting.
    shown = dt("kp", "show", "BW-KP-2026-0001", json=True).json
    assert shown == dt("kp", "show", "BW-KP-2026-0001", "--exporting", "BW", json=True).json
    assert shown["declared_carat"] == "1520.35" and shown["drawn_carat"] == "0.00"
    assert shown["exporter"] == address("producer") and shown["importer"] == address("trader")
    assert shown["exporting_country"] == "BW" and shown["importing_country"] == "BE"
    assert shown["document"] == "0x" + keccak(document.read_bytes()).hex() and shown["authority"] == address("kp_bw")
    elsewhere = dt("kp", "show", "BW-KP-2026-0001", "--exporting", "ZA", expect=2)
    assert "no KP certificate BW-KP-2026-0001 of exporting country ZA" in elsewhere.err
    bare = dt("kp", "show", "2026-0001", expect=2)
    assert "give --exporting CC" in bare.err


def test_two_countries_may_use_the_same_certificate_number(dt, tmp_path):
    """Certificates are kept per exporting country: Belgium's authority recording "KP-0001" first
    takes nothing from Botswana's "KP-0001" (the squatting of issue 11)."""
    password = tmp_path / "pw"
    password.write_text("kp authority of Belgium")
    keystore = tmp_path / "kp_be.json"
    kp_be = dt("account", "new", "--out", keystore, "--password-file", password, json=True).json["address"]
    dt.rpc("anvil_setBalance", kp_be, hex(10**18))
    dt(
        "participant",
        "add",
        kp_be,
        "--role",
        "kp-authority",
        "--name",
        "Belgian KP Authority",
        "--country",
        "BE",
        "--dev-account",
        ADMIN,
    )
    dt(
        "kp", "register", "--number", "KP-0001", "--exporting", "BE", "--importing", "IN", "--exporter", address("trader"),
        "--importer", address("manufacturer"), "--carats", "7", "--value-usd", "1", "--parcels", "1", "--issued", "2026-11-01",
        "--expires", "2099-12-31", "--keystore", keystore, "--password-file", password,
    )  # fmt: skip
    dt.kp_certificate("KP-0001", carats="42")
    be = dt("kp", "show", "KP-0001", "--exporting", "BE", json=True).json
    bw = dt("kp", "show", "KP-0001", "--exporting", "BW", json=True).json
    assert (be["declared_carat"], be["authority"], be["exporter"]) == ("7.00", kp_be, address("trader"))
    assert (bw["declared_carat"], bw["authority"], bw["exporter"]) == ("42.00", address("kp_bw"), address("producer"))
    assert be["id"] != bw["id"]
    # Without --exporting the number's first letters are read as a country: here North Korea's.
    guessed = dt("kp", "show", "KP-0001", expect=2)
    assert "no KP certificate KP-0001 of exporting country KP" in guessed.err and "give --exporting CC" in guessed.err
    # Botswana's authority cannot record a certificate for Belgium.
    before = dt.block()
    r = dt(
        "kp", "register", "--number", "KP-0002", "--exporting", "BE", "--importing", "IN", "--exporter", address("trader"),
        "--importer", address("manufacturer"), "--carats", "7", "--value-usd", "1", "--parcels", "1", "--issued", "2026-11-01",
        "--expires", "2099-12-31", "--dev-account", 6, expect=2,
    )  # fmt: skip
    assert "NotExportingAuthority" in r.err and dt.block() == before


def test_mint_registers_a_production_run_and_reports_it(dt, tmp_path):
    rows = run_rows("BW-MINT", 30)
    rows[3] += ["", 'A large octahedron, "top" colour']
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
    assert stone["origin"]["producer"] == address("producer") and stone["origin"]["registered_to"] == address("producer")
    assert stone["jurisdiction"] == "BW" and stone["kind"] == "rough" and stone["lab_grown"] is False
    assert "description A large octahedron" in dt("verify", "BW-MINT-00003").out
    # The description was given in the registration itself: no separate transaction.
    registry = dt.registry()
    logs = registry.events.StoneDescribed().get_logs(from_block=0, to_block="latest")
    assert [(log["args"]["tokenId"], log["args"]["by"]) for log in logs] == [(token_id("BW-MINT-00003"), address("producer"))]
    assert logs[0]["transactionHash"].to_0x_hex() in result["transactions"]


def test_mint_into_another_holder_in_the_producers_country(dt, tmp_path):
    minted = _mint(dt, tmp_path, "BW-TO", 3, "--to", address("trader_bw"))
    assert minted["registered"] == 3
    stone = dt("verify", "BW-TO-00001", json=True).json
    assert stone["holder"] == address("trader_bw") and stone["origin"]["registered_to"] == address("trader_bw")
    assert stone["custody"] == [] and stone["integrity"]["ok"] is True


def test_lab_grown_rough_is_registered_as_such(dt, tmp_path):
    minted = _mint(dt, tmp_path, "BW-LG", 2, "--lab-grown")
    assert minted["registered"] == 2
    stone = dt("verify", "BW-LG-00000", json=True).json
    assert stone["lab_grown"] is True and stone["kind"] == "rough" and stone["jurisdiction"] is None
    assert "LABORATORY-GROWN" in dt("verify", "BW-LG-00000").out
    # Run again as natural, the same stones are a different registration: refused, nothing sent.
    before = dt.block()
    again = dt("mint", tmp_path / "BW-LG.csv", "--dev-account", 1, expect=2)
    assert "already registered with different data" in again.err and dt.block() == before
    # Lab-grown rough is outside the Kimberley Process: no certificate is drawn for it.
    dt.kp_certificate("BW-KP-LG")
    rows = [["BW-LG-KP", "1.00", "Jwaneng", "BW", "2026-11-20", "BW-KP-LG"]]
    path = write_csv(tmp_path / "kp.csv", rows, "stone_id,carat,mine,country,production_date,kp_certificate")
    refused = dt("mint", path, "--lab-grown", "--dev-account", 1, expect=2)
    assert "kp.csv:2: column kp_certificate" in refused.err and "laboratory-grown" in refused.err and dt.block() == before + 1


def test_a_keystore_signed_transfer_with_the_sow_warranty(dt, tmp_path):
    password = tmp_path / "pw"
    password.write_text("correct horse battery staple\n")
    keystore = tmp_path / "trader.json"
    created = dt("account", "new", "--out", keystore, "--password-file", password, json=True).json
    trader = created["address"]
    dt.rpc("anvil_setBalance", trader, hex(10**18))
    dt("participant", "add", trader, "--role", "trader", "--name", "Keystore Trader", "--country", "BW", "--dev-account", ADMIN)
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-KS", 2)), "--to", trader, "--dev-account", 1)
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"invoice with the System of Warranties statement")
    moved = dt(
        "transfer", "BW-KS-00000", "--to", address("trader_bw"), "--action", "sale", "--document", invoice, "--warranty",
        "--keystore", keystore, "--password-file", password, json=True,
    ).json  # fmt: skip
    assert moved["action"] == "sale" and moved["warranty"] is True
    report = dt("verify", "BW-KS-00000", json=True).json
    custody = report["custody"]
    assert custody[-1]["from"] == trader and custody[-1]["to"] == address("trader_bw")
    assert custody[-1]["document"] == "0x" + keccak(invoice.read_bytes()).hex() and custody[-1]["warranty"] is True
    assert report["assurance"]["system_of_warranties"]["ok"] is True
    assert "SoW" in dt("verify", "BW-KS-00000").out
    # A consignment is not a sale: without the statement the stone stays warranted.
    dt("transfer", "BW-KS-00000", "--to", trader, "--action", "consignment", "--dev-account", 9)
    report = dt("verify", "BW-KS-00000", json=True).json
    assert report["custody"][-1]["warranty"] is False and report["assurance"]["system_of_warranties"]["ok"] is True


def test_a_sign_only_authorization_is_broadcast_by_another_account(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-SIG", 2)), "--dev-account", 1)
    signed = tmp_path / "signed.json"
    dt("transfer", "BW-SIG-00000", "--to", address("trader_bw"), "--warranty", "--sign-only", signed, "--dev-account", 1)
    message = json.loads(signed.read_text())["typedData"]["message"]
    stone = dt.registry().functions.stone(token_id("BW-SIG-00000")).call()
    assert message["holder"] == address("producer") and message["to"] == address("trader_bw")
    assert message["nonce"] == "0" and message["lastRecordBlock"] == str(stone.lastRecordBlock)
    assert message["warranty"] is True
    before = dt.rpc("eth_getBalance", address("producer"), "latest")
    relayed = dt("broadcast", signed, "--dev-account", RELAYER, json=True).json
    assert relayed["from"] == address("producer") and relayed["to"] == address("trader_bw")
    assert dt.rpc("eth_getBalance", address("producer"), "latest") == before  # the relayer paid
    report = dt("verify", "BW-SIG-00000", json=True).json
    assert report["holder"] == address("trader_bw") and report["custody"][-1]["warranty"] is True
    assert dt("participant", "show", address("producer"), json=True).json["nonce"] == 1
    replay = dt("broadcast", signed, "--dev-account", RELAYER, expect=2)
    # Said in words before sending: the nonce is spent and the stone is where it sent it.
    assert "was already used" in replay.err and "this is a replay" in replay.err and "nothing was sent" in replay.err


def test_an_authorization_does_not_revive_when_the_stone_comes_back(dt, tmp_path):
    """Issue 11, attack 7: an unused authorization, kept while the stone travels and returns to its
    signer, must not move it again."""
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-REV", 1)), "--dev-account", 1)
    signed = tmp_path / "signed.json"
    dt("transfer", "BW-REV-00000", "--to", address("trader_bw"), "--sign-only", signed, "--dev-account", 1)
    dt("transfer", "BW-REV-00000", "--to", address("trader_bw"), "--action", "consignment", "--dev-account", 1)
    dt("transfer", "BW-REV-00000", "--to", address("producer"), "--action", "return", "--dev-account", 9)
    registry = dt.registry()
    assert registry.functions.ownerOf(token_id("BW-REV-00000")).call() == address("producer")
    assert registry.functions.nonces(address("producer")).call() == 0  # the nonce alone would let it through
    before = dt.block()
    r = dt("broadcast", signed, "--dev-account", RELAYER, expect=2)
    assert "has a record newer than" in r.err and "moved since it was signed" in r.err and dt.block() == before
    assert registry.functions.ownerOf(token_id("BW-REV-00000")).call() == address("producer")


def test_offline_signing_needs_no_chain(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-OFF", 1)), "--dev-account", 1)
    registry = json.loads(dt.deployment.read_text())["registry"]
    # What the signer needs, looked up on any machine that can reach the chain.
    last = dt("verify", "BW-OFF-00000", json=True).json["last_record_block"]
    nonce = dt("participant", "show", address("producer"), json=True).json["nonce"]
    signed = tmp_path / "offline.json"
    offline = dt.at("http://127.0.0.1:9")  # nothing listens there
    missing = offline(
        "transfer", "BW-OFF-00000", "--to", address("trader_bw"), "--sign-only", signed, "--chain-id", 31337,
        "--registry", registry, "--nonce", nonce, "--dev-account", 1, expect=2,
    )  # fmt: skip
    assert "--last-record-block" in missing.err and "participant show" in missing.err and not signed.exists()
    offline(
        "transfer", "BW-OFF-00000", "--to", address("trader_bw"), "--action", "sale", "--warranty", "--sign-only", signed,
        "--chain-id", 31337, "--registry", registry, "--nonce", nonce, "--last-record-block", last, "--dev-account", 1,
    )  # fmt: skip
    dt("broadcast", signed, "--dev-account", RELAYER)
    report = dt("verify", "BW-OFF-00000", json=True).json
    assert report["holder"] == address("trader_bw") and report["custody"][-1]["warranty"] is True


def test_an_offline_authorization_with_a_stale_record_block_is_refused(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-STALE", 1)), "--dev-account", 1)
    registry = json.loads(dt.deployment.read_text())["registry"]
    last = dt("verify", "BW-STALE-00000", json=True).json["last_record_block"]
    signed = tmp_path / "stale.json"
    dt.at("http://127.0.0.1:9")(
        "transfer", "BW-STALE-00000", "--to", address("trader_bw"), "--sign-only", signed, "--chain-id", 31337,
        "--registry", registry, "--nonce", 0, "--last-record-block", last - 1, "--dev-account", 1,
    )  # fmt: skip
    before = dt.block()
    r = dt("broadcast", signed, "--dev-account", RELAYER, expect=2)
    assert "signed with a wrong --last-record-block" in r.err and dt.block() == before


def test_a_tampered_authorization_is_refused_before_sending(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-TAM", 1)), "--dev-account", 1)
    signed = tmp_path / "signed.json"
    dt("transfer", "BW-TAM-00000", "--to", address("trader_bw"), "--sign-only", signed, "--dev-account", 1)
    original = json.loads(signed.read_text())
    for field, value in [
        ("to", address(CONSUMER)),
        ("warranty", True),
        ("lastRecordBlock", "1"),
        ("holder", address("trader_bw")),
    ]:
        data = json.loads(json.dumps(original))
        data["typedData"]["message"][field] = value
        signed.write_text(json.dumps(data))
        before = dt.block()
        r = dt("broadcast", signed, "--dev-account", RELAYER, expect=2)
        assert "the file was altered after it was signed" in r.err and dt.block() == before, field


def test_split_grade_flag_and_verify(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", [["BW-RGH-1", "10.00", "Jwaneng", "BW", "2026-11-20"]]), "--dev-account", 1)
    # Export to India under a KP certificate, then cut.
    dt.kp_certificate("BW-KP-IN-1", importing="IN", importer="manufacturer", carats="10")
    dt("transfer", "BW-RGH-1", "--to", address("manufacturer"), "--action", "export", "--kp", "BW-KP-IN-1", "--dev-account", 1)
    children = write_csv(
        tmp_path / "children.csv",
        [["IN-POL-1", "3.05", "round brilliant"], ["IN-POL-2", "2.10", ""]],
        "stone_id,carat,description",
    )
    split = dt("split", "BW-RGH-1", children, "--dev-account", 3, json=True).json
    assert split["children"] == ["IN-POL-1", "IN-POL-2"]
    # The lab grades the stone it was sent, then returns it.
    dt("transfer", "IN-POL-1", "--to", address("lab"), "--action", "grading", "--dev-account", 3)
    dt("grade", "IN-POL-1", "--lab", "Gemological Lab of America", "--report", "GLA-100", "--carat", "3.01",
       "--colour", "E", "--clarity", "VVS2", "--cut", "Excellent", "--dev-account", 4)  # fmt: skip
    dt("transfer", "IN-POL-1", "--to", address("manufacturer"), "--action", "return", "--dev-account", 4)
    report = dt("verify", "IN-POL-1", json=True).json
    journey = report["lineage"].pop("parent_custody")
    assert report["lineage"] == {"parent": "BW-RGH-1", "children": [], "root": "BW-RGH-1"}
    # The rough parent's journey up to the cut: its export to the manufacturer under the certificate.
    assert [(r["action"], r["kp_certificate"]) for r in journey] == [("export", "BW-KP-IN-1")]
    assert report["kind"] == "polished" and report["kp_certificate"]["number"] == "BW-KP-IN-1"
    assert report["origin"]["mine"] == "Jwaneng" and report["origin"]["how"] == "mine"
    assert report["grading"]["count"] == 1 and report["grading"]["reports"][0]["colour"] == "E"
    assert report["grading"]["reports"][0]["current"] is True and report["grading"]["reports"][0]["lab"] == address("lab")
    assert report["description"] == "round brilliant"
    assert [r["action"] for r in report["custody"]] == ["grading", "return"]
    assert report["integrity"]["ok"] and report["integrity"]["parent_checked"] is True
    assert "its rough parent BW-RGH-1" in report["integrity"]["reason"]
    parent = dt("verify", "BW-RGH-1", json=True).json
    assert parent["status"] == "split" and parent["lineage"]["children"] == ["IN-POL-1", "IN-POL-2"]
    assert parent["custody"][0]["kp_certificate"] == "BW-KP-IN-1" and parent["jurisdiction"] == "IN"
    # The lab no longer holds the stone: it cannot grade it again (no relabelling by a third party).
    before = dt.block()
    r = dt("grade", "IN-POL-1", "--lab", "Gemological Lab of America", "--report", "GLA-101", "--carat", "3.01",
           "--colour", "D", "--clarity", "IF", "--cut", "Excellent", "--lab-grown", "--dev-account", 4, expect=2)  # fmt: skip
    assert "NotHolder" in r.err and dt.block() == before

    dt("flag", "IN-POL-2", "--reason", "stolen", "--dev-account", 3)
    flagged = dt("verify", "IN-POL-2", expect=1)
    assert "FLAGGED STOLEN" in flagged.out
    report_of_recovery = tmp_path / "police.pdf"
    report_of_recovery.write_bytes(b"recovered by the police")
    dt("unflag", "IN-POL-2", "--document", report_of_recovery, "--dev-account", ADMIN)
    dt("verify", "IN-POL-2")


def test_grading_under_someone_elses_lab_name_is_refused(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-GR", 1)), "--dev-account", 1)
    r = dt("grade", "BW-GR-00000", "--lab", "GIA", "--report", "1", "--carat", "1", "--colour", "D",
           "--clarity", "IF", "--cut", "Excellent", "--dev-account", 4, expect=2)  # fmt: skip
    assert "is not the signing account's lab" in r.err


def test_flags_by_the_holder_or_by_the_admin_on_a_report(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-FLG", 3)), "--dev-account", 1)
    police = tmp_path / "police-report.pdf"
    police.write_bytes(b"theft reported by Debswana; the thief holds the key")
    # A thief holding the key won't flag: the admin does, on the report.
    before = dt.block()
    r = dt("flag", "BW-FLG-00000", "--reason", "stolen", "--dev-account", ADMIN, expect=2)
    assert "DocumentRequired" in r.err and dt.block() == before
    r = dt("flag", "BW-FLG-00000", "--reason", "stolen", "--document", police, "--dev-account", 9, expect=2)
    assert "NotHolder" in r.err and dt.block() == before
    dt("flag", "BW-FLG-00000", "--reason", "stolen", "--document", police, "--dev-account", ADMIN)
    assert dt("verify", "BW-FLG-00000", json=True, expect=1).json["flags"] == {"flag": "stolen", "flagged": True}
    registry = dt.registry()
    flagged = registry.events.StoneFlagged().get_logs(from_block=before, to_block="latest")
    assert flagged[-1]["args"]["by"] == address(ADMIN) and bytes(flagged[-1]["args"]["document"]) == keccak(police.read_bytes())
    # A flagged stone cannot move.
    before = dt.block()
    r = dt("transfer", "BW-FLG-00000", "--to", address("trader_bw"), "--dev-account", 1, expect=2)
    assert "StoneIsFlagged" in r.err and dt.block() == before
    # The holder flags its own stone without a document.
    dt("flag", "BW-FLG-00001", "--reason", "lost", "--dev-account", 1)
    assert dt("verify", "BW-FLG-00001", json=True, expect=1).json["flags"]["flag"] == "lost"
    # Clearing a flag takes the admin and a document; the command says so before sending.
    before = dt.block()
    r = dt("unflag", "BW-FLG-00001", "--dev-account", ADMIN, expect=2)
    assert "needs --document" in r.err and dt.block() == before
    r = dt("unflag", "BW-FLG-00001", "--document", police, "--dev-account", 1, expect=2)
    assert "OwnableUnauthorizedAccount" in r.err and dt.block() == before
    dt("unflag", "BW-FLG-00001", "--document", police, "--dev-account", ADMIN)
    assert dt("verify", "BW-FLG-00001", json=True).json["flags"]["flagged"] is False


def test_declared_origin_stones_are_marked_everywhere(dt, tmp_path):
    stones = write_csv(
        tmp_path / "old-stock.csv", [["IN-OLD-1", "0.90", "cut in 2019"], ["IN-OLD-2", "1.10", ""]], "stone_id,carat,description"
    )
    declared = dt("declare", stones, "--mine", "Unknown", "--dev-account", 3, json=True).json
    assert declared["declared"] == ["IN-OLD-1", "IN-OLD-2"] and declared["country"] is None
    report = dt("verify", "IN-OLD-1", json=True).json
    assert report["origin"]["how"] == "declared" and report["origin"]["traced_from_mine"] is False
    assert report["origin"]["note"] == "origin declared, not traced from the mine"
    assert report["origin"]["producer"] is None and report["origin"]["registrant"] == address("manufacturer")
    assert report["kind"] == "polished" and report["description"] == "cut in 2019" and report["jurisdiction"] is None
    assert "ORIGIN DECLARED, NOT TRACED FROM THE MINE" in dt("verify", "IN-OLD-1").out
    with_country = write_csv(tmp_path / "zw.csv", [["IN-OLD-3", "2.00"]], "stone_id,carat")
    assert (
        dt("declare", with_country, "--mine", "Murowa", "--country", "ZW", "--dev-account", 3, json=True).json["country"] == "ZW"
    )
    assert dt("verify", "IN-OLD-3", json=True).json["origin"]["country"] == "ZW"
    # Declared stones carry the manufacturer's prefix; a producer cannot declare; a country must be real.
    before = dt.block()
    outside = write_csv(tmp_path / "outside.csv", [["BW-OLD-1", "1.00"]], "stone_id,carat")
    assert "OutsidePrefix" in dt("declare", outside, "--mine", "Unknown", "--dev-account", 3, expect=2).err
    assert "MissingRole" in dt("declare", stones, "--mine", "Unknown", "--dev-account", 1, expect=2).err
    assert "not an ISO 3166-1" in dt("declare", stones, "--mine", "Unknown", "--country", "ZZ", "--dev-account", 3, expect=2).err
    assert dt.block() == before


def test_descriptions_are_the_registrants_unless_asked(dt, tmp_path):
    """Issue 11, attack 9: a later holder's text is never shown as the stone's description."""
    rows = [["BW-DSC-1", "1.00", "Jwaneng", "BW", "2026-11-20", "clear octahedron"]]
    dt(
        "mint",
        write_csv(tmp_path / "run.csv", rows, "stone_id,carat,mine,country,production_date,description"),
        "--dev-account",
        1,
    )
    dt("transfer", "BW-DSC-1", "--to", address("trader_bw"), "--dev-account", 1)
    claim = "GIA-certified D/IF, appraised USD 250,000"
    dt.send(9, "describe", [token_id("BW-DSC-1")], [claim])
    report = dt("verify", "BW-DSC-1", json=True).json
    assert report["description"] == "clear octahedron" and "descriptions" not in report
    assert claim not in dt("verify", "BW-DSC-1").out
    every = dt("verify", "BW-DSC-1", "--all-descriptions", json=True).json
    assert [(d["by"], d["description"]) for d in every["descriptions"]] == [
        (address("producer"), "clear octahedron"),
        (address("trader_bw"), claim),
    ]
    assert f"described   by {address('trader_bw')}" in dt("verify", "BW-DSC-1", "--all-descriptions").out


def test_verify_json_equals_the_on_chain_record(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-VER", 1)), "--dev-account", 1)
    dt("transfer", "BW-VER-00000", "--to", address("trader_bw"), "--warranty", "--dev-account", 1)
    dt("transfer", "BW-VER-00000", "--to", address("producer"), "--action", "return", "--dev-account", 9)
    report = dt("verify", "BW-VER-00000", json=True).json
    for key in ["token_id", "stone_id", "holder", "status", "carat", "kind", "origin", "kp_certificate", "custody", "lineage",
                "grading", "flags", "integrity", "assurance", "last_record_block"]:  # fmt: skip
        assert key in report
    registry = dt.registry()
    token = token_id("BW-VER-00000")
    stone = registry.functions.stone(token).call()
    holder, has_records, last_block, _, holder_last = registry.functions.custodyAnchor(token).call()
    assert report["token_id"] == str(token) and report["holder"] == holder == stone.holder and has_records
    assert report["last_record_block"] == last_block == stone.lastRecordBlock == report["custody"][-1]["block"] == holder_last
    assert report["custody_count"] == len(report["custody"]) == 2
    assert [r["action"] for r in report["custody"]] == ["sale", "return"]
    assert [r["warranty"] for r in report["custody"]] == [True, False]
    assert [(r["from"], r["to"]) for r in report["custody"]] == [
        (address("producer"), address("trader_bw")),
        (address("trader_bw"), address("producer")),
    ]
    assert report["integrity"]["ok"] is True and report["integrity"]["parent_checked"] is False
    assert report["integrity"]["reason"].startswith(
        "all 2 custody records present, in order, and tied to the holders' on-chain chains (128-bit;"
    )
    assert (
        report["integrity"]["checked"] == f"registry {registry.address} on chain 31337, against its state at block {dt.block()}"
    )
    assert report["grading"] == {"count": 0, "reports": []}
    assert set(report["assurance"]) == {"kimberley_process", "system_of_warranties", "rjc"}
    assert report["carat"] == "1.00" and report["origin"]["country"] == "BW"
    human = dt("verify", str(token))
    assert "integrity   OK" in human.out and "BW-VER-00000" in human.out
    assert "Kimberley Process     yes" in human.out and "RJC                   NO" in human.out
    assert dt("verify", hex(token), json=True).json == report


def test_commands_that_send_need_a_signer(dt, tmp_path):
    path = write_csv(tmp_path / "run.csv", run_rows("BW-NOSIG", 1))
    before = dt.block()
    for args in [
        ("mint", path),
        ("transfer", "BW-1", "--to", address("trader_bw")),
        ("pause",),
        ("recover", "BW-1", "--document", path),
    ]:
        r = dt(*args, expect=2)
        assert "this command sends a transaction: sign with --keystore" in r.err, args
    assert dt.block() == before
    assert Registry(dt.registry()).participant(address("producer")).prefix == "BW-"


def test_retail_sales_are_for_polished_stones_which_then_move_freely(dt, tmp_path):
    """Issue 11, attack 1: a retail sale of rough to an accomplice took it out of the trade and
    across a border. A retailer sells only polished stones; a retailed one changes hands freely."""
    password = tmp_path / "pw"
    password.write_text("jeweller in Gaborone")
    keystore = tmp_path / "retailer_bw.json"
    retailer_bw = dt("account", "new", "--out", keystore, "--password-file", password, json=True).json["address"]
    dt.rpc("anvil_setBalance", retailer_bw, hex(10**18))
    dt(
        "participant",
        "add",
        retailer_bw,
        "--role",
        "retailer",
        "--name",
        "Gaborone Jewellers",
        "--country",
        "BW",
        "--dev-account",
        ADMIN,
    )
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-RTL", 1)), "--to", retailer_bw, "--dev-account", 1)
    before = dt.block()
    r = dt(
        "transfer",
        "BW-RTL-00000",
        "--to",
        address(CONSUMER),
        "--action",
        "retail-sale",
        "--keystore",
        keystore,
        "--password-file",
        password,
        expect=2,
    )
    assert "NotPolished" in r.err and dt.block() == before
    assert dt("verify", "BW-RTL-00000", json=True).json["status"] == "in-trade"

    # A polished stone, sold at retail, then resold by the consumer to a friend.
    dt(
        "declare",
        write_csv(tmp_path / "old.csv", [["IN-RTL-1", "1.00"]], "stone_id,carat"),
        "--mine",
        "Unknown",
        "--dev-account",
        3,
    )
    dt("transfer", "IN-RTL-1", "--to", address("retailer"), "--dev-account", 3)
    dt("transfer", "IN-RTL-1", "--to", address(CONSUMER), "--action", "retail-sale", "--warranty", "--dev-account", 5)
    dt("transfer", "IN-RTL-1", "--to", address(RELAYER), "--dev-account", CONSUMER)
    report = dt("verify", "IN-RTL-1", json=True).json
    assert report["status"] == "retailed" and report["holder"] == address(RELAYER) and report["integrity"]["ok"] is True
    assert [(r["action"], r["to"]) for r in report["custody"]][-2:] == [
        ("retail-sale", address(CONSUMER)),
        ("sale", address(RELAYER)),
    ]
