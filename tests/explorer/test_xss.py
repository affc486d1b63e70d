"""Stored XSS: hostile text in every field a participant can write, rendered inert on every page.

A cast of hostile participants writes straight to the contracts (what the contracts accept, any
participant can write, whatever the command checks): names, a stone-ID prefix, stone IDs, mines,
descriptions, KP certificate numbers, document fields, an RJC certificate id, grading report
numbers, colours, clarities and cuts. Then Debian's Chromium, with JavaScript ON and the pages'
Content-Security-Policy bypassed (so escaping alone is what is tested), opens every page that shows
them and finds no dialog, no injected element or handler, no `javascript:` link, every stone link
leading to its own stone, and the text shown literally.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
import requests
from explorer_support import SCREENSHOTS
from web3 import Web3

from diamondtrace.deployments import certificates_contract, registry_contract
from diamondtrace.model import ROLES, ZERO32, Action, text32, token_id

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS = "javascript:alert(1)"
QUOTES = "'single' \"double\" & &amp; <b>"
# Free text (names, descriptions): every payload at once.
EVERYTHING = f"{SCRIPT} {IMG} {JS} {QUOTES}"

# On-chain text fields hold 1 to 32 printable ASCII characters (stone IDs without spaces).
PRODUCER_PREFIX = "javascript:"
MANUFACTURER_PREFIX = "<u>'\"&amp;"
ROUGH = PRODUCER_PREFIX + "alert(1)"  # a stone ID that is a javascript: URL
ROUGH_TAG = PRODUCER_PREFIX + "<svg/onload=alert(1)>"
ROUGH_URL = PRODUCER_PREFIX + "?#/%41'\"&amp;"  # characters that mean something in a URL
CHILD, SIBLING, DECLARED = MANUFACTURER_PREFIX + "1", MANUFACTURER_PREFIX + "2", MANUFACTURER_PREFIX + "D"
MINE = SCRIPT
DECLARED_MINE = IMG + "\\"  # a backslash too: the on-chain tokenURI is JSON
CERT_REGISTERED = "javascript:alert('kp')"
CERT_CROSSING = IMG
DOCUMENT = SCRIPT  # a document hash is any 32 bytes: the transaction page shows printable ones as text
RJC_CERTIFICATE = IMG
REPORT, COLOUR, CLARITY, CUT = IMG, "<script>", "<i>&amp;", "<svg onload=x>"

# The elements the templates use: anything else in a page was injected.
TEMPLATE_TAGS = {
    "html", "head", "meta", "title", "link", "body", "header", "a", "form", "input", "button", "main", "section",
    "h1", "h2", "p", "table", "tbody", "tr", "th", "td", "code", "b", "span", "small", "div", "ol", "li", "img", "br",
}  # fmt: skip
INSPECT = """tags => {
    const found = [];
    for (const el of document.querySelectorAll("*")) {
        const tag = el.tagName.toLowerCase();
        if (!tags.includes(tag)) found.push(`element <${tag}>`);
        for (const attr of el.attributes) {
            if (attr.name.startsWith("on")) found.push(`handler ${attr.name} on <${tag}>`);
            if (/^\\s*javascript:/i.test(attr.value)) found.push(`javascript: in ${attr.name} of <${tag}>`);
        }
    }
    for (const a of document.querySelectorAll("a[href]")) {
        const href = a.getAttribute("href");
        if (!href.startsWith("/") || href.startsWith("//")) found.push(`link off the explorer: ${href}`);
        if (href.startsWith("/stone/") && decodeURIComponent(href.slice(7)) !== a.textContent)
            found.push(`stone link ${href} does not lead to ${a.textContent}`);
    }
    for (const img of document.querySelectorAll("img"))
        if (!img.getAttribute("src").startsWith("data:image/svg+xml;base64,")) found.push(`image ${img.getAttribute("src")}`);
    return found;
}"""


@dataclass
class Hostile:
    """The hostile cast's addresses, what they wrote, and the transactions that wrote it."""

    producer: str
    kp: str
    trader: str
    manufacturer: str
    lab: str
    names: dict[str, str]
    transactions: dict[str, str] = field(default_factory=dict)


