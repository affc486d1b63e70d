"""Bad input: a clear message naming what is wrong and where, exit 2, and nothing sent."""

import json

import pytest
from cli_support import address, run_rows, write_csv

HEADER = "stone_id,carat,mine,country,production_date,kp_certificate"


def refused(dt, *args, contains, where=None):
    """Runs the command, expects exit 2 with `contains` (and `where`) in the message and an unchanged chain."""
    before = dt.block()
    result = dt(*args, expect=2)
    assert contains in result.err, result.err
    if where:
        assert where in result.err, result.err
    assert "Traceback" not in result.err
    assert any(line.startswith("error: ") for line in result.err.splitlines())
    assert dt.block() == before, "something was sent"
    return result


@pytest.mark.parametrize(
    "rows, where, message",
    [
        ([["BW-1", "1.00", "Jwaneng", "BW", "2026-11-20", "", "extra"]], "run.csv:2", "extra column: expected 6 fields"),
        ([["BW-1", "1.00", "Jwaneng", "BW"]], "run.csv:2", "missing column: expected 6 fields"),
        ([["BW-1", "1.005", "Jwaneng", "BW", "2026-11-20", ""]], "run.csv:2: column carat", "has more than two decimals"),
        ([["BW-1", "-2", "Jwaneng", "BW", "2026-11-20", ""]], "run.csv:2: column carat", "must be greater than 0"),
        ([["BW-1", "1e30", "Jwaneng", "BW", "2026-11-20", ""]], "run.csv:2: column carat", "exceeds the maximum"),
        ([["BW-1", "one", "Jwaneng", "BW", "2026-11-20", ""]], "run.csv:2: column carat", "is not a decimal number"),
        ([["BW-1", "1.00", "Jwaneng", "XX", "2026-11-20", ""]], "run.csv:2: column country", "unknown country code 'XX'"),
        ([["BW-1", "1.00", "Jwaneng", "BW", "2999-01-01", ""]], "run.csv:2: column production_date", "is in the future"),
        ([["BW-1", "1.00", "Jwaneng", "BW", "20/11/2026", ""]], "run.csv:2: column production_date", "YYYY-MM-DD"),
        (
            [["BW 1", "1.00", "Jwaneng", "BW", "2026-11-20", ""]],
            "run.csv:2: column stone_id",
            "printable ASCII characters without spaces",
        ),
        ([["B" * 33, "1.00", "Jwaneng", "BW", "2026-11-20", ""]], "run.csv:2: column stone_id", "1 to 32"),
        (
            [["=cmd|' /C calc'!A0", "1.00", "Jwaneng", "BW", "2026-11-20", ""]],
            "run.csv:2: column stone_id",
            "spreadsheet formula",
        ),
        ([["BW-1", "1.00", "@SUM(A1)", "BW", "2026-11-20", ""]], "run.csv:2: column mine", "spreadsheet formula"),
        (
            [
                ["BW-1", "1.00", "Jwaneng", "BW", "2026-11-20", ""],
                ["BW-2", "1.00", "Jwaneng", "BW", "2026-11-20", ""],
                ["BW-1", "2.00", "Jwaneng", "BW", "2026-11-20", ""],
            ],
            "run.csv:4: column stone_id",
            "stone ID BW-1 repeated (first on line 2)",
        ),
        (
            [["BW-1", "1.00", "Jwaneng", "BW", "2026-11-20", "NO-SUCH-KP"]],
            "run.csv:2: column kp_certificate",
            "KP certificate NO-SUCH-KP of BW is not recorded",
        ),
        # A producer registers only its own country's stones, under its own prefix.
        (
            [["BW-1", "1.00", "Jwaneng", "BW", "2026-11-20", ""], ["BW-2", "1.00", "Jwaneng", "CD", "2026-11-20", ""]],
            "run.csv:3: column country",
            "CD is not the producer's accredited country (BW)",
        ),
        (
            [["IN-1", "1.00", "Jwaneng", "BW", "2026-11-20", ""]],
            "run.csv:2: column stone_id",
            "does not start with the producer's prefix 'BW-'",
        ),
        (
            [["BWX-1", "1.00", "Jwaneng", "BW", "2026-11-20", ""]],
            "run.csv:2: column stone_id",
            "does not start with the producer's prefix 'BW-'",
        ),
    ],
)
def test_a_bad_row_is_reported_by_line_and_column(dt, tmp_path, rows, where, message):
    path = write_csv(tmp_path / "run.csv", rows, HEADER)
    refused(dt, "mint", path, "--dev-account", 1, contains=message, where=where)


