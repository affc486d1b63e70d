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

// A wallet page's parts: its form (whose data attributes carry what the explorer knows of its
// registry, so no script holds a copy), its buttons (the first as `button`), the status line and
// the chosen wallet.
export function walletForm(formId, ...buttonIds) {
  const buttons = buttonIds.map((id) => document.getElementById(id));
  return {
    form: document.getElementById(formId),
    button: buttons[0],
    buttons,
    show: statusLine(document.getElementById("status")),
    chosen: walletChoice(document.getElementById("wallet"), buttons),
  };
}

// Lists the wallets in `choice` (a <select>) as they announce themselves, and enables `buttons`
// once there is one; returns the chosen wallet's provider, or null.
function walletChoice(choice, buttons) {
  const announced = [];
  const available = () =>
    announced.length ? announced : window.ethereum ? [{ info: { name: "Browser wallet" }, provider: window.ethereum }] : [];

  function list() {
    const found = available();
    choice.replaceChildren(...found.map((wallet, index) => new Option(wallet.info.name, String(index))));
    if (!found.length) choice.append(new Option("No browser wallet found"));
    choice.disabled = found.length < 2;
    for (const button of buttons) button.disabled = !found.length;
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

// Refuses (in words) a wallet on another chain than the registry's `chainId` (a BigInt).
export async function sameChain(provider, chainId, what) {
  const walletChain = BigInt(await ask(provider, "eth_chainId"));
  if (walletChain !== chainId) {
    throw new Refusal(
      `Your wallet is on chain id ${walletChain}, but ${what} is for chain id ${chainId}: ` +
        `switch your wallet to chain id ${chainId} and try again. Nothing was sent.`,
    );
  }
}

// ---- ABI words -----------------------------------------------------------------------------

export const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
export const word = (number) => number.toString(16).padStart(64, "0");
export const addressWord = (address) => address.slice(2).toLowerCase().padStart(64, "0");

// ---- Simulating, sending, waiting ----------------------------------------------------------

// Revert data somewhere in a wallet's error: wallets nest it differently (MetaMask in
// data.originalError, others in data or data.data).
function revertData(error, depth = 0) {
  if (typeof error === "string") return /^0x[0-9a-fA-F]{8,}$/.test(error) ? error : null;
  if (!isObject(error) && !(error instanceof Error)) return null;
  if (depth > 4) return null;
  for (const key of ["data", "originalError", "error", "cause"]) {
    const found = error[key] === undefined ? null : revertData(error[key], depth + 1);
    if (found) return found;
  }
  return null;
}

async function refusalInWords(data) {
  try {
    const answer = await fetch(`/api/revert/${data}`);
    const body = await answer.json();
    if (body.reason) return body.reason;
  } catch (error) {
    // The explorer did not answer: the error's selector still names it for the command.
  }
  return `error ${data.slice(0, 10)}`;
}

// Asks the registry (eth_call) whether it would accept `transaction`; a refusal becomes
// `${refused}: <the registry's error in words>`.
export async function simulate(provider, transaction, refused) {
  try {
    return await ask(provider, "eth_call", [transaction, "latest"]);
  } catch (error) {
    if (error instanceof Refusal) throw error;
    const data = revertData(error);
    if (!data) throw error;
    throw new Refusal(`${refused}: ${await refusalInWords(data)}`);
  }
}

async function send(provider, transaction) {
  const hash = await ask(provider, "eth_sendTransaction", [transaction]);
  if (typeof hash !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(hash)) throw new Error(`it answered ${JSON.stringify(hash)}, not a transaction hash`);
  return hash;
}

const RECEIPT_WAIT_MS = 120000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The block transaction `hash` was mined in, or null if it is not mined in time.
async function mined(provider, hash) {
  for (const started = Date.now(); Date.now() - started < RECEIPT_WAIT_MS; await sleep(1000)) {
    const receipt = await ask(provider, "eth_getTransactionReceipt", [hash]);
    if (!receipt) continue;
    if (BigInt(receipt.status) !== 1n) {
      throw new Refusal(`Transaction ${hash} was mined in block ${BigInt(receipt.blockNumber)} but failed: the stone did not move.`);
    }
    return BigInt(receipt.blockNumber);
  }
  return null;
}

// Sends `transaction` (`onSent(hash)` once the wallet has), waits for it and says `done(block)`,
// linking the transaction and the stone's page (`stone`, its path).
export async function sendAndFollow(provider, transaction, show, stone, done, onSent) {
  const hash = await send(provider, transaction);
  onSent(hash);
  const links = [["The transaction", `/tx/${hash}`], ["The stone", stone]];
  show("working", `Sent transaction ${hash}; waiting for it to be mined…`, links);
  const block = await mined(provider, hash);
  if (block === null) {
    show("working", `Transaction ${hash} is not mined after ${RECEIPT_WAIT_MS / 1000} s; follow it on its page.`, links);
    return;
  }
  show("done", done(block), links);
}

// Runs `task(onSent, submitter)` when `form` is submitted (by `submitter`, one of `buttons`), the
// buttons disabled meanwhile; whatever fails ends up in words on the status line, saying whether
// a transaction was sent.
export function onSubmit(form, buttons, show, task) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const button of buttons) button.disabled = true;
    let sent = null;
    try {
      const onSent = (hash) => {
        sent = hash;
      };
      await task(onSent, event.submitter);
    } catch (error) {
      const after = sent ? `Transaction ${sent} was sent; follow it on its page.` : "Nothing was sent.";
      const failure = error instanceof Refusal ? error.message : `Your wallet failed: ${(error && error.message) || error}. ${after}`;
      show("failed", failure, sent ? [["The transaction", `/tx/${sent}`]] : []);
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  });
}
