"""The brownie scripts call the same library as the command: in process on brownie's active network,
and as a user runs them, each in its own `brownie run` on the persistent local chain, following
the README, in a copy of the checkout (also one whose path holds a dot)."""

import importlib.util
import os
import re
import shlex
import shutil
import subprocess

import pytest
from brownie import accounts, web3
from cli_support import run_rows, write_csv

from diamondtrace import custody
from diamondtrace.chain import connect
from diamondtrace.deployments import registry_contract
from diamondtrace.localnode import free_port
from diamondtrace.model import Flag, token_id
from diamondtrace.sending import Sender
from diamondtrace.toolchain import PROJECT_ROOT
from diamondtrace.wallet import dev_signer

BIN = PROJECT_ROOT / ".venv" / "bin"
# What a fresh clone holds that the scripts need, and the compiled contracts, so that brownie
# finds the build up to date.
CHECKOUT = ["brownie-config.yaml", "package.json", "pyproject.toml", "contracts", "interfaces", "diamondtrace", "scripts"]
CHECKOUT += ["toolchain", "build"]
# The README's cast: dev accounts 1 and 2.
PRODUCER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
TRADER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


def script(name):
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_deploy_accredit_mint_transfer_and_verify_from_brownie(tmp_path, capsys):
    deployment = str(tmp_path / "deployment.json")
    record = script("deploy").main("0", deployment)
    script("accredit").main(accounts[1].address, "producer", "Debswana", "BW", "BW-", "0", deployment)
    script("accredit").main(accounts[9].address, "trader", "Gaborone Trading", "BW", "", "0", deployment)
    registry = registry_contract(connect(web3.provider.endpoint_uri).w3, record.registry)
    assert registry.functions.participant(accounts[1].address).call().name == "Debswana"
    result = script("mint_batch").main(str(write_csv(tmp_path / "run.csv", run_rows("BW-BR", 25))), "1", deployment)
    assert result.registered == 25
    script("transfer").main("BW-BR-00003", accounts[9].address, "consignment", "1", deployment)
    assert registry.functions.ownerOf(token_id("BW-BR-00003")).call() == accounts[9].address
    report = script("verify").main("BW-BR-00003", deployment)
    assert report["integrity"]["ok"] and report["custody"][0]["action"] == "consignment"
    assert "integrity   OK" in capsys.readouterr().out


@pytest.mark.parametrize(
    "name, args, code, message",
    [
        ("verify", ["BW-NOPE"], 2, "error: no stone BW-NOPE on this registry"),
        ("accredit", [TRADER.lower()[:-2] + "BC", "trader", "T", "BW"], 2, "fails its EIP-55 checksum"),
        ("accredit", [TRADER, "wizard", "T", "BW"], 2, "unknown role 'wizard'"),
        ("transfer", ["BW-BR-00001", TRADER, "sale", "2"], 2, "refused by the registry, nothing sent: "),
        ("transfer", ["BW-BR-00001", TRADER, "theft"], 2, "unknown action 'theft'"),
        ("mint_batch", ["missing.csv", "1"], 2, "cannot read missing.csv"),
        ("deploy", ["alice"], 2, "no brownie account named 'alice'"),
    ],
)  # fmt: skip
def test_a_mistake_is_one_line_in_words_with_its_exit_code(tmp_path, capsys, name, args, code, message):
    deployment = str(tmp_path / "deployment.json")
    script("deploy").main("0", deployment)
    script("accredit").main(accounts[1].address, "producer", "Debswana", "BW", "BW-", "0", deployment)
    script("mint_batch").main(str(write_csv(tmp_path / "run.csv", run_rows("BW-BR", 2))), "1", deployment)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit:
        script(name).main(*args, deployment=deployment)
    err = capsys.readouterr().err
    assert exit.value.code == code
    assert message in err and err.count("\n") == 1 and "Traceback" not in err and "custom error" not in err


def test_verify_exits_1_on_a_flagged_stone(tmp_path, capsys):
    deployment = str(tmp_path / "deployment.json")
    record = script("deploy").main("0", deployment)
    script("accredit").main(accounts[1].address, "producer", "Debswana", "BW", "BW-", "0", deployment)
    script("mint_batch").main(str(write_csv(tmp_path / "run.csv", run_rows("BW-BR", 1))), "1", deployment)
    chain = connect(web3.provider.endpoint_uri)
    holder = Sender(chain, dev_signer(1, chain.chain_id))
    custody.flag(registry_contract(chain.w3, record.registry), holder, token_id("BW-BR-00000"), Flag.STOLEN)
    with pytest.raises(SystemExit) as exit:
        script("verify").main("BW-BR-00000", deployment)
    assert exit.value.code == 1 and "FLAGGED STOLEN" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------