def test_every_problem_is_reported_at_once(dt, tmp_path):
    rows = run_rows("BW-OK", 3) + [["BW-BAD", "x", "Jwaneng", "ZZ", "2026-11-20"]]
    r = refused(dt, "mint", write_csv(tmp_path / "run.csv", rows), "--dev-account", 1, contains="2 problems, nothing was sent")
    assert "run.csv:5: column carat" in r.err and "run.csv:5: column country" in r.err


def test_the_files_and_the_chains_problems_come_in_one_pass(dt, tmp_path):
    """A new user once fixed a file in rounds: the chain's objections (an unknown certificate, a
    stone outside the prefix) and a repeated ID only appeared once every cell was right."""
    rows = [
        ["BW-P1", "1.00", "Jwaneng", "BW", "2026-11-20", "NO-SUCH-KP"],
        ["BW-P2", "x", "Jwaneng", "BW", "2026-11-20", ""],
        ["BW-P1", "1.00", "Jwaneng", "BW", "2026-11-31", ""],
        ["IN-P4", "1.00", "Jwaneng", "BW", "2026-11-20", ""],
    ]
    r = refused(
        dt, "mint", write_csv(tmp_path / "run.csv", rows, HEADER), "--dev-account", 1, contains="5 problems, nothing was sent"
    )
    for where, message in [
        ("run.csv:2: column kp_certificate", "KP certificate NO-SUCH-KP of BW is not recorded"),
        ("run.csv:3: column carat", "'x' is not a decimal number"),
        ("run.csv:4: column production_date", "'2026-11-31' does not exist"),
        ("run.csv:4: column stone_id", "stone ID BW-P1 repeated (first on line 2)"),
        ("run.csv:5: column stone_id", "does not start with the producer's prefix 'BW-'"),
    ]:
        assert f"{where}: " in r.err and message in r.err.split(f"{where}: ", 1)[1].splitlines()[0], (where, r.err)


def test_a_split_file_is_read_as_a_run_is(dt, tmp_path):
    children = tmp_path / "children.csv"
    children.write_text("stone_id,carat,description\nBW-C1,0.50,\nBW-C1,x,\n=2+2,0.1,\nBW-C4,0.2,a\tb\n")
    r = refused(dt, "split", "BW-NOPE", children, "--dev-account", 3, contains="4 problems, nothing was sent")
    assert "children.csv:3: column stone_id: stone ID BW-C1 repeated (first on line 2)" in r.err
    assert "children.csv:3: column carat: carat 'x' is not a decimal number" in r.err
    assert "children.csv:4: column stone_id: '=2+2' starts like a spreadsheet formula" in r.err
    assert "children.csv:5: column description: description contains control characters" in r.err


def test_header_problems(dt, tmp_path):
    missing = write_csv(tmp_path / "missing.csv", [["BW-1", "1.00", "Jwaneng", "BW"]], "stone_id,carat,mine,country")
    refused(dt, "mint", missing, "--dev-account", 1, contains="column production_date: required column missing")
    no_header = write_csv(
        tmp_path / "noheader.csv", [["BW-2", "1.00", "Jwaneng", "BW", "2026-11-20"]], "BW-1,1.00,Jwaneng,BW,2026-11-20"
    )
    refused(dt, "mint", no_header, "--dev-account", 1, contains="missing header row")
    unknown = write_csv(
        tmp_path / "unknown.csv",
        [["BW-1", "1.00", "Jwaneng", "BW", "2026-11-20", "9"]],
        "stone_id,carat,mine,country,production_date,price",
    )
    refused(dt, "mint", unknown, "--dev-account", 1, contains="column price: unknown column")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    refused(dt, "mint", empty, "--dev-account", 1, contains="the file is empty")


