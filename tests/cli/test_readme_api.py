"""The README's Python example, run as written (but for the chain's URL and the deployment record's
path) in a process of its own: the public API it shows works."""

import re
import subprocess
import sys

from cli_support import write_csv

from diamondtrace.toolchain import PROJECT_ROOT


def readme_example() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### From Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_python_example_registers_a_run_and_verifies_a_stone(dt, tmp_path):
    code = readme_example()
    assert 'connect("http://127.0.0.1:8545")' in code and "open_registry(chain, None)" in code
    code = code.replace('"http://127.0.0.1:8545"', repr(dt.url)).replace(
        "open_registry(chain, None)", f"open_registry(chain, Path({str(dt.deployment)!r}))"
    )
    rows = [[f"BW-JW-2026-00000{i}", "1.25", "Jwaneng", "BW", "2026-11-20"] for i in (1, 2, 3)]
    write_csv(tmp_path / "run.csv", rows)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "3 stones registered, 0 already on chain" in done.stdout
    assert "Stone BW-JW-2026-000001" in done.stdout and "Jwaneng mine, BW" in done.stdout
    assert "integrity   OK: no custody records" in done.stdout
    # Run again, it registers nothing twice.
    again = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "0 stones registered, 3 already on chain" in again.stdout, again.stderr
