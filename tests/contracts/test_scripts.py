"""The brownie scripts call the same library as the command, on brownie's active network."""

import importlib.util

from brownie import DiamondRegistry, accounts
from cli_support import run_rows, write_csv

from diamondtrace.model import ROLES, ZERO32, text32, token_id
from diamondtrace.toolchain import PROJECT_ROOT


def script(name):
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_deploy_mint_transfer_and_verify_from_brownie(tmp_path, capsys):
    deployment = str(tmp_path / "deployment.json")
    record = script("deploy").main("0", deployment)
    registry = DiamondRegistry.at(record.registry)
    registry.accredit(accounts[1], ROLES["producer"], b"BW", "Debswana", text32("BW-"), {"from": accounts[0]})
    registry.accredit(accounts[9], ROLES["trader"], b"BW", "Gaborone Trading", ZERO32, {"from": accounts[0]})
    result = script("mint_batch").main(str(write_csv(tmp_path / "run.csv", run_rows("BW-BR", 25))), "1", deployment)
    assert result.registered == 25
    script("transfer").main("BW-BR-00003", accounts[9].address, "consignment", "1", deployment)
    assert registry.ownerOf(token_id("BW-BR-00003")) == accounts[9]
    report = script("verify").main("BW-BR-00003", deployment)
    assert report["integrity"]["ok"] and report["custody"][0]["action"] == "consignment"
    assert "integrity   OK" in capsys.readouterr().out
