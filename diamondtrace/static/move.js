// The "Move a stone from your wallet" page (/move/<stone>): the holder's own wallet sends
// transferCustody, as `diamondtrace transfer` does. The document is hashed here (keccak-256, from
// @noble/hashes, served by the explorer from vendor/) and never leaves the browser: only its hash
// goes into the call. Before anything is sent the page checks the wallet's chain and that the
// wallet holds the stone (ownerOf), then asks the registry (eth_call) whether it would accept the
// move. Every outcome ends up in words in #status. An ES module (strict by itself).
import { keccak_256 } from "./vendor/sha3.js";
import * as wallets from "./wallets.js";

const upload = document.getElementById("document");
const hashShown = document.getElementById("document-hash");
const { form, buttons, show, chosen } = wallets.walletForm("move-form", "move", "sign");
// What the explorer knows of its registry and the stone: the page carries it.
const registry = form.dataset.registry;
const chainId = BigInt(form.dataset.chainId);
const stone = form.dataset.stone;
const token = BigInt(form.dataset.token);
const kpPattern = new RegExp(`^(?:${form.dataset.kpPattern})$`);
const ZERO32 = "0".repeat(64);

const hex = (bytes) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");

// keccak-256 of the chosen document's bytes (64 hex digits), or zero without one, as the command.
async function documentHash() {
  const [file] = upload.files;
  if (!file) return ZERO32;
  return hex(keccak_256(new Uint8Array(await file.arrayBuffer())));
}

function recipient() {
  const to = document.getElementById("to").value.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(to)) {
    throw new wallets.Refusal(`The recipient ${JSON.stringify(to)} is not an address (0x and 40 hex digits). Nothing was sent.`);
  }
  return to;
}

// The KP certificate number as the registry's left-aligned bytes32 (model.text32), or zero.
function certificate() {
  const number = document.getElementById("kp").value;
  if (!number) return ZERO32;
  if (!kpPattern.test(number)) {
    throw new wallets.Refusal(`The KP certificate number ${JSON.stringify(number)} must be 1 to 32 printable ASCII characters. Nothing was sent.`);
  }
  return hex(new TextEncoder().encode(number)).padEnd(64, "0");
}

async function holderOf(provider) {
  const answer = await wallets.ask(provider, "eth_call", [{ to: registry, data: form.dataset.ownerOf + wallets.word(token) }, "latest"]);
  return `0x${answer.slice(-40)}`;
}

upload.addEventListener("change", async () => {
  hashShown.textContent = upload.files.length ? `keccak-256 0x${await documentHash()}` : "";
});

// The same move as an authorization the holder signs (eth_signTypedData_v4 of what `transfer
// --unsigned` writes), saved as a `--sign-only` file for someone else to send.
async function signFor(provider, account, move) {
  const typed = JSON.parse(form.dataset.typedData);
  if (typed.message.holder.toLowerCase() !== account.toLowerCase()) {
    throw new wallets.Refusal("The stone moved since this page was built: reload it and sign again. Nothing was signed.");
  }
  const deadline = Math.floor(Date.now() / 1000) + Number(form.dataset.validity);
  Object.assign(typed.message, { ...move, action: String(move.action), deadline: String(deadline) });
  show("working", "Sign the authorization in your wallet…");
  const signature = await wallets.ask(provider, "eth_signTypedData_v4", [account, JSON.stringify(typed)]);
  if (typeof signature !== "string" || !/^0x([0-9a-fA-F]{2})+$/.test(signature)) {
    throw new Error(`it answered ${JSON.stringify(signature)}, not a signature`);
  }
  const name = `${stone}-authorization.json`;
  const file = new Blob([`${JSON.stringify({ typedData: typed, signature }, null, 2)}\n`], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(file);
  link.download = name;
  link.click();
  const sendIt = `Whoever sends it runs \`diamondtrace broadcast ${name}\` or submits it on`;
  show("done", `Signed: your browser saved ${name}; nothing was sent. ${sendIt}`, [["/submit", "/submit"]]);
}

wallets.onSubmit(form, buttons, show, async (onSent, submitter) => {
  const signing = submitter && submitter.id === "sign";
  const nothing = signing ? "nothing was signed" : "nothing was sent";
  const to = recipient();
  const kp = certificate();
  const warranty = document.getElementById("warranty").checked;
  const action = BigInt(document.getElementById("action").value);
  const provider = chosen();
  show("working", "Asking your wallet for an account…");
  const account = await wallets.account(provider);
  await wallets.sameChain(provider, chainId, "this explorer's registry");
  const holder = await holderOf(provider);
  if (holder.toLowerCase() !== account.toLowerCase()) {
    throw new wallets.Refusal(`You don't hold this stone (its holder is ${holder}): your wallet's account is ${account}. Nothing was sent.`);
  }
  const document_ = await documentHash();
  // transferCustody(address, uint256, uint8, bytes32, bytes32, bool): all static, one word each.
  const words = [wallets.addressWord(to), wallets.word(token), wallets.word(action), document_, kp, wallets.word(warranty ? 1n : 0n)];
  const data = form.dataset.selector + words.join("");
  const transaction = { from: account, to: registry, data };
  show("working", "Asking the registry whether it accepts this move…");
  // An authorization is held to every rule of transferCustody: the same question answers both.
  await wallets.simulate(provider, transaction, `The registry refuses this move, so ${nothing}`);
  if (signing) {
    await signFor(provider, account, { to, action, document: `0x${document_}`, certificate: `0x${kp}`, warranty });
    return;
  }
  show("working", "Confirm the transaction in your wallet…");
  const done = (block) => `Done: ${stone} moved to ${to} in block ${block} (document 0x${document_}).`;
  await wallets.sendAndFollow(provider, transaction, show, `/stone/0x${token.toString(16)}`, done, onSent);
});
