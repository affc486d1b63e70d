// The "Submit a signed authorization" page (/submit): reads a `transfer --sign-only` file, checks
// it against this explorer's registry and the wallet's chain, asks the registry (eth_call) whether
// it would accept it, then sends transferCustodySigned from the visitor's own wallet. Only EIP-1193
// requests; wallets found by EIP-6963, else the legacy window.ethereum. Every outcome, good or
// bad, ends up in words in #status: nothing fails silently. An ES module (strict by itself).
import { Refusal, account as connected, ask, statusLine, walletChoice } from "./wallets.js";

const form = document.getElementById("submit-form");
const pasted = document.getElementById("authorization");
const upload = document.getElementById("authorization-file");
const button = document.getElementById("submit");
const show = statusLine(document.getElementById("status"));
const chosen = walletChoice(document.getElementById("wallet"), button);
// What the explorer knows of its registry: the page carries it, so the script holds no copy.
const registry = form.dataset.registry;
const chainId = BigInt(form.dataset.chainId);
const selector = form.dataset.selector;
const fields = form.dataset.fields.split(" ").map((field) => field.split(":"));
const RECEIPT_WAIT_MS = 120000;
let sent = null; // the hash once the wallet has sent the transaction

// ---- The file ------------------------------------------------------------------------------

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

function uint(value, bits, what) {
  let number = null;
  if (typeof value === "number" && Number.isSafeInteger(value)) number = BigInt(value);
  else if (typeof value === "string" && /^([0-9]+|0x[0-9a-fA-F]+)$/.test(value)) number = BigInt(value);
  if (number === null || number < 0n || number >= 1n << BigInt(bits)) {
    throw new Refusal(`The file's ${what} (${JSON.stringify(value)}) is not a uint${bits}: the file is damaged or altered.`);
  }
  return number;
}

function hex(value, pattern, what, kind) {
  if (typeof value !== "string" || !pattern.test(value)) {
    throw new Refusal(`The file's ${what} (${JSON.stringify(value)}) is not ${kind}: the file is damaged or altered.`);
  }
  return value.toLowerCase();
}

function fieldValue(value, type, what) {
  if (type.startsWith("uint")) return uint(value, Number(type.slice(4)), what);
  if (type === "address") return hex(value, /^0x[0-9a-fA-F]{40}$/, what, "an address");
  if (type === "bytes32") return hex(value, /^0x[0-9a-fA-F]{64}$/, what, "32 bytes of 0x-hex");
  if (typeof value !== "boolean") throw new Refusal(`The file's ${what} must be true or false, not ${JSON.stringify(value)}.`);
  return value;
}

function readFile(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Refusal(`This is not a signed authorization file: it is not JSON (${error.message}).`);
  }
  if (!isObject(data)) throw new Refusal("This is not a signed authorization file: it is not a JSON object.");
  if (!("typedData" in data)) {
    throw new Refusal(
      "types" in data
        ? "This authorization is not signed yet (a `transfer --unsigned` file): its holder signs it first."
        : "This is not a signed authorization file: it has no typedData.",
    );
  }
  const typed = data.typedData;
  if (!isObject(typed) || typed.primaryType !== "CustodyAuthorization" || !isObject(typed.domain) || !isObject(typed.message)) {
    throw new Refusal("This file's typedData is not the registry's CustodyAuthorization (a domain and a message).");
  }
  const missing = fields.filter(([name]) => !(name in typed.message)).map(([name]) => name);
  if (missing.length) throw new Refusal(`The file's authorization lacks ${missing.join(", ")}.`);
  const values = fields.map(([name, type]) => fieldValue(typed.message[name], type, `message.${name}`));
  let signature = hex(data.signature, /^0x([0-9a-fA-F]{2})+$/, "signature", "0x-hex");
  // Hardware wallets write an ECDSA signature's v as 0 or 1; the registry takes 27 or 28
  // (diamondtrace.authorization_files does the same for the command).
  if (signature.length === 132 && ["00", "01"].includes(signature.slice(130))) {
    signature = signature.slice(0, 130) + (27 + Number(signature.slice(130))).toString(16);
  }
  return {
    chainId: uint(typed.domain.chainId, 256, "domain.chainId"),
    registry: hex(typed.domain.verifyingContract, /^0x[0-9a-fA-F]{40}$/, "domain.verifyingContract", "an address"),
    message: Object.fromEntries(fields.map(([name], index) => [name, values[index]])),
    values,
    signature,
  };
}

