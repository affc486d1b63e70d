"""`make lint`: Slither over the registry, compiled from the build's own standard-JSON input.

Fails on any finding that is not accepted in lint/slither-accepted.json, where each accepted
finding has a one-line reason; high- and medium-impact findings can never be accepted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from crytic_compile import CryticCompile
from crytic_compile.platform.solc_standard_json import SolcStandardJson
from slither import Slither
from slither.detectors import all_detectors
from slither.detectors.abstract_detector import AbstractDetector

ROOT = Path(__file__).resolve().parent.parent
ACCEPTED = ROOT / "lint" / "slither-accepted.json"


def main(standard_input: Path, solc: Path) -> int:
    compilation = CryticCompile(
        SolcStandardJson(json.loads(standard_input.read_text())), solc=str(solc), solc_working_dir=str(ROOT)
    )
    slither = Slither(compilation, exclude_dependencies=True)
    for detector in vars(all_detectors).values():
        if isinstance(detector, type) and issubclass(detector, AbstractDetector) and detector is not AbstractDetector:
            slither.register_detector(detector)
    findings = [r for group in slither.run_detectors() for r in group]

    # Only our own deployed code: dependencies (OpenZeppelin, Solady) are audited upstream, and
    # contracts/fixtures/ holds test doubles that are never deployed.
    def ours_only(element: dict) -> bool:
        path = str(element.get("source_mapping", {}).get("filename_relative", ""))
        return path.startswith(("contracts/", "interfaces/")) and not path.startswith("contracts/fixtures/")

    ours = [f for f in findings if any(ours_only(e) for e in f["elements"]) or not f["elements"]]
    accepted = json.loads(ACCEPTED.read_text())
    failures, kept = [], []
    for finding in ours:
        first = finding["description"].splitlines()[0]
        match = next((a for a in accepted if a["check"] == finding["check"] and a["match"] in finding["description"]), None)
        if match and finding["impact"] in {"High", "Medium"}:
            failures.append(f"[{finding['impact']}] {finding['check']}: {first} (high and medium findings cannot be accepted)")
        elif match:
            kept.append(f"accepted [{finding['impact']}] {finding['check']}: {first}\n    reason: {match['reason']}")
        else:
            failures.append(f"[{finding['impact']}] {finding['check']}: {first}")
    for line in kept:
        print(line)
    used = {
        (a["check"], a["match"]) for a in accepted for f in ours if a["check"] == f["check"] and a["match"] in f["description"]
    }
    for a in accepted:
        if (a["check"], a["match"]) not in used:
            print(f"note: the acceptance of {a['check']} / {a['match']!r} matches nothing any more; remove it")
    print(f"slither: {len(ours)} findings in our code, {len(kept)} accepted with a reason, {len(failures)} not accepted")
    for line in failures:
        print("NOT ACCEPTED " + line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
