"""The explorer in a real headless Chromium (JavaScript off), against the demo's chain."""

import json
import os
import re
import shlex
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest
import requests
from eth_utils import keccak
from explorer_support import SCREENSHOTS, dt

from diamondtrace.explorer import Explorer, serve
from diamondtrace.model import token_id
from diamondtrace.records import RECORD_TOPIC
from diamondtrace.toolchain import PROJECT_ROOT


def test_the_demo_tells_the_whole_journey(demo):
    out = demo.output
    for step in ["Deployed a new registry", "accredited Debswana", "recorded certificate",
                 "registered a production run of 1,200 stones", "Exported a parcel", "sold rough stone",
                 "cut it into 3 polished stones", "graded it", "Sold at retail", "Journey complete"]:  # fmt: skip
        assert step in out, step
    seconds = float(re.search(r"Journey complete in ([0-9.]+) s", out).group(1))
    assert seconds < 60


def test_the_demos_closing_hints_work_as_printed_on_its_ports(demo):
    """The demo ran on ports of its own (DEMO_CHAIN_PORT, DEMO_EXPLORER_PORT) and records its registry
    elsewhere (DEMO_DEPLOYMENT): each command it prints reaches them, run as printed from the checkout."""
    reach = f"--rpc-url {demo.rpc_url} --deployment {demo.deployment}"
    browse, page = re.search(r"Browse it with `([^`]+)`, then open (\S+)", demo.output).groups()
    explorer_port = urlparse(page).port
    assert browse == f".venv/bin/diamondtrace {reach} explorer --port {explorer_port}"
    assert page == f"http://127.0.0.1:{explorer_port}/stone/{demo.consumer_stone}"
    assert f"`.venv/bin/diamondtrace chain down --port {demo.port}` stops it" in demo.output
    check = re.search(r"check it from the terminal: `([^`]+)`", demo.output).group(1)
    assert check == f".venv/bin/diamondtrace {reach} verify {demo.consumer_stone}"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}  # this checkout's package, as in a fresh clone
    verified = subprocess.run(shlex.split(check), cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0 and "integrity   OK" in verified.stdout, verified.stderr
    explorer = subprocess.Popen(shlex.split(browse), cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                served = requests.get(page, timeout=30)
                break
            except requests.ConnectionError:
                assert explorer.poll() is None and time.monotonic() < deadline, explorer.stderr.read().decode()
                time.sleep(0.2)
        assert served.status_code == 200 and demo.consumer_stone in served.text
    finally:
        explorer.terminate()
        explorer.wait(timeout=30)


def test_search_finds_a_stone_by_every_kind_of_id(demo, site, page):
    stone = demo.consumer_stone
    report = requests.get(f"{site}/api/stone/{stone}").json()
    registration_tx = report["custody"][-1]["transaction"]
    for query, lands_on in [
        (stone, f"/stone/{stone}"),
        (str(token_id(stone)), f"/stone/{stone}"),
        (hex(token_id(stone)), f"/stone/{stone}"),
        (f"BE-KP-{demo.run}-001", f"/kp/BE/BE-KP-{demo.run}-001"),
        (registration_tx, f"/tx/{registration_tx}"),
        (report["holder"], f"/address/{report['holder']}"),
    ]:
        page.goto(site + "/")
        page.fill("main input[name=q]", query)
        page.click("main button[type=submit]")
        # The search answers with a redirect: wait for it to land rather than read the URL mid-way.
        page.wait_for_url("**" + lands_on)
        assert page.locator("h1").count() == 1
    page.goto(f"{site}/search?q=NO-SUCH-STONE")
    assert "Nothing on this registry matches" in page.content()


def test_the_stone_page_shows_record_verdict_journey_lineage_and_certificate(demo, site, page):
    stone = demo.consumer_stone
    response = page.goto(f"{site}/stone/{stone}")
    assert response.status == 200
    verdict = page.locator(".verdict").first.inner_text()
    assert "Record complete and consistent" in verdict
    report = requests.get(f"{site}/api/stone/{stone}").json()
    timeline = page.locator("ol.timeline").inner_text()
    for record in report["custody"]:
        assert record["transaction"][:12] in timeline
    assert "Registered at the Jwaneng mine, BW" in timeline and "Export" in timeline and "Retail sale" in timeline
    assert page.locator("img[alt^='Card of stone']").count() == 1
    lineage = page.locator("section", has_text="Lineage").inner_text()
    assert f"BW-JW-{demo.run}-00000" in lineage and f"IN-SRT-{demo.run}-2" in lineage
    certificate = page.locator("section", has_text="Kimberley Process certificate").inner_text()
    assert f"BE-KP-{demo.run}-001" in certificate and "BE → IN" in certificate
    assert "current" in page.locator("section", has_text="Grading reports").inner_text()
    assurance = page.locator("section.assurance").inner_text()
    for scheme in ["Kimberley Process", "System of Warranties", "RJC"]:
        assert scheme in assurance
    assert assurance.count("Yes") == 3 and "No" not in assurance.replace("Not ", "")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "stone-page.png"), full_page=True)
    phone = page.context.browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(f"{site}/stone/{stone}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scrolling on a phone
    phone.screenshot(path=str(SCREENSHOTS / "stone-page-phone.png"), full_page=True)
    phone.close()


def test_pages_load_nothing_but_the_explorer_s_own_stylesheet(demo, site, page):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for path in ["/", f"/stone/{demo.consumer_stone}", "/stone/NO-SUCH-STONE"]:
        requested.clear()
        response = page.goto(site + path)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert [url for url in requested if not url.startswith("data:")] == [site + path, f"{site}/static/explorer.css"], path
        # The stylesheet applies: the header is the explorer's dark blue.
        assert page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor") == "rgb(27, 42, 58)"
    assert requests.get(f"{site}/static/explorer.css").headers["Content-Type"].startswith("text/css")
    for missing in ["/static/nothing.css", "/static/..%2Fpages.py", "/static/explorer.css%00.py"]:
        assert requests.get(site + missing).status_code == 404, missing


def test_the_certificate_and_address_pages(demo, site, page):
    page.goto(f"{site}/kp/BW-KP-{demo.run}-001")
    assert page.url.endswith(f"/kp/BW-KP-{demo.run}-001")
    text = page.locator("main").inner_text()
    assert "Carats used" in text and "of" in text and "Stones drawn against it (24)" in text
    report = requests.get(f"{site}/api/stone/{demo.consumer_stone}").json()
    page.goto(f"{site}/address/{report['custody'][0]['from']}")
    text = page.locator("main").inner_text()
    assert "Surat Diamond Works" in text and "manufacturer" in text
    assert f"IN-SRT-{demo.run}-2" in page.locator("section", has_text="Holds now").inner_text()
    assert demo.consumer_stone in page.locator("section", has_text="Has held").inner_text()


def test_the_transaction_page_decodes_calls_and_events(demo, site, page):
    report = requests.get(f"{site}/api/stone/{demo.consumer_stone}").json()
    page.goto(f"{site}/tx/{report['custody'][-1]['transaction']}")
    text = page.locator("main").inner_text()
    assert "transferCustody" in text and "CustodyTransferred" in text and "Transfer" in text and "MetadataUpdate" in text


def test_the_api_returns_exactly_what_verify_json_prints(demo, site, capsys):
    api = requests.get(f"{site}/api/stone/{demo.consumer_stone}")
    assert api.status_code == 200 and api.headers["Content-Type"].startswith("application/json")
    capsys.readouterr()
    assert dt(demo, "--json", "verify", demo.consumer_stone) == 0
    assert json.loads(capsys.readouterr().out) == api.json()


def test_a_flagged_stone_shows_the_warning(demo, site, page, tmp_path):
    # The consumer reports the stone stolen, as its holder.
    assert dt(demo, "flag", demo.consumer_stone, "--reason", "stolen", "--dev-account", "9") == 0
    report = tmp_path / "police-report.pdf"
    report.write_bytes(b"Recovered by the police")
    try:
        page.goto(f"{site}/stone/{demo.consumer_stone}")
        assert "Reported STOLEN" in page.locator(".verdict.flagged").inner_text()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "flagged-stone.png"), full_page=True)
    finally:
        assert dt(demo, "unflag", demo.consumer_stone, "--document", str(report), "--dev-account", "0") == 0
    # Cleared, the report still shows: who made it, who cleared it, and the clearing's document.
    page.goto(f"{site}/stone/{demo.consumer_stone}")
    assert page.locator(".verdict.flagged").count() == 0
    assert "Once reported STOLEN, since cleared" in page.locator(".verdict.cleared").inner_text()
    section = page.locator("section", has=page.locator("h2", has_text="Reports of theft or loss"))
    entries = section.locator("li").all_inner_texts()
    assert len(entries) == 2, entries
    assert entries[0].startswith("Reported STOLEN by") and entries[1].startswith("Report cleared by")
    assert "0x" + keccak(report.read_bytes()).hex() in entries[1]


