// What the explorer's wallet pages share: the visitor's browser wallets (announced by EIP-6963,
// else the legacy window.ethereum), EIP-1193 requests with a rejection said in words, and the one
// status line where every outcome of a page ends up. An ES module: the pages import it.

// A problem the visitor can act on, said in words; anything else is a bug or the wallet's own.
export class Refusal extends Error {}

export const REJECTED = "You rejected the request in your wallet: nothing was sent.";

// Writes `text` (and links, each [label, href]) into `element`, as `outcome`: working, done or
// failed. Text only: nothing a wallet or a file says can become markup.
export function statusLine(element) {
  return (outcome, text, links = []) => {
    element.className = `status ${outcome}`;
    element.dataset.outcome = outcome;
    element.replaceChildren(text);
    for (const [label, href] of links) {
      const link = document.createElement("a");
      link.href = href;
      link.textContent = label;
      element.append(" ", link);
    }
  };
}

// Lists the wallets in `choice` (a <select>) as they announce themselves, and enables `button`
// once there is one; returns the chosen wallet's provider, or null.
export function walletChoice(choice, button) {
  const announced = [];
  const available = () =>
    announced.length ? announced : window.ethereum ? [{ info: { name: "Browser wallet" }, provider: window.ethereum }] : [];

  function list() {
    const found = available();
    choice.replaceChildren(...found.map((wallet, index) => new Option(wallet.info.name, String(index))));
    if (!found.length) choice.append(new Option("No browser wallet found"));
    choice.disabled = found.length < 2;
    button.disabled = !found.length;
  }

  window.addEventListener("eip6963:announceProvider", (event) => {
    const { info, provider } = event.detail || {};
    if (!info || !provider || typeof provider.request !== "function") return;
    if (announced.some((wallet) => wallet.info.uuid === info.uuid)) return;
    announced.push({ info, provider });
    list();
  });
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  list();
  return () => {
    const wallet = available()[Number(choice.value)];
    if (!wallet) throw new Refusal("No browser wallet found: install or unlock one, then reload this page.");
    return wallet.provider;
  };
}

export async function ask(provider, method, params = []) {
  try {
    return await provider.request({ method, params });
  } catch (error) {
    if (error && error.code === 4001) throw new Refusal(REJECTED);
    throw error;
  }
}

// The connected account: the wallet's first.
export async function account(provider) {
  const [first] = await ask(provider, "eth_requestAccounts");
  if (!first) throw new Refusal("Your wallet gave no account: unlock it and try again. Nothing was sent.");
  return first;
}
