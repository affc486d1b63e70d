"""Faults: a run killed mid-way, an unreachable or silent RPC endpoint, chains that are not ours."""

import json
import random
import re
import signal
import socket
import subprocess
import threading
import time

import pytest
from cli_support import DIAMONDTRACE, RpcProxy, address, run_rows, write_csv
from web3 import Web3

from diamondtrace.deployments import registry_contract
from diamondtrace.localnode import free_port
from diamondtrace.model import token_id
from diamondtrace.toolchain import anvil_executable


def _registry(dt):
    return registry_contract(Web3(Web3.HTTPProvider(dt.url)), json.loads(dt.deployment.read_text())["registry"])


def _registered(registry, rows) -> dict[int, int]:
    found, _, weights = registry.functions.registrations([token_id(r[0]) for r in rows]).call()
    return {token_id(rows[i][0]): w for i, w in zip(found, weights)}


def _assert_exactly_the_files_stones(registry, rows, stones_before):
    found = _registered(registry, rows)
    assert len(found) == len(rows), f"{len(rows) - len(found)} stones lost"
    assert all(found[token_id(r[0])] == round(float(r[1]) * 100) for r in rows)
    assert registry.functions.totals().call()[0] == stones_before + len(rows), "stones registered twice or extra"


def test_a_mint_killed_mid_way_and_run_again_registers_exactly_the_files_stones(dt, tmp_path):
    rows = run_rows("BW-KILL", 2_400)
    path = write_csv(tmp_path / "run.csv", rows)
    registry = _registry(dt)
    stones_before = registry.functions.totals().call()[0]
    process = dt.process("mint", path, "--batch-size", 20, "--dev-account", 1)
    # Kill it as soon as some, but not all, batches are on chain.
    deadline = time.monotonic() + 60
    while registry.functions.totals().call()[0] == stones_before and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = registry.functions.totals().call()[0] - stones_before
    assert 0 < partial < len(rows), f"the kill landed at {partial} stones"
    rerun = dt("mint", path, "--batch-size", 20, "--dev-account", 1, json=True).json
    assert rerun["already_registered"] == partial and rerun["registered"] == len(rows) - partial
    _assert_exactly_the_files_stones(registry, rows, stones_before)


def test_an_interrupted_mint_exits_130_and_a_rerun_completes_it(dt, tmp_path):
    """Ctrl-C mid-run: exit 130, a message saying what to do, and the same command finishes the job."""
    rows = run_rows("BW-INT", 2_400)
    path = write_csv(tmp_path / "run.csv", rows)
    registry = _registry(dt)
    stones_before = registry.functions.totals().call()[0]
    # Under a test runner SIGINT may be ignored, and an ignored signal is inherited: restore it.
    process = dt.process(
        "mint", path, "--batch-size", 20, "--dev-account", 1, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
    )
    deadline = time.monotonic() + 60
    while registry.functions.totals().call()[0] == stones_before and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert re.search(r"interrupted\n[0-9]+ of the 2400 new stones are confirmed on chain", err), err
    assert "Run the same command again: it skips every stone already on chain and registers the rest" in err
    assert "Traceback" not in err and out == ""
    rerun = dt("mint", path, "--batch-size", 20, "--dev-account", 1, json=True).json
    assert rerun["already_registered"] + rerun["registered"] == len(rows) and rerun["already_registered"] > 0
    _assert_exactly_the_files_stones(registry, rows, stones_before)


def test_a_chain_that_dies_mid_mint_says_how_far_the_run_got(dt, tmp_path):
    """The node goes away while batches go out: exit 3, how many stones are confirmed, and that
    the same command registers the rest, as after Ctrl-C."""
    rows = run_rows("BW-DIE", 1_200)
    path = write_csv(tmp_path / "run.csv", rows)
    registry = _registry(dt)
    stones_before = registry.functions.totals().call()[0]
    with RpcProxy(dt.url) as proxy:
        process = dt.at(proxy.url).process("mint", path, "--batch-size", 20, "--dev-account", 1)
        deadline = time.monotonic() + 60
        while registry.functions.totals().call()[0] == stones_before and time.monotonic() < deadline:
            time.sleep(0.01)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 3, err
    confirmed = int(re.search(r"([0-9]+) of the 1200 new stones are confirmed on chain", err).group(1))
    assert confirmed % 20 == 0 and confirmed <= registry.functions.totals().call()[0] - stones_before
    assert "Run the same command again: it skips every stone already on chain" in err and "Traceback" not in err
    dt("mint", path, "--batch-size", 20, "--dev-account", 1)
    _assert_exactly_the_files_stones(registry, rows, stones_before)


