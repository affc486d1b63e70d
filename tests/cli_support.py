"""Helpers for the command's tests: running it (in process or as a real process), the cast,
production-run files, a chain of a test's own, and a JSON-RPC proxy that limits (and may forge)
what a provider answers."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import requests

from diamondtrace import cli
from diamondtrace.chain import connect
from diamondtrace.deployments import registry_contract
from diamondtrace.localnode import free_port
from diamondtrace.sending import Sender
from diamondtrace.toolchain import anvil_executable, ganache_command
from diamondtrace.wallet import DEV_MNEMONIC, dev_account, dev_signer

DIAMONDTRACE = str(Path(sys.prefix) / "bin" / "diamondtrace")

CAST = {
    # role, dev account, country, name, stone-ID prefix
    "producer": ("producer", 1, "BW", "Debswana Diamond Company", "BW-"),
    "trader": ("trader", 2, "BE", "Antwerp Rough Traders", None),
    "manufacturer": ("manufacturer", 3, "IN", "Surat Diamond Works", "IN-"),
    "lab": ("lab", 4, "US", "Gemological Lab of America", None),
    "retailer": ("retailer", 5, "US", "Fifth Avenue Jewellers", None),
    "kp_bw": ("kp-authority", 6, "BW", "Botswana KP Authority", None),
    "trader_bw": ("trader", 9, "BW", "Gaborone Diamond Trading", None),
}
ADMIN = 0
CONSUMER = 7
RELAYER = 8


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

    def at(self, url: str) -> "Cli":
        """The same deployment, reached through another endpoint (a proxy, a dead port)."""
        return Cli(url, self.deployment)

    def globals(self, json_out: bool) -> list[str]:
        return ["--rpc-url", self.url, "--deployment", str(self.deployment)] + (["--json"] if json_out else [])

    def __call__(self, *args: str, json: bool = False, expect: int | None = 0) -> Result:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(self.globals(json) + [str(a) for a in args])
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code
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
        reply = requests.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=60)
        return reply.json()["result"]

    def block(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def registry(self):
        """The registry as a web3 contract, for reading the chain beside the command."""
        return registry_contract(connect(self.url).w3, json.loads(self.deployment.read_text())["registry"])

    def send(self, index: int, function: str, *args) -> None:
        """Sends a registry call from dev account `index` directly, as a participant (or an
        attacker) who does not use the command would."""
        chain = connect(self.url)
        registry = registry_contract(chain.w3, json.loads(self.deployment.read_text())["registry"])
        Sender(chain, dev_signer(index, chain.chain_id)).send(getattr(registry.functions, function)(*args))

    def deploy_with_cast(self) -> "Cli":
        """Deploys a registry and accredits the cast, all with the command itself."""
        self("deploy", "--dev-account", ADMIN)
        for role, index, country, name, prefix in CAST.values():
            self.accredit(address(index), role, country, *(["--prefix", prefix] if prefix else []), name=name)
        return self

    def kp_certificate(
        self, number: str, importing: str = "BE", importer: str = "trader", carats: str = "100", exporting: str = "BW",
        exporter: str = "producer", authority: int = 6,
    ) -> None:  # fmt: skip
        """`kp register` of a one-parcel certificate valid to 2099, by the exporting country's KP
        authority (dev account `authority`; Botswana's in the cast) between two of the cast."""
        self(
            "kp", "register", "--number", number, "--exporting", exporting, "--importing", importing,
            "--exporter", address(exporter), "--importer", address(importer), "--carats", carats, "--value-usd", "90000",
            "--parcels", "1", "--issued", "2026-11-01", "--expires", "2099-12-31", "--dev-account", authority,
        )  # fmt: skip

    def accredit(self, account: str, role: str, country: str, *extra: str, name: str = "New Participant") -> dict:
        """`participant add` by the admin (dev account 0); its JSON result."""
        args = ["--role", role, "--name", name, "--country", country, *extra, "--dev-account", ADMIN]
        return self("participant", "add", account, *args, json=True).json


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


# ------------------------------------------------------------------------------------------------
# A chain of a test's own, and a provider's limits in front of a chain
# ------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def own_anvil(home: Path, *options: str) -> Iterator[str]:
    """An Anvil of the caller's own, for long chains: `--prune-history` keeps no state per block,
    and HOME inside `home` keeps whatever it spills out of the real ~/.foundry. Stopped on exit."""
    port = free_port()
    with _own_node(home, port, [str(anvil_executable()), "--port", str(port), "--prune-history", "--silent", *options]) as url:
        yield url


@contextlib.contextmanager
def own_ganache(home: Path, *options: str) -> Iterator[str]:
    """A Ganache (npm) of the caller's own: chain id 1337, the dev accounts of Anvil's mnemonic,
    its EVM Shanghai unless `options` say otherwise (`--chain.hardfork london`). Stopped on exit."""
    port = free_port()
    command = [
        *ganache_command(),
        "--server.port", str(port),
        "--wallet.mnemonic", DEV_MNEMONIC,
        "--wallet.totalAccounts", "20",
        "--logging.quiet",
        *options,
    ]  # fmt: skip
    with _own_node(home, port, command) as url:
        yield url


@contextlib.contextmanager
def _own_node(home: Path, port: int, command: list[str]) -> Iterator[str]:
    home.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(command, env={**os.environ, "HOME": str(home)}, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, f"{command[0]} did not start"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


LogRewrite = Callable[[dict, list[dict]], list[dict]]


class RpcProxy:
    """A JSON-RPC endpoint in front of `upstream` that behaves as public providers do: an
    `eth_getLogs` spanning more than `max_blocks` blocks, or finding more than `max_results` logs,
    is answered with an error. It counts every call by method (a batch counts each call in it).
    `rewrite_logs(filter, logs)`, if set, replaces the logs of each `eth_getLogs` answer: a forger
    between the user and its node. The refusals read as Alchemy's and Infura's do."""

    def __init__(
        self,
        upstream: str,
        max_blocks: int = 1_000,
        max_results: int = 10_000,
        rewrite_logs: LogRewrite | None = None,
        throttle_every: int = 0,
        retry_after: str | None = None,
    ):
        self.upstream = upstream
        self.max_blocks = max_blocks
        self.max_results = max_results
        self.rewrite_logs = rewrite_logs
        # Every `throttle_every`-th HTTP request is answered 429 Too Many Requests (with
        # `retry_after` as its Retry-After header, if given), as rate-limiting providers do.
        self.throttle_every = throttle_every
        self.retry_after = retry_after
        self.throttled = 0
        self.calls: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.http_requests = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "RpcProxy":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.refused.clear()
            self.http_requests = 0
            self.throttled = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def _forward(self, call: dict) -> dict:
        return requests.post(self.upstream, json=call, timeout=60).json()

    def _block(self, tag) -> int:
        if isinstance(tag, str) and tag.startswith("0x"):
            return int(tag, 16)
        return (
            int(self._forward({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []})["result"], 16)
            if tag != "earliest"
            else 0
        )

    def _answer(self, call: dict) -> dict:
        method = call.get("method")
        with self._lock:
            self.calls[method] += 1
        if method != "eth_getLogs":
            return self._forward(call)
        query = call["params"][0]
        span = self._block(query.get("toBlock", "latest")) - self._block(query.get("fromBlock", "latest")) + 1
        if span > self.max_blocks:
            return self._refuse(
                call, -32600, f"eth_getLogs is limited to a {self.max_blocks} block range; this query spans {span}"
            )
        reply = self._forward(call)
        logs = reply.get("result")
        if logs is not None and len(logs) > self.max_results:
            return self._refuse(call, -32005, f"query returned more than {self.max_results} results")
        if logs is not None and self.rewrite_logs is not None:
            reply = {**reply, "result": self.rewrite_logs(query, logs)}
        return reply

    def _refuse(self, call: dict, code: int, message: str) -> dict:
        with self._lock:
            self.refused[call["method"]] += 1
        return {"jsonrpc": "2.0", "id": call.get("id"), "error": {"code": code, "message": message}}

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with proxy._lock:
                    proxy.http_requests += 1
                    throttled = proxy.throttle_every and proxy.http_requests % proxy.throttle_every == 0
                    proxy.throttled += bool(throttled)
                if throttled:
                    self.send_response(429)
                    if proxy.retry_after is not None:
                        self.send_header("Retry-After", proxy.retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = [proxy._answer(c) for c in body] if isinstance(body, list) else proxy._answer(body)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # quiet: the tests read the counters
                pass

        return Handler