class _Tampering(BaseHTTPRequestHandler):
    """A JSON-RPC proxy that drops the first custody record of a stone from event queries: what an
    incomplete or dishonest indexer would serve."""

    upstream = ""
    victim = ""

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        reply = requests.post(self.upstream, data=body, headers={"Content-Type": "application/json"}).json()
        request = json.loads(body)
        # A JSON-RPC batch is a list of requests answered by a list of replies, in order.
        for one, answer in zip(request, reply) if isinstance(request, list) else [(request, reply)]:
            if one.get("method") == "eth_getLogs" and isinstance(answer.get("result"), list):
                self._drop_first_record(answer)
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _drop_first_record(self, answer):
        kept, dropped = [], False
        for entry in answer["result"]:
            topics = entry["topics"]
            if not dropped and len(topics) == 3 and topics[0] == RECORD_TOPIC and topics[1] == self.victim:
                dropped = True
                continue
            kept.append(entry)
        answer["result"] = kept

    def log_message(self, *args):
        pass


@pytest.fixture
def tampering_site(demo):
    victim = "0x" + token_id(demo.consumer_stone).to_bytes(32, "big").hex()
    handler = type("Handler", (_Tampering,), {"upstream": demo.rpc_url, "victim": victim})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    server = serve(Explorer(f"http://127.0.0.1:{proxy.server_address[1]}", demo.deployment), "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    proxy.shutdown()


def test_a_stone_with_a_missing_record_shows_broken(demo, tampering_site, page):
    page.goto(f"{tampering_site}/stone/{demo.consumer_stone}")
    verdict = page.locator(".verdict.broken").inner_text()
    assert "Record broken" in verdict and "record was hidden" in verdict
    assert "✖ No" in page.locator("section.assurance").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "broken-record.png"), full_page=True)


