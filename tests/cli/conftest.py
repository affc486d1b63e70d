"""The command against its own local chain: started with `diamondtrace chain up`, a registry
deployed and a cast accredited with the command itself. Each test runs inside an EVM snapshot of
that chain, so tests don't see each other's stones."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from cli_support import Cli

from diamondtrace import cli
from diamondtrace.localnode import free_port


@pytest.fixture(scope="session")
def chain_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli-chain")


@pytest.fixture(scope="session")
def local_chain(chain_dir):
    """A local chain started by the command itself, stopped at the end of the session."""
    port = free_port()
    state = chain_dir / "state.json"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["chain", "up", "--port", str(port), "--state", str(state)]) == 0
    yield f"http://127.0.0.1:{port}", port, state
    with contextlib.redirect_stdout(io.StringIO()):
        cli.main(["chain", "down", "--port", str(port)])


@pytest.fixture(scope="session")
def deployed(local_chain, chain_dir) -> Cli:
    url, _, _ = local_chain
    return Cli(url, chain_dir / "deployment.json").deploy_with_cast()


@pytest.fixture
def dt(deployed) -> Cli:
    """The command, inside a snapshot of the test chain that is reverted after the test."""
    snapshot = deployed.rpc("evm_snapshot")
    yield deployed
    assert deployed.rpc("evm_revert", snapshot)
