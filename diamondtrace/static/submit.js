// The "Submit a signed authorization" page (/submit): reads a `transfer --sign-only` file, checks
// it against this explorer's registry and the wallet's chain, asks the registry (eth_call) whether
// it would accept it, then sends transferCustodySigned from the visitor's own wallet. Only EIP-1193
// requests; wallets found by EIP-6963, else the legacy window.ethereum. Every outcome, good or
// bad, ends up in words in #status: nothing fails silently. An ES module (strict by itself).
import {
  Refusal,
  account as connected,
  addressWord,
  isObject,
  onSubmit,
  sameChain,
  sendAndFollow,
  simulate,
  walletForm,
  word,
} from "./wallets.js";

const pasted = document.getElementById("authorization");
const upload = document.getElementById("authorization-file");
const { form, buttons, show, chosen } = walletForm("submit-form", "submit");
// What the explorer knows of its registry: the page carries it, so the script holds no copy.
const registry = form.dataset.registry;
const chainId = BigInt(form.dataset.chainId);
const selector = form.dataset.selector;
const fields = form.dataset.fields.split(" ").map((field) => field.split(":"));

// ---- The file ------------------------------------------------------------------------------

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

function encoded(type, value) {
  if (type === "address") return addressWord(value);
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

async function submit(text, provider, onSent) {
  const auth = readFile(text);
  if (auth.registry !== registry.toLowerCase()) {
    throw new Refusal(`This authorization is for the registry at ${auth.registry}, not this explorer's registry ${registry}: nothing was sent.`);
  }
  if (auth.chainId !== chainId) {
    throw new Refusal(`This authorization is for chain id ${auth.chainId}, but this explorer's registry is on chain id ${chainId}: nothing was sent.`);
  }
  show("working", "Asking your wallet for an account…");
  const account = await connected(provider);
  await sameChain(provider, auth.chainId, "this authorization");
  const transaction = { from: account, to: registry, data: calldata(auth) };
  show("working", "Asking the registry whether it accepts this authorization…");
  await simulate(provider, transaction, "The registry refuses this authorization, so nothing was sent");
  show("working", `Confirm the transaction in your wallet (${account} pays the gas)…`);
  const stone = `/stone/0x${auth.message.tokenId.toString(16)}`;
  const done = (block) => `Done: the stone moved to ${auth.message.to} in block ${block}.`;
  await sendAndFollow(provider, transaction, show, stone, done, onSent);
}

upload.addEventListener("change", async () => {
  const [file] = upload.files;
  if (file) pasted.value = await file.text();
});

onSubmit(form, buttons, show, async (onSent) => {
  if (!pasted.value.trim()) throw new Refusal("Choose the signed file or paste it first.");
  await submit(pasted.value, chosen(), onSent);
});