def test_unknown_malformed_and_unreachable_give_clear_pages(demo, site, tmp_path):
    for path, status, text in [
        ("/stone/NO-SUCH-STONE", 404, "No stone NO-SUCH-STONE"),
        ("/stone/has%20space", 400, "printable ASCII"),
        ("/kp/NO-SUCH-KP", 404, "No KP certificate NO-SUCH-KP"),
        ("/kp/BW/NO-SUCH-KP", 404, "No KP certificate NO-SUCH-KP of BW"),
        ("/kp/ZZ/NO-SUCH-KP", 400, "is not a country code"),
        ("/address/0x1234", 400, "is not an Ethereum address"),
        ("/tx/0xabc", 400, "is not a transaction hash"),
        ("/tx/0x" + "ab" * 32, 404, "No transaction"),
        ("/nowhere", 404, "No such page"),
        ("/api/stone/NO-SUCH-STONE", 404, "no stone NO-SUCH-STONE"),
    ]:
        r = requests.get(site + path)
        assert r.status_code == status and text in r.text and "Traceback" not in r.text, (path, r.status_code, r.text[:300])
    dead = serve(Explorer("http://127.0.0.1:9", demo.deployment), "127.0.0.1", 0)
    try:
        r = requests.get(f"http://127.0.0.1:{dead.server_address[1]}/stone/{demo.consumer_stone}")
        assert r.status_code == 503 and "The chain is unreachable" in r.text and "Traceback" not in r.text
        api = requests.get(f"http://127.0.0.1:{dead.server_address[1]}/api/stone/{demo.consumer_stone}")
        assert api.status_code == 503 and "cannot reach" in api.json()["error"]
    finally:
        dead.shutdown()


def test_export_verification_writes_the_sourcify_layout(demo, tmp_path):
    assert dt(demo, "export-verification", str(tmp_path)) == 0
    record = json.loads(demo.deployment.read_text())
    for key, source in [
        ("registry", "contracts/DiamondRegistry.sol"),
        ("certificates", "contracts/KimberleyCertificates.sol"),
        ("grading", "contracts/GradingBook.sol"),
        ("renderer", "contracts/DiamondRenderer.sol"),
    ]:
        address = record[key]
        folder = tmp_path / "contracts" / "full_match" / "31337" / address
        metadata = json.loads((folder / "metadata.json").read_text())
        assert metadata["compiler"]["version"].startswith("0.8.30+commit.")
        assert metadata["settings"]["optimizer"] == {"enabled": True, "runs": 200} and metadata["settings"]["viaIR"] is True
        assert source in metadata["settings"]["compilationTarget"]
        for path, entry in metadata["sources"].items():
            from eth_utils import keccak

            assert "0x" + keccak((folder / "sources" / path).read_bytes()).hex() == entry["keccak256"], path
