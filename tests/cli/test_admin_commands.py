"""The admin's commands: accreditation with stone-ID prefixes and RJC certifications, revocation
with a successor and recovery, pause. Each rule is also tried the way someone would route around it,
and a refusal leaves the chain as it was."""

import pytest
from cli_support import ADMIN, CONSUMER, address, run_rows, write_csv
from eth_utils import keccak

from diamondtrace.model import token_id


def refused(dt, *args, contains):
    before = dt.block()
    result = dt(*args, expect=2)
    assert contains in result.err, result.err
    assert dt.block() == before, "something was sent"
    return result


def _new_account(dt, tmp_path, name):
    """A keystore account of the test's own (the ten development accounts are all cast), funded."""
    password = tmp_path / f"{name}.pw"
    password.write_text(f"password of {name}")
    keystore = tmp_path / f"{name}.json"
    account = dt("account", "new", "--out", keystore, "--password-file", password, json=True).json["address"]
    dt.rpc("anvil_setBalance", account, hex(10**18))
    return account, ["--keystore", keystore, "--password-file", password]


# ------------------------------------------------------------------------------------------------
# Prefixes
# ------------------------------------------------------------------------------------------------


def test_a_prefix_is_given_at_accreditation_and_registrations_carry_it(dt, tmp_path):
    producer, signing = _new_account(dt, tmp_path, "orapa")
    added = dt.accredit(producer, "producer", "BW", "--prefix", "BWX-")
    assert added["prefix"] == "BWX-" and "stone-ID prefix BWX-" in dt("participant", "show", producer).out
    path = write_csv(tmp_path / "run.csv", run_rows("BWX-OR", 3))
    assert dt("mint", path, *signing, json=True).json["registered"] == 3
    assert dt("verify", "BWX-OR-00002", json=True).json["origin"]["producer"] == producer
    # The same prefix again is no change; another one is refused: a prefix is for life.
    assert dt.accredit(producer, "producer", "BW", "--prefix", "BWX-")["prefix"] == "BWX-"
    refused(dt, "participant", "add", producer, "--role", "producer", "--name", "X", "--country", "BW", "--prefix", "BWY-",
            "--dev-account", ADMIN, contains="PrefixAlreadyAssigned")  # fmt: skip


@pytest.mark.parametrize("prefix", ["BW-", "BW-JW-", "B", "BW"])
def test_no_prefix_may_start_another(dt, tmp_path, prefix):
    """Issue 11, attack 5: with "BW-" held by Debswana, nobody may take a prefix that starts it or
    that it starts, and so register or split stones under Debswana's IDs."""
    squatter, _ = _new_account(dt, tmp_path, "squatter")
    refused(dt, "participant", "add", squatter, "--role", "manufacturer", "--name", "Squatter", "--country", "RU",
            "--prefix", prefix, "--dev-account", ADMIN, contains="PrefixOverlaps")  # fmt: skip
    assert dt("participant", "show", squatter, json=True).json["accredited"] is False


def test_a_prefix_is_checked_before_sending(dt):
    refused(dt, "participant", "add", address(CONSUMER), "--role", "producer", "--name", "X", "--country", "BW",
            "--prefix", "has space", "--dev-account", ADMIN, contains="without spaces")  # fmt: skip
    refused(dt, "participant", "add", address(CONSUMER), "--role", "producer", "--name", "X", "--country", "BW",
            "--prefix", "P" * 32, "--dev-account", ADMIN, contains="1 to 31")  # fmt: skip


def test_a_producer_without_a_prefix_registers_nothing(dt, tmp_path):
    producer, signing = _new_account(dt, tmp_path, "unprefixed")
    dt.accredit(producer, "producer", "BW")
    refused(dt, "mint", write_csv(tmp_path / "run.csv", run_rows("BW-NP", 1)), *signing, contains="has no stone-ID prefix")


