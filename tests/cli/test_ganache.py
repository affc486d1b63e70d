"""The command on Ganache 7.9.2 (npm), a chain whose EVM stops at Shanghai, as on Anvil: the
whole journey from deploy to the stone page, the registry's refusals in words although Ganache
shapes its errors its own way, and `deploy` refusing a chain too old for the code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from cli_support import ADMIN, RELAYER, Cli, address, own_anvil, own_ganache, run_rows, write_csv

from diamondtrace import evm
from diamondtrace.chain import connect
from diamondtrace.explorer import Explorer, serve
from diamondtrace.toolchain import PROJECT_ROOT


@pytest.fixture(scope="module")
def ganache(tmp_path_factory) -> Cli:
    """A registry on a Ganache of its own, deployed and with the cast accredited by the command."""
    work = tmp_path_factory.mktemp("ganache")
    with own_ganache(work / "home") as url:
        yield Cli(url, work / "deployment.json").deploy_with_cast()


def test_the_whole_journey_runs_on_ganache(ganache, tmp_path):
    dt = ganache
    assert dt.rpc("web3_clientVersion").startswith("Ganache/v7.9.2/")
    record = json.loads(dt.deployment.read_text())
    assert record["chain_id"] == 1337 and record["compiler"]["evmVersion"] == "shanghai"
    dt.kp_certificate("BW-KP-G-1", importing="IN", importer="manufacturer", carats="20")
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-G", 3)), "--dev-account", 1)
    # A rough stone exported to India under the certificate, another sold on by a signed authorization.
    dt("transfer", "BW-G-00000", "--to", address("manufacturer"), "--action", "export", "--kp", "BW-KP-G-1", "--warranty",
       "--dev-account", 1)  # fmt: skip
    signed = tmp_path / "signed.json"
    dt("transfer", "BW-G-00001", "--to", address("trader_bw"), "--warranty", "--sign-only", signed, "--dev-account", 1)
    dt("broadcast", signed, "--dev-account", RELAYER)
    # Cut in India, graded in the United States.
    children = write_csv(tmp_path / "children.csv", [["IN-G-1", "0.50", "round brilliant"], ["IN-G-2", "0.30", ""]],
                         "stone_id,carat,description")  # fmt: skip
    dt("split", "BW-G-00000", children, "--dev-account", 3)
    dt("transfer", "IN-G-1", "--to", address("lab"), "--action", "grading", "--dev-account", 3)
    dt("grade", "IN-G-1", "--lab", "Gemological Lab of America", "--report", "GLA-G-1", "--carat", "0.50", "--colour", "E",
       "--clarity", "VVS1", "--cut", "Excellent", "--dev-account", 4)  # fmt: skip

    polished = dt("verify", "IN-G-1", json=True).json
    assert polished["integrity"]["ok"] and polished["integrity"]["parent_checked"] is True
    assert polished["holder"] == address("lab") and polished["lineage"]["parent"] == "BW-G-00000"
    assert [(r["action"], r["kp_certificate"]) for r in polished["lineage"]["parent_custody"]] == [("export", "BW-KP-G-1")]
    assert polished["grading"]["reports"][0]["report_number"] == "GLA-G-1" and polished["grading"]["reports"][0]["colour"] == "E"
    relayed = dt("verify", "BW-G-00001", json=True).json
    assert relayed["holder"] == address("trader_bw") and relayed["integrity"]["ok"]
    assert relayed["custody"][-1]["warranty"] is True and relayed["assurance"]["system_of_warranties"]["ok"]
    assert dt("kp", "show", "BW-KP-G-1", json=True).json["drawn_carat"] == "1.00"

    server = serve(Explorer(dt.url, dt.deployment), "127.0.0.1", 0)
    try:
        page = requests.get(f"http://127.0.0.1:{server.server_address[1]}/stone/IN-G-1", timeout=60)
    finally:
        server.shutdown()
    assert page.status_code == 200 and "Record complete and consistent" in page.text
    assert "GLA-G-1" in page.text and "BW-KP-G-1" in page.text


def test_ganache_s_refusals_and_missing_records_are_said_in_words(ganache):
    dt = ganache
    before = dt.block()
    # Ganache puts the revert data in an object (`error.data.result`), not a hex string.
    refused = dt("participant", "add", address(7), "--role", "trader", "--name", "X", "--country", "BE", "--dev-account", 1,
                 expect=2)  # fmt: skip
    assert f"OwnableUnauthorizedAccount(account={address(1)}): The caller account is not authorized" in refused.err
    assert "nothing sent" in refused.err and "Traceback" not in refused.err and "internal error" not in refused.err
    missing = dt("verify", "BW-G-NONE", expect=2)
    assert "no stone BW-G-NONE on this registry" in missing.err and "internal error" not in missing.err
    assert "no KP certificate BW-KP-NONE" in dt("kp", "show", "BW-KP-NONE", expect=2).err
    assert dt.block() == before


def test_brownie_scripts_run_on_a_running_ganache_as_the_readme_says(ganache, tmp_path):
    brownie = str(Path(sys.prefix) / "bin" / "brownie")
    env = {**os.environ, "HOME": str(tmp_path)}  # brownie keeps its list of networks under HOME

    def run(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run(list(command), cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)

    port = urlparse(ganache.url).port
    added = run(brownie, "networks", "add", "Development", "ganache-local", "cmd=node_modules/.bin/ganache", "host=http://127.0.0.1",
                f"port={port}", "chain_id=1337", "evm_version=shanghai")  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    record = tmp_path / "deployment.json"
    # `brownie run`, or in a checkout whose path holds a dot (brownie bug #1081) the bridge, as the README says.
    script = [brownie, "run"] if "." not in str(PROJECT_ROOT) else [sys.executable, "-m", "diamondtrace.brownie_bridge"]
    deployed = run(*script, "scripts/deploy.py", "main", "0", str(record), "--network", "ganache-local")
    assert deployed.returncode == 0 and "deployed; record" in deployed.stdout, deployed.stdout + deployed.stderr
    assert "Launching" not in deployed.stdout  # it attached to the running Ganache
    assert json.loads(record.read_text())["chain_id"] == 1337


def test_the_probe_finds_what_each_chain_runs(ganache, deployed):
    shanghai, prague = connect(ganache.url), connect(deployed.url)
    assert evm.missing(shanghai, "shanghai") == [] and evm.missing(prague, "prague") == []
    [(feature, answer)] = evm.missing(shanghai, "cancun")
    assert feature == "MCOPY/TSTORE (Cancun)" and "invalid opcode" in answer


@pytest.mark.parametrize("node", ["ganache", "anvil"])
def test_deploy_refuses_a_chain_too_old_for_the_code_with_nothing_sent(node, tmp_path):
    start = (
        own_ganache(tmp_path / "home", "--chain.hardfork", "london")
        if node == "ganache"
        else own_anvil(tmp_path / "home", "--hardfork", "london")
    )
    with start as url:
        dt = Cli(url, tmp_path / "deployment.json")
        before = (dt.block(), dt.rpc("eth_getTransactionCount", address(ADMIN), "latest"))
        r = dt("deploy", "--dev-account", ADMIN, expect=2)
        assert "does not run PUSH0 (Shanghai), which the registry's code needs" in r.err, r.err
        assert "built for the shanghai EVM" in r.err and "nothing was deployed" in r.err and "Traceback" not in r.err
        assert (dt.block(), dt.rpc("eth_getTransactionCount", address(ADMIN), "latest")) == before
        assert not dt.deployment.exists()
