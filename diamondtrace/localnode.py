"""The embedded local chain: the npm Anvil, run in the background with a persistent state file.

`up` starts it (or finds it running), `down` stops it so that it writes its state, `status`
reports on it. A small JSON file per port under `.chain/` remembers the process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

from .errors import ChainError, InputError
from .toolchain import PROJECT_ROOT, anvil_executable

CHAIN_DIR = PROJECT_ROOT / ".chain"
DEFAULT_PORT = 8545
DEFAULT_STATE = CHAIN_DIR / "state.json"
LOCAL_CHAIN_ID = 31337
# Above EIP-7825's per-transaction cap, which the chain enforces like mainnet since Fusaka.
BLOCK_GAS_LIMIT = 30_000_000
# Seconds between state dumps, so even a killed chain loses at most this much; each dump writes
# the whole state, so not much more often.
STATE_INTERVAL = 5


@dataclass
class LocalNode:
    pid: int
    port: int
    state: str
    log: str
    started_at: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    """A TCP port nothing listens on right now (for throw-away chains in tests and benchmarks)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _record_path(port: int) -> Path:
    return CHAIN_DIR / f"anvil-{port}.json"


def _alive(pid: int) -> bool:
    try:  # reap it if it is our own child that has exited
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as fp:
            return fp.read().split()[2] != "Z"
    except OSError:
        return True


def _answers(url: str) -> int | None:
    """The chain id at `url`, or None when nothing answers."""
    try:
        reply = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=2)
        return int(reply.json()["result"], 16)
    except (requests.RequestException, ValueError, KeyError):
        return None


def status(port: int = DEFAULT_PORT) -> LocalNode | None:
    """The local chain on `port` if this project started it and it is still running."""
    path = _record_path(port)
    try:
        node = LocalNode(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if not _alive(node.pid):
        path.unlink(missing_ok=True)
        return None
    return node


def up(
    port: int = DEFAULT_PORT,
    state: Path | None = None,
    timeout: float = 30,
    persist: bool = True,
    setting: str = "--port",
    block_time: float | None = None,
) -> tuple[LocalNode, bool]:
    """Starts the local chain unless it runs already; returns it and whether it was started now.
    With `persist=False` (benchmarks) it keeps no state file: dumping a large state costs time.
    `setting` is what the user set the port with, named in the messages (the demo's is an
    environment variable). With `block_time` it makes a block every that many seconds, as a real
    network does, instead of one as soon as a transaction arrives."""
    if not 1 <= port <= 65535:
        raise InputError(f"{setting} {port} is not a TCP port")
    running = status(port)
    if running:
        return running, False
    url = f"http://127.0.0.1:{port}"
    if _answers(url) is not None:
        raise ChainError(
            f"port {port} is already taken by another chain this project did not start; choose another with {setting}"
        )
    anvil = anvil_executable()
    state = (state or DEFAULT_STATE).resolve()
    state.parent.mkdir(parents=True, exist_ok=True)
    CHAIN_DIR.mkdir(parents=True, exist_ok=True)
    log_path = CHAIN_DIR / f"anvil-{port}.log"
    command = [
        str(anvil),
        "--port", str(port),
        "--chain-id", str(LOCAL_CHAIN_ID),
        "--gas-limit", str(BLOCK_GAS_LIMIT),
        "--enable-tx-gas-limit",
    ]  # fmt: skip
    if block_time is not None:
        command += ["--block-time", f"{block_time:g}"]
    if persist:
        command += ["--state", str(state), "--state-interval", str(STATE_INTERVAL), "--preserve-historical-states"]
    else:
        # Without history kept per block, a long run does not slow down as the state grows.
        command += ["--prune-history"]
    # Anvil spills the states of old blocks under $HOME/.foundry/anvil/tmp and leaves them there
    # when it is killed (gigabytes after many blocks): give it a home of its own, under .chain/,
    # that `make clean` removes and the next start of this port clears.
    home = CHAIN_DIR / f"home-{port}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "HOME": str(home)},
        )
    node = LocalNode(process.pid, port, str(state) if persist else "", str(log_path), time.time())
    deadline = time.monotonic() + timeout
    while _answers(url) is None:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            tail = log_path.read_text(errors="replace")[-800:]
            raise ChainError(f"the local chain did not start on port {port}; its log ({log_path}) ends with:\n{tail}")
        time.sleep(0.1)
    _record_path(port).write_text(json.dumps(asdict(node)))
    return node, True


def down(port: int = DEFAULT_PORT, timeout: float = 30) -> LocalNode | None:
    """Stops the local chain on `port` (it writes its state file as it exits); None if none ran."""
    node = status(port)
    if node is None:
        return None
    os.kill(node.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(node.pid):
        if time.monotonic() > deadline:
            os.kill(node.pid, signal.SIGKILL)
            break
        time.sleep(0.1)
    _record_path(port).unlink(missing_ok=True)
    shutil.rmtree(CHAIN_DIR / f"home-{port}", ignore_errors=True)
    if not node.state:  # a throw-away chain (benchmarks) leaves no log behind
        Path(node.log).unlink(missing_ok=True)
    return node