def test_kills_at_random_points(dt, tmp_path):
    rows = run_rows("BW-RAND", 600)
    path = write_csv(tmp_path / "run.csv", rows)
    registry = _registry(dt)
    stones_before = registry.functions.totals().call()[0]
    rng = random.Random(7)
    for _ in range(3):
        process = dt.process("mint", path, "--batch-size", 25, "--dev-account", 1)
        time.sleep(rng.uniform(0.8, 2.5))  # start-up takes about a second; then batches go out
        process.send_signal(signal.SIGKILL)
        process.wait()
    dt("mint", path, "--batch-size", 25, "--dev-account", 1)
    _assert_exactly_the_files_stones(registry, rows, stones_before)


def test_an_unreachable_rpc_endpoint_exits_3_and_writes_nothing(deployed, tmp_path):
    dead = deployed.__class__(f"http://127.0.0.1:{free_port()}", tmp_path / "deployment.json")
    r = dead("deploy", "--dev-account", 0, expect=3)
    assert "cannot reach the chain at http://127.0.0.1:" in r.err and "connection refused" in r.err
    assert "nothing was sent" in r.err and not (tmp_path / "deployment.json").exists()
    r = dead("verify", "BW-1", expect=3)
    assert "Traceback" not in r.err


@pytest.fixture
def silent_endpoint():
    """A TCP server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_silent_rpc_endpoint_times_out_with_exit_3(deployed, tmp_path, silent_endpoint):
    process = subprocess.run(
        [DIAMONDTRACE, "--rpc-url", silent_endpoint, "--deployment", str(tmp_path / "d.json"), "deploy", "--dev-account", "0"],
        capture_output=True, text=True, env={"DIAMONDTRACE_RPC_TIMEOUT": "1", "PATH": "/usr/bin:/bin"}, timeout=60,
    )  # fmt: skip
    assert process.returncode == 3, process.stderr
    assert "did not answer within 1 s; nothing was sent" in process.stderr
    assert not (tmp_path / "d.json").exists()


@pytest.fixture
def foreign_chain():
    """A chain with a public-network chain id (here 7777), where development keys must be refused."""
    port = free_port()
    process = subprocess.Popen([str(anvil_executable()), "--port", str(port), "--chain-id", "7777", "--silent"])
    url = f"http://127.0.0.1:{port}"
    w3 = Web3(Web3.HTTPProvider(url))
    for _ in range(100):
        try:
            w3.eth.chain_id
            break
        except Exception:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait()


def test_dev_accounts_are_refused_on_other_chains(deployed, tmp_path, foreign_chain):
    other = deployed.__class__(foreign_chain, tmp_path / "deployment.json")
    r = other("deploy", "--dev-account", 0, expect=2)
    assert "--dev-account is refused on chain id 7777" in r.err
    assert Web3(Web3.HTTPProvider(foreign_chain)).eth.block_number == 0


def test_secrets_never_appear_in_output_or_written_files(dt, tmp_path):
    secret = "s3cret-Passw0rd-for-the-keystore"
    password = tmp_path / "pw"
    password.write_text(secret)
    keystore = tmp_path / "key.json"
    created = dt("account", "new", "--out", keystore, "--password-file", password, json=True)
    from eth_account import Account

    key = Account.decrypt(json.loads(keystore.read_text()), secret).hex()
    holder = created.json["address"]
    dt.rpc("anvil_setBalance", holder, hex(10**18))
    dt(
        "participant",
        "add",
        holder,
        "--role",
        "producer",
        "--name",
        "Keyed Producer",
        "--country",
        "BW",
        "--prefix",
        "BWK-",
        "--dev-account",
        0,
    )
    outputs = [created]
    path = write_csv(tmp_path / "run.csv", run_rows("BWK-SEC", 2))
    outputs.append(dt("mint", path, "--keystore", keystore, "--password-file", password, json=True))
    signed = tmp_path / "signed.json"
    outputs.append(
        dt(
            "transfer",
            "BWK-SEC-00000",
            "--to",
            address("trader_bw"),
            "--sign-only",
            signed,
            "--keystore",
            keystore,
            "--password-file",
            password,
        )
    )
    outputs.append(dt("broadcast", signed, "--dev-account", 8))
    outputs.append(
        dt("transfer", "BWK-SEC-00001", "--to", address(7), "--keystore", keystore, "--password-file", password, expect=2)
    )
    outputs.append(dt("participant", "show", holder, json=True))
    outputs.append(dt("--verbose", "verify", "BWK-SEC-00000", json=True))
    written = signed.read_text() + dt.deployment.read_text()
    for text in [o.out + o.err for o in outputs] + [written]:
        assert secret not in text
        assert key.removeprefix("0x") not in text.lower()
    assert "ciphertext" in keystore.read_text() and key.removeprefix("0x") not in keystore.read_text()


def _own_chain(tmp_path):
    """A chain of this test's own, started by the command, with a registry and a producer."""
    from cli_support import Cli

    port = free_port()
    state = tmp_path / "state.json"
    from diamondtrace import localnode

    localnode.up(port, state)
    run = Cli(f"http://127.0.0.1:{port}", tmp_path / "deployment.json")
    run("deploy", "--dev-account", 0)
    run.accredit(address("producer"), "producer", "BW", "--prefix", "BW-", name="Debswana")
    return run, port, state


