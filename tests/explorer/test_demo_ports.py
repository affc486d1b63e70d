"""`make demo`'s ports: a port it cannot use is refused before the journey, in words that name the
knob that moves it."""

import os
import socket
import subprocess
import sys
from urllib.parse import urlparse

from cli_support import own_anvil

from diamondtrace import localnode
from diamondtrace.localnode import free_port
from diamondtrace.toolchain import PROJECT_ROOT


def demo(tmp_path, **knobs):
    env = {**os.environ, "DEMO_STATE": str(tmp_path / "state.json"), "DEMO_DEPLOYMENT": str(tmp_path / "deployment.json")}
    env.update(knobs)
    argv = [sys.executable, "-m", "diamondtrace.demo"]
    return subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_taken_explorer_port_is_refused_before_the_journey(tmp_path):
    chain_port = free_port()
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            done = demo(tmp_path, DEMO_CHAIN_PORT=str(chain_port), DEMO_EXPLORER_PORT=str(port))
        assert done.returncode == 2, done.stdout + done.stderr
        assert done.stderr == (
            f"error: the explorer cannot serve on 127.0.0.1:{port} (Address already in use); "
            "choose another port with DEMO_EXPLORER_PORT\n"
        )
        # Nothing started: no chain, no registry.
        assert done.stdout == "" and localnode.status(chain_port) is None and not (tmp_path / "deployment.json").exists()
    finally:
        localnode.down(chain_port)


def test_the_explorer_and_the_chain_on_one_port_are_refused(tmp_path):
    port = free_port()
    done = demo(tmp_path, DEMO_CHAIN_PORT=str(port), DEMO_EXPLORER_PORT=str(port))
    assert done.returncode == 2 and done.stdout == "" and localnode.status(port) is None
    assert f"DEMO_EXPLORER_PORT and DEMO_CHAIN_PORT are both {port}" in done.stderr


def test_a_chain_port_another_chain_holds_names_DEMO_CHAIN_PORT(tmp_path):
    with own_anvil(tmp_path / "home") as url:
        port = urlparse(url).port
        done = demo(tmp_path, DEMO_CHAIN_PORT=str(port), DEMO_EXPLORER_PORT=str(free_port()))
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stderr == (
        f"error: port {port} is already taken by another chain this project did not start; choose another with DEMO_CHAIN_PORT\n"
    )
    assert not (tmp_path / "deployment.json").exists()
