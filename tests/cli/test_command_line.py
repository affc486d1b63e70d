"""The command line itself: no abbreviations, no secret echoed in an error, help for every option,
and failures reported in JSON when JSON was asked for."""

import argparse
import json

import pytest
from cli_support import Cli, address, run_rows, write_csv

from diamondtrace.cli import build_parser
from diamondtrace.cli.parser import parsers
from diamondtrace.localnode import free_port

SECRET = "hunter2-Zq9-not-a-path"


@pytest.fixture
def offline(tmp_path) -> Cli:
    """The command with nothing listening at its RPC endpoint: these mistakes are caught before any chain is asked."""
    return Cli(f"http://127.0.0.1:{free_port()}", tmp_path / "deployment.json")


def test_every_parser_refuses_abbreviations():
    every = list(parsers(build_parser()))
    assert len(every) > 20 and all(p.allow_abbrev is False for p in every)


@pytest.mark.parametrize(
    "args",
    [
        ["mint", "run.csv", "--password", SECRET, "--dev-account", "1"],
        [
            "transfer",
            "BW-1",
            "--to",
            "0x0000000000000000000000000000000000000001",
            "--sign-only",
            "out.json",
            "--password",
            SECRET,
        ],
        ["deploy", "--keystore", "admin.json", "--password", SECRET],
        ["account", "new", "--out", "key.json", "--password", SECRET],
        [
            "participant",
            "add",
            "0x0000000000000000000000000000000000000001",
            "--role",
            "trader",
            "--name",
            "X",
            "--country",
            "BE",
            f"--password={SECRET}",
        ],
        ["verify", "BW-1", "--password", SECRET],
        ["--password", SECRET, "verify", "BW-1"],
        ["broadcast", "signed.json", "--pass", SECRET],
        [
            "grade",
            "BW-1",
            "--lab",
            "L",
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
            "--password",
            SECRET,
        ],
    ],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_a_password_on_the_command_line_is_refused_and_never_shown(offline, args, as_json):
    """A new user typed `--password 'secret'`: argparse took it for --password-file and printed it."""
    r = offline(*args, json=as_json, expect=2)
    assert SECRET not in r.out and SECRET not in r.err
    assert "Traceback" not in r.err
    assert "--password" in r.err or "--pass" in r.err
    if as_json:
        assert r.json["exit_code"] == 2 and SECRET not in r.json["error"]


def test_a_prefix_of_an_option_is_not_the_option(offline, tmp_path):
    password = tmp_path / "pw"
    password.write_text(SECRET)
    r = offline("account", "new", "--out", tmp_path / "key.json", "--password-f", password, expect=2)
    assert "unrecognized arguments: --password-f" in r.err and not (tmp_path / "key.json").exists()
    r = offline("verify", "BW-1", "--all-desc", expect=2)
    assert "unrecognized arguments: --all-desc" in r.err


def test_every_option_and_argument_has_help():
    missing = []
    for parser in parsers(build_parser()):
        for action in parser._actions:
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{parser.prog}: {action.option_strings or action.dest}")
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{parser.prog} {choice.dest}" for choice in action._choices_actions if not choice.help]
    assert missing == []


def test_the_help_lists_every_exit_code(offline, capsys):
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for code in [
        "0 success",
        "1 verify found the record broken",
        "2 bad input",
        "3 a chain or transaction failure",
        "130 interrupted",
    ]:
        assert code in text


def test_json_failures_are_json_on_stdout_and_words_on_stderr(dt, offline):
    unknown = dt("--json", "verify", "UNKNOWN", expect=2)
    assert unknown.json == {"error": "no stone UNKNOWN on this registry", "exit_code": 2}
    assert "error: no stone UNKNOWN on this registry" in unknown.err
    usage = dt("--json", "transfer", "BW-1", expect=2)
    assert usage.json["exit_code"] == 2 and "--to" in usage.json["error"] and "required" in usage.err
    dead = offline("--json", "verify", "BW-1", expect=3)
    assert dead.json["exit_code"] == 3 and "cannot reach the chain" in dead.json["error"]
    # Without --json, stdout stays empty on a failure.
    assert dt("verify", "UNKNOWN", expect=2).out == ""


def test_json_failure_of_a_refused_transaction(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-JSN", 1)), "--dev-account", 1)
    before = dt.block()
    r = dt("--json", "transfer", "BW-JSN-00000", "--to", address(7), "--dev-account", 1, expect=2)
    assert r.json["exit_code"] == 2 and r.json["error"] in r.err and dt.block() == before
    assert json.loads(r.out) == r.json
