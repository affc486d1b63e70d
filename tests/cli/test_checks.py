"""What a new user hit, refused before sending with a message in words: mistyped addresses, a
stone sent to nobody, a deployment record overwritten, grades off the GIA scales; and a graded
weight that does not fit the stone, recorded with a warning."""

import json

import pytest
from cli_support import ADMIN, CONSUMER, Cli, address, run_rows, write_csv

from diamondtrace import custody
from diamondtrace.chain import connect
from diamondtrace.errors import InputError
from diamondtrace.model import ZERO32, Action, token_id
from diamondtrace.sending import Sender
from diamondtrace.wallet import dev_signer

ZERO = "0x0000000000000000000000000000000000000000"


def miscased(checksummed: str) -> str:
    """The address with one letter's case changed: what a wallet's checksum catches."""
    i = next(i for i, c in enumerate(checksummed) if i > 1 and c.isalpha())
    return checksummed[:i] + checksummed[i].swapcase() + checksummed[i + 1 :]


def refused(dt, *args, contains):
    before = dt.block()
    r = dt(*args, expect=2)
    assert contains in r.err, r.err
    assert "Traceback" not in r.err and dt.block() == before, "something was sent"
    return r


# ------------------------------------------------------------------------------------------------
# Addresses
# ------------------------------------------------------------------------------------------------


def test_every_address_option_checks_its_eip55_checksum(dt, tmp_path):
    run = write_csv(tmp_path / "run.csv", run_rows("BW-CK", 1))
    dt("mint", run, "--dev-account", 1)
    bad = miscased(address("trader_bw"))
    assert bad.lower() == address("trader_bw").lower() and bad != address("trader_bw")
    kp = ["kp", "register", "--number", "BW-KP-CK", "--exporting", "BW", "--importing", "BE", "--carats", "1", "--value-usd", "1",
          "--parcels", "1", "--issued", "2026-01-01", "--expires", "2099-12-31", "--dev-account", 6]  # fmt: skip
    for args, what in [
        (["participant", "add", bad, "--role", "trader", "--name", "X", "--country", "BW", "--dev-account", ADMIN], "address"),
        (["participant", "show", bad], "address"),
        (["participant", "rjc", bad, "--certificate", "RJC-1", "--expires", "2099-01-01", "--dev-account", ADMIN], "address"),
        (["participant", "revoke", address("trader"), "--successor", bad, "--dev-account", ADMIN], "--successor"),
        (["mint", run, "--to", bad, "--dev-account", 1], "--to"),
        (["transfer", "BW-CK-00000", "--to", bad, "--dev-account", 1], "--to"),
        (
            [
                "transfer",
                "BW-CK-00000",
                "--to",
                address("trader_bw"),
                "--sign-only",
                tmp_path / "s.json",
                "--chain-id",
                31337,
                "--registry",
                miscased(dt.registry().address),
                "--nonce",
                0,
                "--last-record-block",
                1,
                "--dev-account",
                1,
            ],
            "--registry",
        ),  # fmt: skip
        ([*kp, "--exporter", bad, "--importer", address("trader")], "--exporter"),
        ([*kp, "--exporter", address("producer"), "--importer", miscased(address("trader"))], "--importer"),
        (
            [
                "grade",
                "BW-CK-00000",
                "--lab",
                miscased(address("lab")),
                "--report",
                "R",
                "--carat",
                "1",
                "--colour",
                "D",
                "--clarity",
                "IF",
                "--cut",
                "Good",
                "--dev-account",
                4,
            ],
            "--lab",
        ),  # fmt: skip
    ]:
        r = refused(dt, *args, contains="fails its EIP-55 checksum")
        assert f"{what} '0x" in r.err, (args, r.err)
    assert not (tmp_path / "s.json").exists()
    # All lower case (no checksum to check) is still an address.
    assert dt("participant", "show", address("trader_bw").lower(), json=True).json["address"] == address("trader_bw")


def test_a_stone_is_never_sent_to_the_zero_address(dt, tmp_path):
    """A retailed stone moves freely, but not to nobody: the registry's refusal only said
    NotOwnerNorApproved; the library says what is wrong, before sending."""
    dt(
        "declare",
        write_csv(tmp_path / "old.csv", [["IN-ZR-1", "1.00"]], "stone_id,carat"),
        "--mine",
        "Unknown",
        "--dev-account",
        3,
    )
    dt("transfer", "IN-ZR-1", "--to", address("retailer"), "--dev-account", 3)
    dt("transfer", "IN-ZR-1", "--to", address(CONSUMER), "--action", "retail-sale", "--dev-account", 5)
    r = refused(dt, "transfer", "IN-ZR-1", "--to", ZERO, "--dev-account", CONSUMER, contains="--to is the zero address")
    assert "NotOwnerNorApproved" not in r.err
    refused(
        dt,
        "transfer",
        "IN-ZR-1",
        "--to",
        ZERO,
        "--sign-only",
        tmp_path / "s.json",
        "--dev-account",
        CONSUMER,
        contains="--to is the zero address",
    )
    assert not (tmp_path / "s.json").exists()
    # The library's own callers (the brownie scripts) meet the same refusal.
    chain = connect(dt.url)
    with pytest.raises(InputError, match="zero address"):
        custody.transfer(
            dt.registry(),
            Sender(chain, dev_signer(CONSUMER, chain.chain_id)),
            token_id("IN-ZR-1"),
            ZERO,
            Action.SALE,
            ZERO32,
            ZERO32,
        )
    assert dt.registry().functions.ownerOf(token_id("IN-ZR-1")).call() == address(CONSUMER)


