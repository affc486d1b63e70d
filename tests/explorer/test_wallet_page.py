"""The wallet pages ("Submit a signed authorization", "Your stones and profile") in Chromium with
JavaScript on, reaching a test wallet injected into the page: an EIP-1193 provider announced by
EIP-6963 (or set as window.ethereum), backed by a local key and the demo's chain. Every request
the page makes goes to the real chain (eth_sendTransaction is signed here with eth-account and sent
raw); the chain is checked after."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from eth_account import Account
from explorer_support import SCREENSHOTS, dt
from playwright.sync_api import expect

from diamondtrace.artifacts import custom_errors
from diamondtrace.demo import CAST
from diamondtrace.model import token_id
from diamondtrace.wallet import dev_account

# The demo's Antwerp trader holds its parcel's rough stones; a rough stone stays in Belgium without a
# KP certificate, so it goes to the one other participant accredited there. The consumer relays.
TRADER, RECIPIENT, RELAYER = CAST["trader"][0], CAST["kp_be"][0], 9
# The page's wallet: requests go to the test's Python side (exposed as __testWallet), which answers
# {result} or {error} as a JSON-RPC node would; an error becomes the EIP-1193 error a wallet throws.
PROVIDER = """
(() => {
  const provider = {
    async request({ method, params }) {
      const answer = await window.__testWallet(method, params || []);
      if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
      return answer.result;
    },
    on() {},
    removeListener() {},
  };
  if (window.__LEGACY__) {
    window.ethereum = provider;
    return;
  }
  const info = Object.freeze({ uuid: "5b0c9f2e-4e7a-4b8e-9a55-7d0c3b1f2a10", name: "Test Wallet", rdns: "org.diamondtrace.test",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E" });
  const announce = () =>
    window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
"""


@dataclass
class Wallet:
    """The test wallet's Python side: one dev account, the chain it claims, the requests it was asked."""

    rpc_url: str
    index: int = RELAYER
    chain_id: int | None = None  # None: the chain's own
    reject: frozenset[str] = frozenset()
    asked: list[str] = field(default_factory=list)
    params: list[list[Any]] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)

    def request(self, method: str, params: list[Any]) -> dict[str, Any]:
        self.asked.append(method)
        self.params.append(params)
        account = dev_account(self.index)
        if method in self.reject:
            return {"error": {"code": 4001, "message": "User rejected the request."}}
        if method in ("eth_requestAccounts", "eth_accounts"):
            return {"result": [account.address]}
        if method == "eth_chainId" and self.chain_id is not None:
            return {"result": hex(self.chain_id)}
        if method == "eth_sendTransaction":
            return self._send(account, params[0])
        if method == "eth_signTypedData_v4":  # as MetaMask: the account, then the typed data as a JSON string
            assert params[0].lower() == account.address.lower()
            signed = Account.sign_typed_data(account.key, full_message=json.loads(params[1]))
            return {"result": "0x" + bytes(signed.signature).hex()}
        return self.rpc(method, params)

    def rpc(self, method: str, params: list[Any]) -> dict[str, Any]:
        reply = requests.post(self.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=60)
        return reply.json()

    def _send(self, account, tx: dict[str, Any]) -> dict[str, Any]:
        assert tx["from"].lower() == account.address.lower()
        call = {"from": account.address, "to": tx["to"], "data": tx["data"]}
        transaction = {
            **call,
            "chainId": int(self.rpc("eth_chainId", [])["result"], 16),
            "nonce": int(self.rpc("eth_getTransactionCount", [account.address, "pending"])["result"], 16),
            "gas": int(self.rpc("eth_estimateGas", [call])["result"], 16) * 2,
            "gasPrice": int(self.rpc("eth_gasPrice", [])["result"], 16),
        }
        raw = account.sign_transaction(transaction).raw_transaction
        answer = self.rpc("eth_sendRawTransaction", ["0x" + raw.hex()])
        self.sent.append(answer.get("result"))
        return answer


def wallet_page(browser, site: str, wallet: Wallet, legacy: bool = False, path: str = "/submit", seen: list | None = None):
    """The page at `path` with the test wallet; `seen` collects every request the page makes."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    if seen is not None:
        page.on("request", lambda request: seen.append(request))
    page.on("dialog", lambda dialog: pytest.fail(f"the page opened a dialog: {dialog.message}"))
    page.expose_function("__testWallet", wallet.request)
    page.add_init_script(("window.__LEGACY__ = true;" if legacy else "") + PROVIDER)
    page.goto(site + path)
    return page


def outcome(page) -> tuple[str, str]:
    """Waits for the page to finish (done or failed) and returns the outcome and its words."""
    page.wait_for_selector("#status[data-outcome=done], #status[data-outcome=failed]", timeout=60_000)
    return page.get_attribute("#status", "data-outcome"), page.inner_text("#status")


def signed(demo, tmp_path, number: int, to: str) -> tuple[str, Any]:
    """The stone BW-JW-<run>-0000<number> (the trader's), and the file `transfer --sign-only` wrote
    authorizing its move to `to`."""
    stone = f"BW-JW-{demo.run}-{number:05d}"
    path = tmp_path / f"{stone}.json"
    assert dt(demo, "transfer", stone, "--to", to, "--sign-only", str(path), "--dev-account", str(TRADER)) == 0
    return stone, path


def test_a_file_signed_by_the_command_moves_the_stone_from_the_visitors_wallet(demo, site, api, browser, tmp_path):
    recipient = dev_account(RECIPIENT).address
    stone, path = signed(demo, tmp_path, 1, recipient)
    trader = requests.get(f"{api}/{stone}").json()["holder"]
    wallet = Wallet(demo.rpc_url)
    page = wallet_page(browser, site, wallet)
    assert page.inner_text("#wallet") == "Test Wallet"  # found by EIP-6963
    page.set_input_files("#authorization-file", str(path))  # uploaded
    # expect() polls from Playwright's own script: a string predicate would be `eval`ed, which the page's CSP refuses.
    expect(page.locator("#authorization")).to_have_value(re.compile("typedData"))
    page.click("#submit")
    result, words = outcome(page)
    assert result == "done", words
    assert f"the stone moved to {recipient.lower()}" in words
    # The chain: the stone is the recipient's, moved by the wallet's transaction, relayed.
    report = requests.get(f"{api}/{stone}").json()
    assert report["holder"] == recipient and report["custody"][-1]["from"] == trader
    assert wallet.asked[:3] == ["eth_requestAccounts", "eth_chainId", "eth_call"] and len(wallet.sent) == 1
    assert report["custody"][-1]["transaction"] == wallet.sent[0]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "submit-done.png"), full_page=True)
    # The page links to the transaction, whose page shows the relayed call.
    page.click("#status a:text('The transaction')")
    assert page.url.endswith(f"/tx/{wallet.sent[0]}") and "transferCustodySigned" in page.inner_text("main")
    page.context.close()


def test_a_pasted_file_moves_the_stone_through_window_ethereum(demo, site, api, browser, tmp_path):
    """No EIP-6963 announcement: the page falls back to the legacy window.ethereum."""
    recipient = dev_account(RECIPIENT).address
    stone, path = signed(demo, tmp_path, 2, recipient)
    wallet = Wallet(demo.rpc_url)
    page = wallet_page(browser, site, wallet, legacy=True)
    assert page.inner_text("#wallet") == "Browser wallet"
    page.fill("#authorization", path.read_text())
    page.click("#submit")
    result, words = outcome(page)
    assert result == "done", words
    assert requests.get(f"{api}/{stone}").json()["holder"] == recipient
    links = page.eval_on_selector_all("#status a", "links => links.map(a => a.getAttribute('href'))")
    assert links == [f"/tx/{wallet.sent[0]}", f"/stone/{hex(token_id(stone))}"]
    page.click("#status a:text('The stone')")
    assert stone in page.inner_text("h1") and recipient in page.inner_text("main")
    page.context.close()


def test_a_wallet_on_another_chain_is_told_so_and_nothing_is_sent(demo, site, api, browser, tmp_path):
    stone, path = signed(demo, tmp_path, 3, dev_account(RECIPIENT).address)
    before = requests.get(f"{api}/{stone}").json()["holder"]
    wallet = Wallet(demo.rpc_url, chain_id=1)
    page = wallet_page(browser, site, wallet)
    page.fill("#authorization", path.read_text())
    page.click("#submit")
    result, words = outcome(page)
    assert result == "failed"
    assert "Your wallet is on chain id 1, but this authorization is for chain id 31337" in words and "Nothing was sent" in words
    assert "eth_sendTransaction" not in wallet.asked and "eth_call" not in wallet.asked
    assert requests.get(f"{api}/{stone}").json()["holder"] == before
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "submit-wrong-chain.png"), full_page=True)
    page.context.close()


@pytest.mark.parametrize("rejected", ["eth_requestAccounts", "eth_sendTransaction"])
def test_a_request_rejected_in_the_wallet_is_said_plainly(demo, site, api, browser, tmp_path, rejected):
    stone, path = signed(demo, tmp_path, 4 if rejected == "eth_requestAccounts" else 5, dev_account(RECIPIENT).address)
    before = requests.get(f"{api}/{stone}").json()["holder"]
    wallet = Wallet(demo.rpc_url, reject=frozenset({rejected}))
    page = wallet_page(browser, site, wallet)
    page.fill("#authorization", path.read_text())
    page.click("#submit")
    assert outcome(page) == ("failed", "You rejected the request in your wallet: nothing was sent.")
    assert wallet.asked[-1] == rejected and wallet.sent == []
    assert requests.get(f"{api}/{stone}").json()["holder"] == before
    page.context.close()


def _altered(text: str) -> str:
    data = json.loads(text)
    data["typedData"]["message"]["to"] = dev_account(RELAYER).address  # someone else than the holder signed for
    return json.dumps(data)


def _other_registry(text: str) -> str:
    data = json.loads(text)
    data["typedData"]["domain"]["verifyingContract"] = "0x" + "ab" * 20
    return json.dumps(data)


def _damaged(text: str) -> str:
    data = json.loads(text)
    data["typedData"]["message"]["nonce"] = "-1"
    return json.dumps(data)


@pytest.mark.parametrize(
    "change, says, simulated",
    [
        (_altered, r"The registry refuses this authorization, so nothing was sent: \w+\(", True),
        (lambda text: text[:-20], "This is not a signed authorization file: it is not JSON", False),
        (lambda text: json.dumps(json.loads(text)["typedData"]), "This authorization is not signed yet", False),
        (_other_registry, "This authorization is for the registry at 0xabab", False),
        (_damaged, re.escape('The file\'s message.nonce ("-1") is not a uint256'), False),
    ],
    ids=["altered", "not-json", "unsigned", "other-registry", "damaged"],
)
def test_a_bad_file_is_refused_in_words_and_nothing_is_sent(demo, site, api, browser, tmp_path, change, says, simulated):
    stone, path = signed(demo, tmp_path, 6, dev_account(RECIPIENT).address)
    before = requests.get(f"{api}/{stone}").json()["holder"]
    wallet = Wallet(demo.rpc_url)
    page = wallet_page(browser, site, wallet)
    page.fill("#authorization", change(path.read_text()))
    page.click("#submit")
    result, words = outcome(page)
    assert result == "failed" and re.search(says, words), words
    assert ("eth_call" in wallet.asked) == simulated and "eth_sendTransaction" not in wallet.asked
    assert requests.get(f"{api}/{stone}").json()["holder"] == before
    page.context.close()


def test_a_move_the_registry_refuses_is_named_before_sending(demo, site, api, browser, tmp_path):
    """Validly signed, but the rough stone would cross from Belgium to the US without a KP
    certificate: the registry's own refusal, in its words, from the simulation."""
    stone, path = signed(demo, tmp_path, 7, dt_address(demo, "retailer"))
    wallet = Wallet(demo.rpc_url)
    page = wallet_page(browser, site, wallet)
    page.fill("#authorization", path.read_text())
    page.click("#submit")
    result, words = outcome(page)
    assert result == "failed"
    assert f"CrossBorderWithoutCertificate(tokenId={stone}, fromCountry=BE, toCountry=US)" in words
    assert "eth_sendTransaction" not in wallet.asked
    page.context.close()


def dt_address(demo, who: str) -> str:
    return dev_account(CAST[who][0]).address


def test_the_wallet_page_alone_runs_a_script_and_says_so_without_javascript(demo, site, page):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(f"{site}/submit")  # the shared page fixture: JavaScript off
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "unsafe" not in policy
    assert requested == [f"{site}/submit", f"{site}/static/explorer.css"]  # a browser without JavaScript skips the script
    assert "This page needs JavaScript" in page.inner_text("main") and page.is_disabled("#submit")
    for path in ["/", f"/stone/{demo.consumer_stone}", f"/address/{dt_address(demo, 'trader')}"]:
        assert "script-src" not in requests.get(site + path).headers["Content-Security-Policy"], path
    for script in ["submit.js", "wallets.js"]:
        served = requests.get(f"{site}/static/{script}")
        assert served.status_code == 200 and served.headers["Content-Type"].startswith("text/javascript"), script
    assert 'from "./wallets.js"' in requests.get(f"{site}/static/submit.js").text


def test_the_registrys_refusals_in_words_for_the_page(site):
    """What the page shows after a simulation: the command's words for the revert data, a clear
    answer for data that is not what it claims."""
    (crossing,) = [selector for selector, error in custom_errors().items() if error.name == "CrossBorderWithoutCertificate"]
    truncated = requests.get(f"{site}/api/revert/0x{crossing.hex()}00")
    assert truncated.status_code == 400 and "does not decode" in truncated.json()["error"]
    assert requests.get(f"{site}/api/revert/0x12345678").json() == {"reason": "unknown error 0x12345678"}
    assert requests.get(f"{site}/api/revert/0xzz").status_code == 404


def test_connecting_the_wallet_opens_the_accounts_stones_and_profile(demo, site, browser):
    manufacturer = CAST["manufacturer"][0]
    wallet = Wallet(demo.rpc_url, index=manufacturer)
    page = wallet_page(browser, site, wallet, path="/wallet")
    page.click("#connect")
    page.wait_for_url(f"**/address/{dev_account(manufacturer).address}")
    assert "Surat Diamond Works" in page.inner_text("h1")
    assert f"IN-SRT-{demo.run}-2" in page.locator("section", has_text="Holds now").inner_text()
    assert wallet.asked == ["eth_requestAccounts"]  # connecting reads the address, nothing more
    page.context.close()


def test_connecting_rejected_or_without_a_wallet_is_said_plainly(demo, site, browser):
    wallet = Wallet(demo.rpc_url, reject=frozenset({"eth_requestAccounts"}))
    page = wallet_page(browser, site, wallet, path="/wallet")
    page.click("#connect")
    assert outcome(page) == ("failed", "You rejected the request in your wallet: nothing was sent.")
    assert page.url == f"{site}/wallet"
    page.context.close()
    context = browser.new_context()
    bare = context.new_page()
    requested = []
    bare.on("request", lambda request: requested.append(request.url))
    bare.goto(f"{site}/wallet")
    expect(bare.locator("#wallet")).to_have_value("No browser wallet found")
    assert bare.is_disabled("#connect")
    # The page's own script and the module it shares with /submit, from the explorer, and nothing else.
    scripts = [f"{site}/static/wallet.js", f"{site}/static/wallets.js"]
    assert requested == [f"{site}/wallet", f"{site}/static/explorer.css", *scripts]
    context.close()