def test_the_chain_stopped_and_restarted_from_its_state_file_mid_run(tmp_path):
    from diamondtrace import localnode

    run, port, state = _own_chain(tmp_path)
    try:
        rows = run_rows("BW-RESTART", 2_000)
        path = write_csv(tmp_path / "run.csv", rows)
        registry = _registry(run)
        process = run.process("mint", path, "--batch-size", 20, "--dev-account", 1)
        deadline = time.monotonic() + 60
        while registry.functions.totals().call()[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        localnode.down(port)  # the chain writes its state and stops under the running mint
        out, err = process.communicate(timeout=120)
        assert process.returncode == 3, err
        assert "cannot reach the chain" in err or "failed mid-command" in err or "run the same command again" in err, err
        assert "Traceback" not in err
        localnode.up(port, state)
        registry = _registry(run)
        kept = registry.functions.totals().call()[0]
        assert 0 < kept < len(rows), kept
        rerun = run("mint", path, "--batch-size", 20, "--dev-account", 1, json=True).json
        assert rerun["already_registered"] == kept and rerun["registered"] == len(rows) - kept
        _assert_exactly_the_files_stones(registry, rows, 0)
    finally:
        localnode.down(port)


def test_two_processes_sending_from_one_account(dt, tmp_path):
    registry = _registry(dt)
    stones_before = registry.functions.totals().call()[0]
    files = [write_csv(tmp_path / f"run{i}.csv", run_rows(f"BW-TWO{i}", 1_200)) for i in range(2)]
    processes = [dt.process("mint", f, "--batch-size", 30, "--dev-account", 1) for f in files]
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
    for i in range(2):
        rows = run_rows(f"BW-TWO{i}", 1_200)
        found = _registered(registry, rows)
        assert len(found) == len(rows), f"file {i}: {len(rows) - len(found)} stones lost"
    assert registry.functions.totals().call()[0] == stones_before + 2_400
    # Single transactions from both at once (no lock there): a taken nonce is retried.
    transfers = [dt.process("transfer", f"BW-TWO{i}-00000", "--to", address("trader_bw"), "--dev-account", 1) for i in range(2)]
    for process in transfers:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    assert registry.functions.ownerOf(token_id("BW-TWO1-00000")).call() == address("trader_bw")
    # The account's nonce is intact: it can go on sending.
    dt("transfer", "BW-TWO0-00001", "--to", address("trader_bw"), "--dev-account", 1)


def test_a_million_row_file_is_refused_quickly_and_sends_nothing(dt, tmp_path):
    path = tmp_path / "million.csv"
    with open(path, "w") as fp:
        fp.write("stone_id,carat,mine,country,production_date\n")
        fp.writelines(f"BW-M-{i:07d},1.00,Jwaneng,BW,2026-11-20\n" for i in range(1_000_000))
    before = dt.block()
    started = time.monotonic()
    r = dt("mint", path, "--dev-account", 1, expect=2)
    assert "more than 100,000 stones in one file" in r.err and "million.csv:100002" in r.err
    assert time.monotonic() - started < 30 and dt.block() == before
