"""Two `@ethereumjs/client` nodes (npm) peered in a Clique proof-of-authority network on
localhost, for `make test-network`: node 1 seals a block every second, node 2 follows it over
devp2p (RLPx), each with its data and HOME in a temporary directory.

The chain runs the Prague EVM the registry is built for. A geth-style genesis cannot say so with
Clique (the client's genesis parser puts the Merge, and so proof of stake, before any hardfork
set by time), so the chain is given in the client's own format (`--customChain`): Clique
consensus and the hardforks from chainstart to Prague, all at genesis, without the Merge.

The client's `eth_estimateGas` fails on every Clique chain (it builds the next block's header
without the signer's seal, which its own header check refuses: "extraData must be 97 bytes"), and
neither its `eth_call` (it answers "0x" for a call that ran out of gas or reverted) nor its
`debug_traceCall` (it runs at timestamp 0, so every date is in the future) can stand in; and a
read at a block it has sealed or imported but not yet executed fails ("value for ... not found in
DB"). `Steadied`, in front of each node, asks such a read again, and answers `eth_estimateGas`
from an Anvil forked from the node's latest block: every transaction is still sent to, mined by
and read from the two ethereumjs nodes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from cli_support import RpcProxy
from eth_account import Account

from diamondtrace.toolchain import PROJECT_ROOT
from diamondtrace.wallet import dev_account

CLIENT = PROJECT_ROOT / "node_modules" / "@ethereumjs" / "client" / "dist" / "esm" / "bin" / "cli.js"
CHAIN_ID = 1337  # a local chain id: the command's --dev-account works on it
BY_BLOCK = ["chainstart", "homestead", "tangerineWhistle", "spuriousDragon", "byzantium", "constantinople",
            "petersburg", "istanbul", "muirGlacier", "berlin", "london"]  # fmt: skip
BY_TIME = ["shanghai", "cancun"]
GAS_LIMIT = 30_000_000


def write_chain(folder: Path, sealer: str, funded: list[str], by_time: list[str] = BY_TIME) -> tuple[Path, Path]:
    """The chain's parameters and genesis state in the client's format: one Clique signer
    (`sealer`, in the genesis extraData between 32 vanity bytes and a 65-byte empty seal), 1-second
    blocks, and `funded` holding a million ether each."""
    params = {
        "name": "diamondtrace-clique",
        "chainId": CHAIN_ID,
        "networkId": CHAIN_ID,  # the devp2p handshake's; without it the client fails it ("Cannot convert undefined to a BigInt")
        "defaultHardfork": (by_time or BY_BLOCK)[-1],
        "consensus": {"type": "poa", "algorithm": "clique", "clique": {"period": 1, "epoch": 30_000}},
        "genesis": {
            "gasLimit": GAS_LIMIT,
            "difficulty": 1,
            "nonce": "0x0000000000000000",
            "timestamp": "0x0",
            "baseFeePerGas": hex(10**9),
            "extraData": "0x" + "00" * 32 + sealer[2:].lower() + "00" * 65,
        },
        "hardforks": [{"name": n, "block": 0} for n in BY_BLOCK] + [{"name": n, "block": None, "timestamp": 0} for n in by_time],
        "bootstrapNodes": [],
    }
    state = {address.lower(): [hex(10**24), "0x", [], "0x0"] for address in funded}
    chain, genesis = folder / "chain.json", folder / "genesis-state.json"
    chain.write_text(json.dumps(params, indent=1))
    genesis.write_text(json.dumps(state))
    return chain, genesis


@dataclass
class Node:
    process: subprocess.Popen
    rpc_url: str
    log: Path

    def rpc(self, method: str, *params):
        call = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        body = requests.post(self.rpc_url, json=call, timeout=60).json()
        assert "error" not in body, f"{method}: {body['error']}"
        return body["result"]

    def block(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def enode(self) -> str:
        """Its devp2p address, reachable on localhost, as its log says it (0.10.2's `admin_nodeInfo`
        fails: "Cannot convert undefined to a BigInt")."""
        found = re.search(r"enode://[0-9a-f]+@[^:\s]+:\d+", self.log.read_text(errors="replace"))
        assert found, f"no enode in {self.log}"
        return re.sub(r"@[^:]+:", "@127.0.0.1:", found.group(0))

    def stop(self) -> None:
        """SIGINT, which the client takes to close its databases; SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_node(folder: Path, name: str, chain: tuple[Path, Path], rpc_port: int, p2p_port: int,
               sealer_key: Path | None = None, bootnode: str | None = None) -> Node:  # fmt: skip
    """A node of the chain, with its data and HOME under `folder/name`: it seals blocks with
    `sealer_key` (a file holding the key, as the client's --unlock takes it), or follows `bootnode`."""
    home = folder / name
    home.mkdir(parents=True)
    command = ["node", str(CLIENT), "--customChain", str(chain[0]), "--customGenesisState", str(chain[1]),
               "--dataDir", str(home / "data"), "--port", str(p2p_port), "--rpc", "--rpcPort", str(rpc_port),
               "--rpcAddr", "127.0.0.1", "--discDns=false", "--discV4=false",
               "--extIP", "127.0.0.1"]  # fmt: skip
    if sealer_key is not None:
        command += ["--mine", "--unlock", str(sealer_key), "--isSingleNode"]
    if bootnode is not None:
        command += ["--bootnodes", bootnode]
    command += os.environ.get("DIAMONDTRACE_NODE_OPTIONS", "").split()
    log = home / "node.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=home, env={**os.environ, "HOME": str(home)})  # fmt: skip
    node = Node(process, f"http://127.0.0.1:{rpc_port}", log)
    deadline = time.monotonic() + 120
    while True:
        try:
            node.block()
            return node
        except (requests.ConnectionError, AssertionError):
            if process.poll() is not None or time.monotonic() > deadline:
                node.stop()
                raise AssertionError(f"node {name} did not start; its log ends:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.25)


def sealer(folder: Path) -> tuple[str, Path]:
    """A new key for node 1 to seal blocks with, in a file only its owner reads; its address."""
    account = Account.create()
    path = folder / "sealer.key"
    path.touch(mode=0o600)
    path.write_text(account.key.hex().removeprefix("0x"))
    return account.address, path


def unexecuted(reply: dict) -> bool:
    """The node's answer says it has not executed the block asked about yet."""
    return any(words in str(reply.get("error")) for words in ("not found in DB", "does not contain state root"))


def executed(node: Node, block: int, within: float = 180) -> None:
    """Waits until `node` has executed the chain up to `block` (its state is readable there)."""
    deadline = time.monotonic() + within
    call = {"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": [dev_account(0).address, hex(block)]}
    while unexecuted(requests.post(node.rpc_url, json=call, timeout=60).json()):
        assert time.monotonic() < deadline, f"{node.rpc_url} has not executed block {block}: {node.log}"
        time.sleep(0.5)


def funded_accounts() -> list[str]:
    return [dev_account(i).address for i in range(10)]


class Steadied(RpcProxy):
    """A node's endpoint with two of the client's flaws worked around (see the module's notes): a
    read of a block the node has sealed or imported but not yet executed (`unexecuted`) is asked
    again until it has, and, once `estimator` names an Anvil, `eth_estimateGas` is answered by
    that Anvil forked from this endpoint at its latest block (the same EVM rules, over the node's
    own state, read through this endpoint)."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream, max_blocks=10**9, max_results=10**9)
        self.estimator: str | None = None
        self._estimating = threading.Lock()

    def _forward(self, call: dict) -> dict:
        for _ in range(100):
            reply = super()._forward(call)
            if not unexecuted(reply):
                return reply
            time.sleep(0.1)
        return reply

    def _answer(self, call: dict) -> dict:
        if call.get("method") != "eth_estimateGas" or self.estimator is None:
            return super()._answer(call)
        head = int(self._forward({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []})["result"], 16)
        with self._estimating:
            fork = {"forking": {"jsonRpcUrl": self.url, "blockNumber": head}}
            reset = {"jsonrpc": "2.0", "id": 0, "method": "anvil_reset", "params": [fork]}
            requests.post(self.estimator, json=reset, timeout=120)
            return requests.post(self.estimator, json={**call, "params": call["params"][:1]}, timeout=120).json()