def test_encoding_bom_and_quoting(dt, tmp_path):
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("stone_id,carat,mine,country,production_date\nBW-1,1.00,Orapa Mín,BW,2026-11-20\n".encode("latin-1"))
    refused(dt, "mint", latin1, "--dev-account", 1, contains="is not UTF-8", where="latin1.csv:2")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(
        (
            "\ufeffstone_id,carat,mine,country,production_date,description\n"
            'BW-BOM-1,1.00,Orapa,BW,2026-11-20,"cleaved, with a\nnewline"\n'
        ).encode()
    )
    result = dt("mint", bom, "--dev-account", 1, json=True).json
    assert result["registered"] == 1
    assert dt("verify", "BW-BOM-1", json=True).json["description"] == "cleaved, with a\nnewline"
    broken = tmp_path / "broken.csv"
    broken.write_text('stone_id,carat,mine,country,production_date\nBW-1,1.00,"Jwan"eng,BW,2026-11-20\n')
    refused(dt, "mint", broken, "--dev-account", 1, contains="malformed CSV", where="broken.csv:2")


def test_a_stone_already_on_chain_with_different_data(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "a.csv", [["BW-SAME", "1.00", "Jwaneng", "BW", "2026-11-20"]]), "--dev-account", 1)
    changed = write_csv(
        tmp_path / "b.csv",
        [["BW-NEW", "2.00", "Jwaneng", "BW", "2026-11-20"], ["BW-SAME", "1.50", "Jwaneng", "BW", "2026-11-20"]],
    )
    refused(
        dt,
        "mint",
        changed,
        "--dev-account",
        1,
        contains="already registered with different data: carat is '1.00' on chain but '1.50' in the file",
        where="b.csv:3: column carat",
    )


def _certificate(dt, number, carats="5", expires="2099-12-31", issued="2026-01-01", exporter="producer"):
    dt(
        "kp", "register", "--number", number, "--exporting", "BW", "--importing", "BE",
        "--exporter", address(exporter), "--importer", address("trader"), "--carats", carats, "--value-usd", "1000",
        "--parcels", "1", "--issued", issued, "--expires", expires, "--dev-account", 6,
    )  # fmt: skip


def test_kp_certificate_problems(dt, tmp_path):
    _certificate(dt, "KP-SMALL", carats="2.50")
    rows = [
        ["BW-K1", "1.50", "Jwaneng", "BW", "2026-11-20", "KP-SMALL"],
        ["BW-K2", "1.50", "Jwaneng", "BW", "2026-11-20", "KP-SMALL"],
    ]
    refused(
        dt,
        "mint",
        write_csv(tmp_path / "over.csv", rows, HEADER),
        "--dev-account",
        1,
        contains="would be over-drawn",
        where="over.csv:3",
    )
    _certificate(dt, "KP-OLD", issued="2020-01-01", expires="2020-12-31")
    old = [["BW-K3", "1.00", "Jwaneng", "BW", "2026-11-20", "KP-OLD"]]
    refused(
        dt,
        "mint",
        write_csv(tmp_path / "old.csv", old, HEADER),
        "--dev-account",
        1,
        contains="KP certificate KP-OLD expired on 2020-12-31",
    )
    _certificate(dt, "KP-OTHER", exporter="trader_bw")
    other = [["BW-K4", "1.00", "Jwaneng", "BW", "2026-11-20", "KP-OTHER"]]
    refused(dt, "mint", write_csv(tmp_path / "other.csv", other, HEADER), "--dev-account", 1, contains="is for exporter")
    # Issue 11, attack 2: registering junk into the exporter's custody to burn its certificate.
    _certificate(dt, "KP-BURN", carats="5", exporter="trader_bw")
    burn = [["BW-K5", "5.00", "Jwaneng", "BW", "2026-11-20", "KP-BURN"]]
    refused(dt, "mint", write_csv(tmp_path / "burn.csv", burn, HEADER), "--to", address("trader_bw"), "--dev-account", 1,
            contains="only its exporter registers stones under it", where="burn.csv:2: column kp_certificate")  # fmt: skip
    assert dt("kp", "show", "KP-BURN", "--exporting", "BW", json=True).json["drawn_carat"] == "0.00"