def _account(label: str) -> str:
    return Web3.to_checksum_address(Web3.keccak(text=f"hostile {label}")[:20])


@pytest.fixture(scope="module")
def hostile(demo) -> Hostile:
    """The hostile cast's records on the demo's chain, undone after the module."""
    w3 = Web3(Web3.HTTPProvider(demo.rpc_url))
    registry = registry_contract(w3, json.loads(demo.deployment.read_text())["registry"])
    book = certificates_contract(registry)
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    cast = Hostile(*(_account(role) for role in ("producer", "kp", "trader", "manufacturer", "lab")), names={})
    for address in [registry.functions.owner().call(), cast.producer, cast.kp, cast.trader, cast.manufacturer, cast.lab]:
        w3.provider.make_request("anvil_impersonateAccount", [address])
        w3.provider.make_request("anvil_setBalance", [address, hex(10**20)])

    def send(label: str, sender: str, call) -> None:
        receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
        assert receipt["status"] == 1, label
        cast.transactions[label] = receipt["transactionHash"].to_0x_hex()

    def transfer(label: str, sender: str, to: str, token: int, action: Action, document=ZERO32, certificate=ZERO32) -> None:
        send(label, sender, registry.functions.transferCustody(to, token, int(action), document, certificate, True))

    admin = registry.functions.owner().call()
    now = w3.eth.get_block("latest")["timestamp"]
    for role, address, country, prefix in [
        ("producer", cast.producer, b"BW", PRODUCER_PREFIX),
        ("kp-authority", cast.kp, b"BW", None),
        ("trader", cast.trader, b"BE", None),
        ("manufacturer", cast.manufacturer, b"BE", MANUFACTURER_PREFIX),
        ("lab", cast.lab, b"BE", None),
    ]:
        cast.names[address] = f"{role} {EVERYTHING}"
        prefix32 = text32(prefix) if prefix else ZERO32
        send(f"accredit {role}", admin, registry.functions.accredit(address, ROLES[role], country, cast.names[address], prefix32))
    send("certify", admin, registry.functions.certifyRjc(cast.producer, text32(RJC_CERTIFICATE), now + 365 * 86400))
    valid = (now - 86400, now + 90 * 86400)
    for number in (CERT_REGISTERED, CERT_CROSSING):
        # number, exporting, importing, exporter, importer, issued, expires, centicarats, value, parcels, document
        certificate = (text32(number), b"BW", b"BE", cast.producer, cast.trader, *valid, 10**5, 10**6, 1, ZERO32)
        send(f"certificate {number}", cast.kp, book.functions.recordCertificate(certificate))
    # to, mine, country, production day, lab-grown, certificate
    batch = (cast.producer, text32(MINE), b"BW", now // 86400 - 2, False, text32(CERT_REGISTERED))
    roughs = [token_id(s) for s in (ROUGH, ROUGH_TAG, ROUGH_URL)]
    described = [f"registrant's {EVERYTHING}"] * 3
    send("register", cast.producer, registry.functions.register(batch, roughs, [500, 300, 200], described))
    transfer("export", cast.producer, cast.trader, roughs[0], Action.EXPORT, text32(DOCUMENT), text32(CERT_CROSSING))
    send("describe", cast.trader, registry.functions.describe([roughs[0]], [f"holder's {EVERYTHING}"]))
    transfer("sale", cast.trader, cast.manufacturer, roughs[0], Action.SALE)
    children = [token_id(CHILD), token_id(SIBLING)]
    send("split", cast.manufacturer, registry.functions.split(roughs[0], children, [200, 250], [f"cutter's {EVERYTHING}"] * 2))
    transfer("to the lab", cast.manufacturer, cast.lab, children[0], Action.GRADING)
    # report number, centicarats, colour, clarity, cut, lab-grown, document
    report = (text32(REPORT), 200, COLOUR.encode(), CLARITY.encode(), CUT.encode().ljust(16, b"\0"), False, ZERO32)
    send("grade", cast.lab, registry.functions.grade(children[0], report))
    declaration = (text32(DECLARED_MINE), b"BE", False)  # mine, country, lab-grown
    declared = registry.functions.declare(declaration, [token_id(DECLARED)], [150], [f"declarer's {EVERYTHING}"])
    send("declare", cast.manufacturer, declared)
    yield cast
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True


@pytest.fixture
def hostile_page(browser):
    """A page with JavaScript ON, the CSP bypassed, recording every dialog it opens."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, java_script_enabled=True, bypass_csp=True)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def inert(page, response, status: int, *literal: str) -> None:
    """The page answered `status`, runs nothing, holds only the templates' elements and safe links,
    and shows every `literal` text as it was written."""
    assert response.status == status, (page.url, response.status)
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page.wait_for_timeout(50)  # an injected handler would have fired by now
    findings = [f"dialog {message!r}" for message in page.dialogs] + page.evaluate(INSPECT, sorted(TEMPLATE_TAGS))
    assert findings == [], (page.url, findings)
    text = page.inner_text("body")
    for expected in literal:
        assert expected in text, (page.url, expected)


def segment(text: str) -> str:
    return quote(text, safe="")


def test_hostile_text_is_inert_on_stone_pages(hostile, site, hostile_page):
    page, names = hostile_page, hostile.names
    inert(page, page.goto(f"{site}/stone/{segment(CHILD)}"), 200,
          f"Stone {CHILD}", MINE, ROUGH, SIBLING, CERT_CROSSING, f"cutter's {EVERYTHING}", f"Report {REPORT}",
          f"colour {COLOUR}", f"clarity {CLARITY}", f"cut {CUT}",
          *(names[a] for a in (hostile.producer, hostile.trader, hostile.manufacturer, hostile.lab)))  # fmt: skip
    assert "Record complete and consistent" in page.locator(".verdict").first.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "hostile-stone.png"), full_page=True)
    inert(page, page.goto(f"{site}/stone/{segment(ROUGH)}"), 200,
          f"Stone {ROUGH}", CHILD, SIBLING, f"registrant's {EVERYTHING}", CERT_CROSSING, names[hostile.producer])  # fmt: skip
    inert(page, page.goto(f"{site}/stone/{segment(ROUGH_URL)}"), 200, f"Stone {ROUGH_URL}", CERT_REGISTERED, MINE)
    inert(page, page.goto(f"{site}/stone/{segment(DECLARED)}"), 200,
          f"Stone {DECLARED}", DECLARED_MINE, f"declarer's {EVERYTHING}", "Origin declared, not traced")  # fmt: skip


def test_hostile_text_is_inert_on_home_certificate_and_address_pages(hostile, site, hostile_page):
    page, names = hostile_page, hostile.names
    inert(page, page.goto(f"{site}/"), 200, MINE, CHILD, ROUGH, names[hostile.producer], names[hostile.manufacturer])
    inert(page, page.goto(f"{site}/kp/BW/{segment(CERT_REGISTERED)}"), 200,
          CERT_REGISTERED, ROUGH_TAG, ROUGH_URL, "Stones drawn against it (3)",
          names[hostile.kp], names[hostile.trader])  # fmt: skip
    inert(page, page.goto(f"{site}/kp/{segment(CERT_CROSSING)}"), 200, CERT_CROSSING, ROUGH, "Stones drawn against it (1)")
    assert page.url.endswith(f"/kp/{segment(CERT_CROSSING)}")
    for address in (hostile.producer, hostile.kp, hostile.trader, hostile.manufacturer, hostile.lab):
        inert(page, page.goto(f"{site}/address/{address}"), 200, names[address])
    inert(page, page.goto(f"{site}/address/{hostile.producer}"), 200, PRODUCER_PREFIX, RJC_CERTIFICATE, ROUGH_URL)
    # A stone ID full of URL syntax links to its own page.
    with page.expect_navigation() as followed:
        page.click(f"a[href='/stone/{segment(ROUGH_URL)}']")
    inert(page, followed.value, 200, f"Stone {ROUGH_URL}")


def test_hostile_text_is_inert_on_transaction_pages(hostile, site, hostile_page):
    page, names = hostile_page, hostile.names
    shown = {
        "accredit producer": [names[hostile.producer], PRODUCER_PREFIX],
        "certify": [RJC_CERTIFICATE],
        f"certificate {CERT_REGISTERED}": [CERT_REGISTERED],
        "register": [MINE, ROUGH, ROUGH_TAG, ROUGH_URL, f"registrant's {EVERYTHING}", CERT_REGISTERED],
        "export": [DOCUMENT, CERT_CROSSING, ROUGH],
        "describe": [f"holder's {EVERYTHING}"],
        "split": [CHILD, SIBLING, f"cutter's {EVERYTHING}"],
        "grade": [REPORT, COLOUR, CLARITY, CUT],
        "declare": [DECLARED_MINE, DECLARED, f"declarer's {EVERYTHING}"],
    }
    for label, texts in shown.items():
        inert(page, page.goto(f"{site}/tx/{hostile.transactions[label]}"), 200, *texts)


def test_searches_and_error_pages_echo_hostile_input_inertly(hostile, site, hostile_page):
    page = hostile_page
    for query, lands_on in [(ROUGH_URL, f"/stone/{segment(ROUGH_URL)}"), (CERT_REGISTERED, f"/kp/BW/{segment(CERT_REGISTERED)}")]:
        page.goto(f"{site}/")
        page.fill("main input[name=q]", query)
        with page.expect_navigation() as followed:
            page.click("main button[type=submit]")
        assert page.url.endswith(lands_on), (query, page.url)
        inert(page, followed.value, 200, query)
    # Not found: the query is echoed in the message and kept in the search box.
    response = page.goto(f"{site}/search?q={segment(EVERYTHING)}")
    inert(page, response, 404, f"Nothing on this registry matches “{EVERYTHING}”")
    assert page.input_value("header input[name=q]") == EVERYTHING
    for path, status, echoed in [
        (f"/stone/{segment(SCRIPT + ' ' + IMG)}", 400, SCRIPT + " " + IMG),
        (f"/kp/{segment(SCRIPT)}", 404, f"No KP certificate {SCRIPT}"),
        (f"/kp/ZZ/{segment(IMG)}", 400, f"ZZ/{IMG}"),
        (f"/address/{segment(EVERYTHING)}", 400, EVERYTHING),
        (f"/tx/{segment(IMG)}", 400, IMG),
        (f"/nowhere/{segment(SCRIPT)}", 404, f"/nowhere/{SCRIPT}"),
    ]:
        inert(page, page.goto(site + path), status, echoed)
    # The API answers JSON, which a browser never renders as a page.
    api = requests.get(f"{site}/api/stone/{segment(CHILD)}")
    assert api.headers["Content-Type"].startswith("application/json") and api.json()["stone_id"] == CHILD


def test_long_hostile_text_fits_a_phone(hostile, site, browser):
    """Hostile text without spaces (stone IDs, certificate numbers, the command to copy) and long
    names wrap on a 390 px phone: no sideways scrolling."""
    phone = browser.new_page(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    try:
        for path in [f"/stone/{segment(CHILD)}", f"/kp/BW/{segment(CERT_REGISTERED)}", f"/address/{hostile.producer}",
                     f"/tx/{hostile.transactions['register']}", f"/search?q={segment(EVERYTHING)}"]:  # fmt: skip
            phone.goto(site + path)
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1, path
    finally:
        phone.close()