# As a user runs them: separate `brownie run` processes, in a copy of the checkout
# ------------------------------------------------------------------------------------------------


def checkout(path):
    """A copy of this checkout at `path`, with its virtualenv and Node packages linked in."""
    path.mkdir(parents=True)
    for name in CHECKOUT:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, path / name)
    (path / ".venv").symlink_to((PROJECT_ROOT / ".venv").resolve())
    (path / "node_modules").symlink_to((PROJECT_ROOT / "node_modules").resolve())
    return path


@pytest.fixture
def user(tmp_path):
    """A user's environment: a home of its own whose brownie development network is on a free port
    (moved as the README says), and the copy's own package ahead of the one installed."""
    port = free_port()
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PYTHONPATH": ""}
    (tmp_path / "home").mkdir()
    moved = [BIN / "brownie", "networks", "modify", "development", f"port={port}"]
    subprocess.run(moved, env=env, check=True, capture_output=True)
    return env, port


def run(line, cwd, env, port, state):
    """One line of the README's commands, in the copy `cwd`; the chain's own lines on `port`."""
    argv = shlex.split(line, comments=True)
    if argv[:2] == [".venv/bin/diamondtrace", "chain"]:
        argv += ["--port", str(port)] + (["--state", str(state)] if argv[2] == "up" else [])
    return subprocess.run(argv, cwd=cwd, env={**env, "PYTHONPATH": str(cwd)}, capture_output=True, text=True, timeout=300)


def readme_commands():
    section = (PROJECT_ROOT / "README.md").read_text().split("### From brownie", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_the_readme_sequence_runs_as_written_in_separate_brownie_runs_on_one_chain(tmp_path, user):
    env, port = user
    repo = checkout(tmp_path / "diamondtrace")
    write_csv(repo / "run.csv", [[f"BW-JW-2026-{i:06d}", "1.25", "Jwaneng", "BW", "2026-11-20"] for i in range(1, 11)])
    lines = readme_commands()
    scripts = [shlex.split(line)[2].removeprefix("scripts/") for line in lines if "brownie run" in line]
    assert scripts == ["deploy.py", "accredit.py", "accredit.py", "mint_batch.py", "transfer.py", "verify.py"]
    outputs = []
    try:
        for line in lines:
            done = run(line, repo, env, port, tmp_path / "state.json")
            assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
            outputs.append(done.stdout)
    finally:
        run(".venv/bin/diamondtrace chain down", repo, env, port, None)
    assert "record " + str(repo / "deployments" / "31337.json") in outputs[1]
    assert "registered 10 stones" in outputs[4]
    verified = outputs[6]
    assert "Stone BW-JW-2026-000001" in verified and "integrity   OK" in verified
    assert re.search(rf"1\. \S+ +sale +{PRODUCER} -> {TRADER}", verified)

    # The chain is down: brownie would launch a throw-away one, and the script says so.
    refused = run(".venv/bin/brownie run scripts/verify.py main BW-JW-2026-000001", repo, env, port, None)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert f"nothing listened on port {port}, so brownie launched a throw-away chain" in refused.stderr
    assert f"bin/diamondtrace chain up --port {port}`" in refused.stderr


def test_a_checkout_whose_path_holds_a_dot_runs_the_scripts_through_the_bridge(tmp_path, user):
    env, port = user
    repo = checkout(tmp_path / "jo.doe" / "diamondtrace")
    state = tmp_path / "state.json"
    assert run(".venv/bin/diamondtrace chain up", repo, env, port, state).returncode == 0
    try:
        # brownie's own failure, as the README quotes it
        failed = run(".venv/bin/brownie run scripts/verify.py main BW-JW-2026-000001", repo, env, port, state)
        assert failed.returncode != 0
        plain = re.sub(r"\x1b\[[0-9;]*m", "", failed.stdout + failed.stderr)  # brownie colours its traceback
        assert re.search(r"ModuleNotFoundError: No module named '[^']*\.jo'", plain)
        bridge = ".venv/bin/python -m diamondtrace.brownie_bridge"
        deployed = run(f"{bridge} scripts/deploy.py", repo, env, port, state)
        assert deployed.returncode == 0, deployed.stderr
        assert (repo / "deployments" / "31337.json").exists()
        accredited = run(f"{bridge} scripts/accredit.py main {PRODUCER} producer Debswana BW BW-JW-", repo, env, port, state)
        assert "accredited as producer in BW, prefix BW-JW-" in accredited.stdout
        unknown = run(f"{bridge} scripts/verify.py main BW-JW-2026-000001", repo, env, port, state)
        assert unknown.returncode == 2 and "error: no stone BW-JW-2026-000001 on this registry" in unknown.stderr
    finally:
        run(".venv/bin/diamondtrace chain down", repo, env, port, state)
