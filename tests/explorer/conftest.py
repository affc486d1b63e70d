"""The explorer against the demo's chain: `make demo DEMO_SERVE=0` sets up a realistic registry
(and is itself tested by doing so), then the explorer serves it and Debian's Chromium browses it."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from explorer_support import CHROMIUM, Demo
from playwright.sync_api import sync_playwright

from diamondtrace import localnode
from diamondtrace.explorer import Explorer, serve
from diamondtrace.localnode import free_port
from diamondtrace.toolchain import PROJECT_ROOT


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    workdir = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {
        **os.environ,
        "DEMO_SERVE": "0",
        "DEMO_CHAIN_PORT": str(port),
        "DEMO_EXPLORER_PORT": str(free_port()),  # so that the closing hints name it
        "DEMO_STATE": str(workdir / "state.json"),
        "DEMO_DEPLOYMENT": str(workdir / "deployment.json"),
    }
    result = subprocess.run(["make", "demo"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    stone = re.search(r"The consumer's stone: (\S+)\.", result.stdout).group(1)
    yield Demo(f"http://127.0.0.1:{port}", port, workdir / "deployment.json", stone, stone.split("-")[2], result.stdout)
    localnode.down(port)


@pytest.fixture(scope="session")
def site(demo) -> str:
    server = serve(Explorer(demo.rpc_url, demo.deployment), "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make setup` installs it (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def api(site):
    return f"{site}/api/stone"