def test_a_manufacturer_cannot_split_into_a_producers_ids(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", [["BW-SQ-1", "10.00", "Jwaneng", "BW", "2026-11-20"]]), "--dev-account", 1)
    dt(
        "kp", "register", "--number", "BW-KP-SQ", "--exporting", "BW", "--importing", "IN", "--exporter", address("producer"),
        "--importer", address("manufacturer"), "--carats", "10", "--value-usd", "1", "--parcels", "1", "--issued", "2026-11-01",
        "--expires", "2099-12-31", "--dev-account", 6,
    )  # fmt: skip
    dt("transfer", "BW-SQ-1", "--to", address("manufacturer"), "--action", "export", "--kp", "BW-KP-SQ", "--dev-account", 1)
    squatting = write_csv(tmp_path / "children.csv", [["IN-SQ-1", "2.00"], ["BW-JW-2026-000001", "2.00"]], "stone_id,carat")
    refused(dt, "split", "BW-SQ-1", squatting, "--dev-account", 3, contains="OutsidePrefix")
    assert dt.registry().functions.registrations([token_id("BW-JW-2026-000001")]).call()[0] == []


# ------------------------------------------------------------------------------------------------
# RJC certification
# ------------------------------------------------------------------------------------------------


def test_rjc_certification_recorded_renewed_and_withdrawn(dt, tmp_path):
    jeweller, _ = _new_account(dt, tmp_path, "jeweller")
    added = dt.accredit(jeweller, "retailer", "FR", "--rjc-certificate", "RJC-COP-0042", "--rjc-expires", "2099-12-31")
    since = added["rjc"]["since_block"]
    assert added["rjc"] == {"certificate": "RJC-COP-0042", "expires": "2099-12-31", "since_block": since, "current": True}
    assert since == added["block"]
    assert "RJC certificate RJC-COP-0042, valid through 2099-12-31: current" in dt("participant", "show", jeweller).out
    # A renewal before it lapses continues the certification: the same period.
    renewed = dt(
        "participant",
        "rjc",
        jeweller,
        "--certificate",
        "RJC-COP-0043",
        "--expires",
        "2100-06-30",
        "--dev-account",
        ADMIN,
        json=True,
    ).json
    assert renewed["rjc"] == {"certificate": "RJC-COP-0043", "expires": "2100-06-30", "since_block": since, "current": True}

    # A past date withdraws it; certified again later, a new period starts.
    def certify(number, expires):
        args = ["--certificate", number, "--expires", expires, "--dev-account", ADMIN]
        return dt("participant", "rjc", jeweller, *args, json=True).json

    withdrawn = certify("RJC-COP-0043", "2020-01-01")
    assert withdrawn["rjc"]["current"] is False and "NOT current" in dt("participant", "show", jeweller).out
    again = certify("RJC-COP-0044", "2099-12-31")
    assert again["rjc"]["current"] is True and again["rjc"]["since_block"] == again["block"] > since


def test_rjc_options_and_who_may_certify(dt, tmp_path):
    refused(dt, "participant", "add", address(CONSUMER), "--role", "trader", "--name", "X", "--country", "BE",
            "--rjc-certificate", "RJC-1", "--dev-account", ADMIN,
            contains="give --rjc-certificate and --rjc-expires together")  # fmt: skip
    refused(dt, "participant", "add", address(CONSUMER), "--role", "trader", "--name", "X", "--country", "BE",
            "--rjc-expires", "2099-01-01", "--dev-account", ADMIN,
            contains="give --rjc-certificate and --rjc-expires together")  # fmt: skip
    assert "YYYY-MM-DD" in dt("participant", "rjc", address("trader"), "--certificate", "RJC-1", "--expires", "soon",
                              "--dev-account", ADMIN, expect=2).err  # fmt: skip
    # A bad certificate ID is refused before the accreditation that comes with it is sent.
    refused(dt, "participant", "add", address(CONSUMER), "--role", "trader", "--name", "X", "--country", "BE",
            "--rjc-certificate", "RJC-" + "9" * 29, "--rjc-expires", "2099-01-01", "--dev-account", ADMIN,
            contains="--rjc-certificate")  # fmt: skip
    assert dt("participant", "show", address(CONSUMER), json=True).json["accredited"] is False
    # A participant cannot certify itself.
    refused(dt, "participant", "rjc", address("trader"), "--certificate", "RJC-SELF", "--expires", "2099-12-31",
            "--dev-account", 2, contains="OwnableUnauthorizedAccount")  # fmt: skip
    assert dt("participant", "show", address("trader"), json=True).json["rjc"]["certificate"] is None


# ------------------------------------------------------------------------------------------------
# Re-accreditation, revocation and recovery
# ------------------------------------------------------------------------------------------------


def test_an_address_never_changes_country(dt):
    """Issue 11, attack 10: re-accrediting a holder in another country would move its rough stones
    across a border with no record."""
    refused(dt, "participant", "add", address("trader_bw"), "--role", "trader", "--name", "Gaborone Diamond Trading",
            "--country", "BE", "--dev-account", ADMIN, contains="an address never changes country")  # fmt: skip
    assert dt("participant", "show", address("trader_bw"), json=True).json["country"] == "BW"


@pytest.fixture
def revoked_holder(dt, tmp_path):
    """trader_bw holds two rough stones from Botswana, then loses its accreditation."""
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-RVK", 3)), "--to", address("trader_bw"), "--dev-account", 1)
    return ["BW-RVK-00000", "BW-RVK-00001"]


def test_a_revoked_holders_stones_go_to_its_successor_by_recovery(dt, tmp_path, revoked_holder):
    revoked = dt(
        "participant", "revoke", address("trader_bw"), "--successor", address("producer"), "--dev-account", ADMIN, json=True
    ).json
    assert revoked["accredited"] is False and revoked["successor"] == address("producer")
    assert f"successor (for recovery of its stones) {address('producer')}" in dt("participant", "show", address("trader_bw")).out
    # The revoked holder itself cannot move them any more.
    refused(dt, "transfer", revoked_holder[0], "--to", address("producer"), "--action", "return", "--dev-account", 9,
            contains="HolderNotAccredited")  # fmt: skip
    ruling = tmp_path / "ruling.pdf"
    ruling.write_bytes(b"liquidator's order: stock to Debswana")
    recovered = dt("recover", *revoked_holder, "--document", ruling, "--dev-account", ADMIN, json=True).json
    assert recovered["recovered"] == revoked_holder
    for stone in revoked_holder:
        report = dt("verify", stone, json=True).json
        assert report["holder"] == address("producer") and report["integrity"]["ok"] is True
        last = report["custody"][-1]
        assert (last["action"], last["from"], last["to"]) == ("recovery", address("trader_bw"), address("producer"))
        assert last["document"] == "0x" + keccak(ruling.read_bytes()).hex()
        assert "recovery" in dt("verify", stone).out
    # The third stone stayed where it was.
    assert dt("verify", "BW-RVK-00002", json=True).json["holder"] == address("trader_bw")


def test_recovery_needs_the_admin_a_document_a_revoked_holder_and_its_successor(dt, tmp_path, revoked_holder):
    ruling = tmp_path / "ruling.pdf"
    ruling.write_bytes(b"ruling")
    stone = revoked_holder[0]
    refused(dt, "recover", stone, "--document", ruling, "--dev-account", ADMIN, contains="NotRevoked")
    dt("participant", "revoke", address("trader_bw"), "--dev-account", ADMIN)
    refused(dt, "recover", stone, "--document", ruling, "--dev-account", ADMIN, contains="NoSuccessor")
    dt(
        "participant",
        "add",
        address("trader_bw"),
        "--role",
        "trader",
        "--name",
        "Gaborone Diamond Trading",
        "--country",
        "BW",
        "--dev-account",
        ADMIN,
    )
    dt("participant", "revoke", address("trader_bw"), "--successor", address("producer"), "--dev-account", ADMIN)
    refused(dt, "recover", stone, "--document", ruling, "--dev-account", 1, contains="OwnableUnauthorizedAccount")
    usage = refused(dt, "recover", stone, "--dev-account", ADMIN, contains="--document")
    assert "required" in usage.err
    empty = tmp_path / "empty"
    empty.write_bytes(b"")  # a document, however short, has a hash: only a missing one is refused
    dt("recover", stone, "--document", empty, "--dev-account", ADMIN)
    assert dt("verify", stone, json=True).json["holder"] == address("producer")


def test_recovery_never_takes_rough_across_a_border(dt, tmp_path, revoked_holder):
    """A revoked holder's rough stone does not leave its country by recovery, any more than by sale."""
    dt("participant", "revoke", address("trader_bw"), "--successor", address("trader"), "--dev-account", ADMIN)
    ruling = tmp_path / "ruling.pdf"
    ruling.write_bytes(b"ruling: stock to Antwerp")
    refused(
        dt, "recover", revoked_holder[0], "--document", ruling, "--dev-account", ADMIN, contains="CrossBorderWithoutCertificate"
    )
    report = dt("verify", revoked_holder[0], json=True).json
    assert report["holder"] == address("trader_bw") and report["jurisdiction"] == "BW"


# ------------------------------------------------------------------------------------------------
# Pause
# ------------------------------------------------------------------------------------------------


def test_a_paused_registry_refuses_every_change_but_flagging(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "first.csv", run_rows("BW-PSE", 3)), "--dev-account", 1)
    refused(dt, "pause", "--dev-account", 1, contains="OwnableUnauthorizedAccount")
    paused = dt("pause", "--dev-account", ADMIN, json=True).json
    assert paused["paused"] is True and "paused" in dt("pause", "--dev-account", ADMIN, expect=2).err
    registry = dt.registry()
    assert registry.functions.paused().call() is True

    for args in [
        ("mint", write_csv(tmp_path / "second.csv", run_rows("BW-PSE2", 2)), "--dev-account", 1),
        ("transfer", "BW-PSE-00000", "--to", address("trader_bw"), "--dev-account", 1),
        (
            "declare",
            write_csv(tmp_path / "old.csv", [["IN-PSE-1", "1.00"]], "stone_id,carat"),
            "--mine",
            "Unknown",
            "--dev-account",
            3,
        ),
    ]:
        r = refused(dt, *args, contains="EnforcedPause")
        assert "paused" in r.err and "nothing sent" in r.err and "Traceback" not in r.err
    # A signed authorization can be made while paused (it changes nothing), not used.
    signed = tmp_path / "signed.json"
    dt("transfer", "BW-PSE-00001", "--to", address("trader_bw"), "--sign-only", signed, "--dev-account", 1)
    refused(dt, "broadcast", signed, "--dev-account", 8, contains="EnforcedPause")
    assert registry.functions.ownerOf(token_id("BW-PSE-00000")).call() == address("producer")

    # Flagging stays open (a theft can't wait), and so do the admin's own actions.
    dt("flag", "BW-PSE-00002", "--reason", "stolen", "--dev-account", 1)
    dt(
        "participant",
        "add",
        address(CONSUMER),
        "--role",
        "trader",
        "--name",
        "Late Trader",
        "--country",
        "BW",
        "--dev-account",
        ADMIN,
    )
    assert dt("verify", "BW-PSE-00002", json=True, expect=1).json["flags"]["flag"] == "stolen"

    assert dt("unpause", "--dev-account", ADMIN, json=True).json["paused"] is False
    dt("transfer", "BW-PSE-00000", "--to", address("trader_bw"), "--dev-account", 1)
    dt("broadcast", signed, "--dev-account", 8)
    assert registry.functions.ownerOf(token_id("BW-PSE-00001")).call() == address("trader_bw")