// ---- The call: transferCustodySigned((static fields...), bytes) ----------------------------

const word = (number) => number.toString(16).padStart(64, "0");

function encoded(type, value) {
  if (type === "address") return value.slice(2).padStart(64, "0");
  if (type === "bytes32") return value.slice(2);
  if (type === "bool") return word(value ? 1n : 0n);
  return word(value);
}

function calldata(auth) {
  // The tuple's fields are all static, so it sits in place; the signature follows the head.
  const head = fields.map(([, type], index) => encoded(type, auth.values[index])).join("");
  const bytes = auth.signature.slice(2);
  const offset = BigInt((fields.length + 1) * 32);
  return selector + head + word(offset) + word(BigInt(bytes.length / 2)) + bytes.padEnd(Math.ceil(bytes.length / 64) * 64, "0");
}

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

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function submit(text, provider) {
  const auth = readFile(text);
  if (auth.registry !== registry.toLowerCase()) {
    throw new Refusal(`This authorization is for the registry at ${auth.registry}, not this explorer's registry ${registry}: nothing was sent.`);
  }
  if (auth.chainId !== chainId) {
    throw new Refusal(`This authorization is for chain id ${auth.chainId}, but this explorer's registry is on chain id ${chainId}: nothing was sent.`);
  }
  show("working", "Asking your wallet for an account…");
  const account = await connected(provider);
  const walletChain = BigInt(await ask(provider, "eth_chainId"));
  if (walletChain !== auth.chainId) {
    throw new Refusal(
      `Your wallet is on chain id ${walletChain}, but this authorization is for chain id ${auth.chainId}: ` +
        `switch your wallet to chain id ${auth.chainId} and submit again. Nothing was sent.`,
    );
  }
  const transaction = { from: account, to: registry, data: calldata(auth) };
  show("working", "Asking the registry whether it accepts this authorization…");
  try {
    await ask(provider, "eth_call", [transaction, "latest"]);
  } catch (error) {
    if (error instanceof Refusal) throw error;
    const data = revertData(error);
    if (!data) throw error;
    throw new Refusal(`The registry refuses this authorization, so nothing was sent: ${await refusalInWords(data)}`);
  }
  show("working", `Confirm the transaction in your wallet (${account} pays the gas)…`);
  const hash = await ask(provider, "eth_sendTransaction", [transaction]);
  if (typeof hash !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(hash)) throw new Error(`it answered ${JSON.stringify(hash)}, not a transaction hash`);
  sent = hash;
  const stone = `/stone/0x${auth.message.tokenId.toString(16)}`;
  const links = [["The transaction", `/tx/${hash}`], ["The stone", stone]];
  show("working", `Sent transaction ${hash}; waiting for it to be mined…`, links);
  for (const started = Date.now(); Date.now() - started < RECEIPT_WAIT_MS; await sleep(1000)) {
    const receipt = await ask(provider, "eth_getTransactionReceipt", [hash]);
    if (!receipt) continue;
    if (BigInt(receipt.status) !== 1n) {
      throw new Refusal(`Transaction ${hash} was mined in block ${BigInt(receipt.blockNumber)} but failed: the stone did not move.`);
    }
    show("done", `Done: the stone moved to ${auth.message.to} in block ${BigInt(receipt.blockNumber)}.`, links);
    return;
  }
  show("working", `Transaction ${hash} is not mined after ${RECEIPT_WAIT_MS / 1000} s; follow it on its page.`, links);
}

upload.addEventListener("change", async () => {
  const [file] = upload.files;
  if (file) pasted.value = await file.text();
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  button.disabled = true;
  sent = null;
  try {
    if (!pasted.value.trim()) throw new Refusal("Choose the signed file or paste it first.");
    await submit(pasted.value, chosen());
  } catch (error) {
    const after = sent ? `Transaction ${sent} was sent; follow it on its page.` : "Nothing was sent.";
    const failure = error instanceof Refusal ? error.message : `Your wallet failed: ${(error && error.message) || error}. ${after}`;
    show("failed", failure, sent ? [["The transaction", `/tx/${sent}`]] : []);
  } finally {
    button.disabled = false;
  }
});
