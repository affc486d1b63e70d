"""Helpers for the command's tests: running it (in process or as a real process), the cast,
production-run files."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import requests

from diamondtrace import cli
from diamondtrace.wallet import dev_account

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


