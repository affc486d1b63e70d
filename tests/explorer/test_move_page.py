"""The "Move a stone from your wallet" page (/move/<stone>) in Chromium, with the test wallet of
test_wallet_page.py: the holder's wallet sends transferCustody with a document hashed in the
browser by the vendored @noble/hashes; the chain is checked after."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from eth_utils import keccak
from explorer_support import SCREENSHOTS, dt
from test_wallet_page import RECIPIENT, RELAYER, TRADER, Wallet, dt_address, outcome, wallet_page

from diamondtrace.wallet import dev_account

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ["sha3.js", "_u64.js", "utils.js", "LICENSE"]


def test_the_vendored_keccak_is_node_modules_own_and_self_contained():
    """The shipped copy equals the locked npm package byte for byte (so it cannot drift), and
    sha3.js imports nothing but the siblings shipped with it."""
    for name in VENDORED:
        shipped = ROOT / "diamondtrace/static/vendor" / name
        assert shipped.read_bytes() == (ROOT / "node_modules/@noble/hashes" / name).read_bytes(), name
    for name in VENDORED[:3]:
        text = (ROOT / "diamondtrace/static/vendor" / name).read_text()
        imported = re.findall(r'^(?:import|export)[^;]*? from "([^"]+)"', text, re.MULTILINE | re.DOTALL)
        assert all(path.removeprefix("./") in VENDORED for path in imported), (name, imported)


def _filled(browser, site, wallet, stone, to, document: Path | None = None, kp: str = "", warranty: bool = False):
    """/move/<stone> with its form filled in; returns the page and the requests it made."""
    requests_made: list = []
    page = wallet_page(browser, site, wallet, path=f"/move/{stone}", seen=requests_made)
    page.fill("#to", to)
    page.select_option("#action", label="sale")
    if kp:
        page.fill("#kp", kp)
    if warranty:
        page.check("#warranty")
    if document:
        page.set_input_files("#document", str(document))
        page.wait_for_selector("#document-hash:has-text('keccak-256 0x')")
    return page, requests_made


def _move(*args, **kwargs):
    page, requests_made = _filled(*args, **kwargs)
    page.click("#move")
    return page, requests_made


def test_the_holder_moves_its_stone_with_a_document_hashed_in_the_browser(demo, site, api, browser, tmp_path):
    stone = f"BW-JW-{demo.run}-00010"
    recipient = dev_account(RECIPIENT).address
    content = b"Invoice Antwerp -> Antwerp\n" + bytes(range(256)) * 40  # binary, several kB
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(content)
    wallet = Wallet(demo.rpc_url, index=TRADER)
    # The stone page (no script of its own) links to its move page.
    stone_page = requests.get(f"{site}/stone/{stone}").text
    assert f'href="/move/{stone}"' in stone_page
    page, made = _move(browser, site, wallet, stone, recipient, document=invoice, warranty=True)
    result, words = outcome(page)
    assert result == "done", words
    expected = "0x" + keccak(content).hex()
    assert page.inner_text("#document-hash") == f"keccak-256 {expected}"
    record = requests.get(f"{api}/{stone}").json()
    assert record["holder"] == recipient
    last = record["custody"][-1]
    assert last["document"] == expected and last["warranty"] is True and last["action"] == "sale"
    assert last["from"] == dev_account(TRADER).address and last["transaction"] == wallet.sent[0]
    assert wallet.asked == ["eth_requestAccounts", "eth_chainId", "eth_call", "eth_call", "eth_sendTransaction"] + [
        "eth_getTransactionReceipt"
    ] * (len(wallet.asked) - 5)
    # The document never left the browser: the explorer was only asked GETs without a body (the
    # page, its scripts, the vendored keccak), and the wallet's requests carry its hash, not its bytes.
    assert all(r.method == "GET" and r.post_data is None for r in made)
    assert f"{site}/static/vendor/sha3.js" in [r.url for r in made]
    assert content[:64].hex() not in repr(wallet.params) and expected[2:] in repr(wallet.params)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "move-done.png"), full_page=True)
    page.click("#status a:text('The stone')")
    assert stone in page.inner_text("h1") and recipient in page.inner_text("main")
    page.context.close()


def test_the_holder_signs_for_someone_else_and_broadcast_sends_the_downloaded_file(demo, site, api, browser, tmp_path):
    stone = f"BW-JW-{demo.run}-00014"
    recipient = dev_account(RECIPIENT).address
    content = b"Invoice for a relayed move\n" + bytes(range(256)) * 3
    invoice = tmp_path / "invoice.bin"
    invoice.write_bytes(content)
    wallet = Wallet(demo.rpc_url, index=TRADER)
    page, made = _filled(browser, site, wallet, stone, recipient, document=invoice, warranty=True)
    with page.expect_download(timeout=60_000) as downloading:
        page.click("#sign")
        result, words = outcome(page)
        assert result == "done", words  # here: a failure would otherwise show as a missing download
    assert f"diamondtrace broadcast {stone}-authorization.json" in words, words
    download = downloading.value
    assert download.suggested_filename == f"{stone}-authorization.json"
    signed = tmp_path / download.suggested_filename
    download.save_as(signed)
    # Signed, not sent: the wallet signed once and sent nothing, the document left no request.
    assert "eth_signTypedData_v4" in wallet.asked and "eth_sendTransaction" not in wallet.asked
    assert all(r.method == "GET" and r.post_data is None for r in made)
    assert content[:64].hex() not in repr(wallet.params)
    # The command takes the file as its own --sign-only file and a relayer sends it.
    assert dt(demo, "broadcast", str(signed), "--dev-account", str(RELAYER)) == 0
    record = requests.get(f"{api}/{stone}").json()
    last = record["custody"][-1]
    assert record["holder"] == recipient and last["from"] == dev_account(TRADER).address
    assert last["document"] == "0x" + keccak(content).hex() and last["warranty"] is True and last["action"] == "sale"
    page.context.close()


def test_a_wallet_that_does_not_hold_the_stone_is_told_so_and_nothing_is_sent(demo, site, api, browser):
    stone = f"BW-JW-{demo.run}-00011"
    holder = requests.get(f"{api}/{stone}").json()["holder"]
    wallet = Wallet(demo.rpc_url)  # the relayer: holds nothing
    page, _ = _move(browser, site, wallet, stone, dev_account(RECIPIENT).address)
    result, words = outcome(page)
    assert result == "failed"
    assert f"You don't hold this stone (its holder is {holder.lower()})" in words and "Nothing was sent" in words
    assert wallet.asked == ["eth_requestAccounts", "eth_chainId", "eth_call"] and wallet.sent == []
    assert requests.get(f"{api}/{stone}").json()["holder"] == holder
    page.context.close()


def test_a_move_the_registry_refuses_is_named_and_nothing_is_sent(demo, site, api, browser):
    """The rough stone would cross from Belgium to the US without a KP certificate."""
    stone = f"BW-JW-{demo.run}-00012"
    wallet = Wallet(demo.rpc_url, index=TRADER)
    page, _ = _move(browser, site, wallet, stone, dt_address(demo, "retailer"))
    result, words = outcome(page)
    assert result == "failed"
    assert words.startswith("The registry refuses this move, so nothing was sent: ")
    assert f"CrossBorderWithoutCertificate(tokenId={stone}, fromCountry=BE, toCountry=US)" in words
    assert "eth_sendTransaction" not in wallet.asked
    # Signing the same move for someone else to send is refused alike, before the wallet signs.
    page.click("#sign")
    page.wait_for_selector("#status:has-text('nothing was signed')", timeout=60_000)
    assert "CrossBorderWithoutCertificate" in page.inner_text("#status") and "eth_signTypedData_v4" not in wallet.asked
    assert requests.get(f"{api}/{stone}").json()["holder"] == dev_account(TRADER).address
    page.context.close()


def test_a_wallet_on_another_chain_or_a_bad_kp_number_is_said_plainly(demo, site, browser):
    stone = f"BW-JW-{demo.run}-00013"
    wallet = Wallet(demo.rpc_url, index=TRADER, chain_id=1)
    page, _ = _move(browser, site, wallet, stone, dev_account(RECIPIENT).address)
    result, words = outcome(page)
    assert result == "failed" and "Your wallet is on chain id 1, but this explorer's registry is for chain id 31337" in words
    assert wallet.asked == ["eth_requestAccounts", "eth_chainId"]
    page.context.close()
    wallet = Wallet(demo.rpc_url, index=TRADER)
    page, _ = _move(browser, site, wallet, stone, dev_account(RECIPIENT).address, kp=" KP-BE")
    assert outcome(page) == (
        "failed",
        'The KP certificate number " KP-BE" must be 1 to 32 printable ASCII characters. Nothing was sent.',
    )
    assert wallet.asked == []
    page.context.close()


def test_the_move_page_alone_loads_the_vendored_keccak(demo, site):
    policy = requests.get(f"{site}/move/BW-JW-{demo.run}-00013").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert requests.get(f"{site}/static/vendor/sha3.js").headers["Content-Type"].startswith("text/javascript")
    assert requests.get(f"{site}/static/vendor/%2e%2e/move.js").status_code == 404
    for path in ["/submit", "/wallet"]:
        assert "vendor" not in requests.get(site + path).text
    assert requests.get(f"{site}/move/no-such-stone").status_code == 404
