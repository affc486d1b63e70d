"""Helpers for the explorer's tests: the demo's chain, where screenshots go, the command."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from diamondtrace import cli
from diamondtrace.toolchain import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = PROJECT_ROOT / "test-output" / "explorer"


@dataclass
class Demo:
    rpc_url: str
    port: int
    deployment: Path
    consumer_stone: str
    run: str
    output: str


def dt(demo: Demo, *args: str) -> int:
    return cli.main(["--rpc-url", demo.rpc_url, "--deployment", str(demo.deployment), *args])