def test_refusals_before_sending(dt, tmp_path):
    path = write_csv(tmp_path / "run.csv", run_rows("BW-R", 2))
    refused(dt, "mint", path, contains="this command sends a transaction: sign with --keystore")
    refused(dt, "mint", path, "--dev-account", 2, contains=f"{address('trader')} is not an accredited producer")
    refused(dt, "mint", path, "--dev-account", 1, "--batch-size", 0, contains="--batch-size 0 must be between 1 and 600")
    refused(
        dt,
        "mint",
        path,
        "--dev-account",
        1,
        "--to",
        address(7),
        contains=f"--to {address(7)} must be a participant accredited in BW",
    )
    refused(
        dt,
        "mint",
        path,
        "--dev-account",
        1,
        "--to",
        address("manufacturer"),
        contains="must be a participant accredited in BW, the producer's country",
    )
    refused(dt, "mint", tmp_path / "nope.csv", "--dev-account", 1, contains="cannot read")
    refused(dt, "transfer", "BW-NOPE", "--to", address("trader_bw"), "--dev-account", 1, contains="UnknownStone(tokenId=BW-NOPE)")
    refused(dt, "transfer", "has space", "--to", address("trader_bw"), "--dev-account", 1, contains="printable ASCII")
    refused(
        dt,
        "participant",
        "add",
        "0x123",
        "--role",
        "trader",
        "--name",
        "x",
        "--country",
        "BE",
        "--dev-account",
        0,
        contains="not an Ethereum address",
    )
    refused(
        dt,
        "participant",
        "add",
        address(7),
        "--role",
        "trader",
        "--name",
        "x",
        "--country",
        "QQ",
        "--dev-account",
        0,
        contains="not an ISO 3166-1 alpha-2 code",
    )


def test_keystore_problems(dt, tmp_path):
    path = write_csv(tmp_path / "run.csv", run_rows("BW-KEY", 1))
    password = tmp_path / "pw"
    password.write_text("right password")
    keystore = tmp_path / "key.json"
    dt("account", "new", "--out", keystore, "--password-file", password)
    wrong = tmp_path / "wrong"
    wrong.write_text("wrong password")
    refused(dt, "mint", path, "--keystore", keystore, "--password-file", wrong, contains="wrong password for the keystore")
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    refused(dt, "mint", path, "--keystore", broken, "--password-file", password, contains="is not a JSON keystore")
    damaged = tmp_path / "damaged.json"
    data = json.loads(keystore.read_text())
    del data["crypto"]["kdfparams"]
    damaged.write_text(json.dumps(data))
    refused(dt, "mint", path, "--keystore", damaged, "--password-file", password, contains="is damaged")
    refused(dt, "mint", path, "--keystore", keystore, contains="needs its password")
    refused(dt, "account", "new", "--out", keystore, "--password-file", password, contains="already exists")


def test_a_deployment_record_from_another_chain(dt, tmp_path):
    record = json.loads(dt.deployment.read_text())
    record["chain_id"] = 11155111
    other = tmp_path / "sepolia.json"
    other.write_text(json.dumps(record))
    before = dt.block()
    r = dt.__class__(dt.url, other)("verify", "BW-1", expect=2)
    assert "is for chain id 11155111, but the RPC endpoint is chain id 31337" in r.err and dt.block() == before


def test_a_description_over_the_registrys_limit_is_reported_by_line(dt, tmp_path):
    """The registry keeps at most 500 bytes of description: 300 characters of accented text are 600."""
    header = "stone_id,carat,mine,country,production_date,description"
    rows = [
        ["BW-D1", "1.00", "Jwaneng", "BW", "2026-11-20", "short"],
        ["BW-D2", "1.00", "Jwaneng", "BW", "2026-11-20", ""],
        ["BW-D3", "1.00", "Jwaneng", "BW", "2026-11-20", "é" * 300],
        ["BW-D4", "1.00", "Jwaneng", "BW", "2026-11-20", "x" * 501],
    ]
    r = refused(
        dt, "mint", write_csv(tmp_path / "run.csv", rows, header), "--dev-account", 1, contains="2 problems, nothing was sent"
    )
    assert "run.csv:4: column description: description is 600 bytes; at most 500" in r.err
    assert "run.csv:5: column description: description is 501 bytes; at most 500" in r.err
    fine = write_csv(tmp_path / "fine.csv", [rows[0], rows[1], rows[2][:5] + ["é" * 250]], header)
    assert dt("mint", fine, "--dev-account", 1, json=True).json["described"] == 2
    assert dt("verify", "BW-D3", json=True).json["description"] == "é" * 250


def test_usage_errors_exit_2_and_name_the_option(dt):
    r = dt("transfer", "BW-1", "--to", address("trader"), "--action", "theft", "--dev-account", 1, expect=2)
    assert "argument --action: invalid choice: 'theft'" in r.err
    r = dt("kp", "register", "--number", "X", expect=2)
    assert "the following arguments are required" in r.err
    r = dt("frobnicate", expect=2)
    assert "invalid choice: 'frobnicate'" in r.err
