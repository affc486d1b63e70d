"""The command against its own local chain: started with `diamondtrace chain up`, a registry
deployed and a cast accredited with the command itself. Each test runs inside an EVM snapshot of
that chain, so tests don't see each other's stones."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from diamondtrace import cli
from diamondtrace.wallet import dev_account

DIAMONDTRACE = str(Path(sys.prefix) / "bin" / "diamondtrace")

CAST = {
    # role, dev account, country, name
    "producer": ("producer", 1, "BW", "Debswana Diamond Company"),
    "trader": ("trader", 2, "BE", "Antwerp Rough Traders"),
    "manufacturer": ("manufacturer", 3, "IN", "Surat Diamond Works"),
    "lab": ("lab", 4, "US", "Gemological Lab of America"),
    "retailer": ("retailer", 5, "US", "Fifth Avenue Jewellers"),
    "kp_bw": ("kp-authority", 6, "BW", "Botswana KP Authority"),
    "trader_bw": ("trader", 9, "BW", "Gaborone Diamond Trading"),
}
CONSUMER = 7
RELAYER = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


class Cli:
    """Runs `diamondtrace` against the test chain, in process (fast) or as a real subprocess."""

    def __init__(self, url: str, deployment: Path) -> None:
        self.url = url
        self.deployment = deployment

    def globals(self, json_out: bool) -> list[str]:
        return ["--rpc-url", self.url, "--deployment", str(self.deployment)] + (["--json"] if json_out else [])

    def __call__(self, *args: str, json: bool = False, expect: int | None = 0) -> Result:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(self.globals(json) + [str(a) for a in args])
        result = Result(code, out.getvalue(), err.getvalue())
        if expect is not None:
            assert code == expect, f"exit {code}, expected {expect}\nstdout: {result.out}\nstderr: {result.err}"
        return result

    def process(self, *args: str, json: bool = False, env: dict | None = None, **kw) -> subprocess.Popen:
        return subprocess.Popen(
            [DIAMONDTRACE, *self.globals(json), *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
            **kw,
        )

    def rpc(self, method: str, *params):
        reply = requests.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=30)
        return reply.json()["result"]

    def block(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)


def address(name_or_index) -> str:
    index = CAST[name_or_index][1] if isinstance(name_or_index, str) else name_or_index
    return dev_account(index).address


def write_csv(path: Path, rows: list[list[str]], header: str = "stone_id,carat,mine,country,production_date") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fp:
        writer = csv.writer(fp)
        writer.writerow(header.split(","))
        writer.writerows(rows)
    return path


def run_rows(prefix: str, count: int, date: str = "2026-11-20", **extra) -> list[list[str]]:
    return [[f"{prefix}-{i:05d}", f"{1 + (i % 300) / 100:.2f}", "Jwaneng", "BW", date] for i in range(count)]


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
    run = Cli(url, chain_dir / "deployment.json")
    run("deploy", "--dev-account", 0)
    for role, index, country, name in CAST.values():
        run("participant", "add", address(index), "--role", role, "--name", name, "--country", country, "--dev-account", 0)
    return run


@pytest.fixture
def dt(deployed) -> Cli:
    """The command, inside a snapshot of the test chain that is reverted after the test."""
    snapshot = deployed.rpc("evm_snapshot")
    yield deployed
    assert deployed.rpc("evm_revert", snapshot)
