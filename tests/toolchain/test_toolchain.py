"""The toolchain: npm's solc behind py-solc-x, npm's Anvil behind brownie, and clear setup errors."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import solcx
from brownie import ContractWallet, accounts, web3

from diamondtrace import toolchain
from diamondtrace.errors import SetupError

ROOT = toolchain.PROJECT_ROOT
PINNED = toolchain.pinned_solc_version()


def test_the_compiler_bridge_reports_the_pinned_version():
    assert PINNED == "0.8.30"
    solc = Path(sys.prefix) / "solcx" / f"solc-v{PINNED}"
    out = subprocess.run([str(solc), "--version"], capture_output=True, text=True, check=True).stdout
    assert f"Version: {PINNED}+commit." in out
    solcx.set_solc_version(PINNED)  # refuses a version that is not installed
    assert str(solcx.get_solc_version()) == PINNED
    assert PINNED in [str(v) for v in solcx.get_installed_solc_versions()]


def test_the_bridge_compiles_a_contract_that_imports_openzeppelin(tmp_path):
    source = tmp_path / "Token.sol"
    source.write_text(
        'pragma solidity 0.8.30; import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";'
        'contract Token is ERC721 { constructor() ERC721("T", "T") {} }'
    )
    out = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {"Token.sol": {"urls": [str(source)]}},
            "settings": {
                "remappings": [f"@openzeppelin/={ROOT}/node_modules/@openzeppelin/"],
                "optimizer": {"enabled": True, "runs": 200},
                "evmVersion": "prague",
                "outputSelection": {"*": {"*": ["evm.bytecode.object"]}},
            },
        },
        allow_paths=[str(tmp_path), str(ROOT / "node_modules")],
        solc_version=PINNED,
    )
    assert len(out["contracts"]["Token.sol"]["Token"]["evm"]["bytecode"]["object"]) > 1000


def test_a_missing_import_is_a_compiler_error_not_a_hang(tmp_path):
    source = tmp_path / "Broken.sol"
    source.write_text('pragma solidity 0.8.30; import "./Missing.sol"; contract Broken {}')
    with pytest.raises(solcx.exceptions.SolcError, match="Missing.sol"):
        solcx.compile_standard(
            {"language": "Solidity", "sources": {"Broken.sol": {"urls": [str(source)]}}},
            allow_paths=[str(tmp_path)],
            solc_version=PINNED,
        )


def test_a_contract_deploys_to_the_npm_anvil_and_answers_calls():
    assert web3.client_version.startswith("anvil/v1.7.1")
    assert os.path.realpath(shutil.which("anvil")) == os.path.realpath(toolchain.anvil_executable())
    wallet = ContractWallet.deploy(accounts[1], {"from": accounts[0]})
    assert wallet.owner() == accounts[1] and len(web3.eth.get_code(wallet.address)) > 100


def test_the_test_chain_listens_on_the_port_DIAMONDTRACE_TEST_PORT_sets():
    # Each pytest-xdist worker (gwN) has its own chain, N ports above the base (default 8577).
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    port = int(os.environ.get("DIAMONDTRACE_TEST_PORT", "8577")) + worker
    assert urlparse(web3.provider.endpoint_uri).port == port
    assert web3.eth.block_number >= 0  # and it answers there


def test_a_missing_node_says_what_to_install(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    result = subprocess.run(
        ["/bin/sh", str(ROOT / "toolchain" / "check-prereqs.sh")],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "Node.js 20 (node not found): install it" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_anvil_says_to_run_make_setup(monkeypatch, tmp_path):
    monkeypatch.setattr(toolchain, "NODE_MODULES", tmp_path)
    with pytest.raises(SetupError, match="Anvil is not installed .*run `make setup`"):
        toolchain.anvil_executable()


def test_setup_is_idempotent():
    # `make -q` exits 0 only when every setup target is up to date: a second run installs nothing.
    assert subprocess.run(["make", "-q", "setup"], cwd=ROOT).returncode == 0