# ------------------------------------------------------------------------------------------------
# Deployment records
# ------------------------------------------------------------------------------------------------


def test_deploy_keeps_earlier_records(dt, tmp_path):
    path = tmp_path / "deployments" / "31337.json"
    cli = Cli(dt.url, path)
    first = cli("deploy", "--dev-account", ADMIN, json=True).json
    assert first["earlier_record"] is None
    record = path.read_text()
    before = dt.block()
    r = cli("deploy", "--dev-account", ADMIN, expect=2)
    assert (
        f"{path} already exists (the record of registry {first['registry']} on chain 31337, deployed in block {first['block']}"
        in r.err
    )
    assert "--replace" in r.err and "--deployment PATH" in r.err and "nothing was deployed" in r.err
    assert dt.block() == before and path.read_text() == record
    second = cli("deploy", "--replace", "--dev-account", ADMIN, json=True).json
    aside = tmp_path / "deployments" / f"31337.block-{first['block']}.{first['registry']}.json"
    assert second["earlier_record"] == str(aside) and aside.read_text() == record
    assert json.loads(path.read_text())["registry"] == second["registry"] != first["registry"]
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, aside.name])
    # A record that cannot be read is not replaced silently either.
    broken = tmp_path / "broken.json"
    broken.write_text("{ half a record")
    r = Cli(dt.url, broken)("deploy", "--dev-account", ADMIN, expect=2)
    assert f"{broken} already exists (not a readable deployment record)" in r.err and broken.read_text() == "{ half a record"


# ------------------------------------------------------------------------------------------------
# Grading
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def at_lab(dt, tmp_path):
    """A declared polished stone of 1.00 ct, at the lab for grading."""
    dt(
        "declare",
        write_csv(tmp_path / "old.csv", [["IN-GD-1", "1.00"]], "stone_id,carat"),
        "--mine",
        "Unknown",
        "--dev-account",
        3,
    )
    dt("transfer", "IN-GD-1", "--to", address("lab"), "--action", "grading", "--dev-account", 3)
    return "IN-GD-1"


def _grade(dt, stone, *, carat="1.00", colour="E", clarity="VVS2", cut="Excellent", lab="Gemological Lab of America", expect=0):
    return dt("grade", stone, "--lab", lab, "--report", "GLA-1", "--carat", carat, "--colour", colour, "--clarity", clarity,
              "--cut", cut, "--dev-account", 4, expect=expect)  # fmt: skip


@pytest.mark.parametrize(
    "field, value, scale",
    [
        ("colour", "purple", "D, E, F, G"),
        ("colour", "C", "X, Y, Z"),
        ("colour", "D-E", "D, E, F"),
        ("clarity", "meh", "FL, IF, VVS1, VVS2, VS1, VS2, SI1, SI2, I1, I2, I3"),
        ("clarity", "VVS", "FL, IF, VVS1"),
        ("cut", "?", "Excellent, Very Good, Good, Fair, Poor"),
        ("cut", "Ideal", "Excellent, Very Good"),
    ],
)
def test_grades_off_the_gia_scales_are_refused(dt, at_lab, field, value, scale):
    before = dt.block()
    r = _grade(dt, at_lab, **{field: value}, expect=2)
    assert f"--{field} {value!r} is not on the GIA scale" in r.err and scale in r.err and dt.block() == before


def test_grades_are_recorded_as_the_scale_writes_them(dt, at_lab):
    r = _grade(dt, at_lab, colour="e", clarity="vvs2", cut="very  good", lab=address("lab").lower())
    assert r.err == ""
    report = dt("verify", at_lab, json=True).json["grading"]["reports"][0]
    assert (report["colour"], report["clarity"], report["cut"]) == ("E", "VVS2", "Very Good")
    r = _grade(dt, at_lab, lab=address("trader"), expect=2)
    assert f"--lab {address('trader')!r} is not the signing account's lab (Gemological Lab of America" in r.err


@pytest.mark.parametrize(
    "carat, warning",
    [
        ("1.00", None),
        ("0.98", None),
        ("1.01", "heavier than its registered 1.00 ct: a polished stone does not gain weight"),
        ("0.90", "graded at 0.90 ct but registered at 1.00 ct (more than 3% apart)"),
        ("10.00", "heavier than its registered 1.00 ct"),
    ],
)
def test_an_implausible_graded_weight_is_recorded_with_a_warning(dt, at_lab, carat, warning):
    r = _grade(dt, at_lab, carat=carat)
    if warning is None:
        assert "warning" not in r.err
    else:
        assert "warning: IN-GD-1 is" in r.err and warning in r.err and "check --carat" in r.err
    assert dt("verify", at_lab, json=True).json["grading"]["reports"][0]["carat"] == carat
