// Signs a file `diamondtrace transfer --unsigned` wrote, or recovers the signer of one `--sign-only`
// wrote, with a wallet library nobody here wrote: MetaMask's own signer (@metamask/eth-sig-util,
// what eth_signTypedData_v4 does), ethers 6 or viem 2. Each is given the file's typed data as that
// library's users pass it.
//
//   node tests/wallets/sign.mjs sign CLIENT UNSIGNED.json   prints the signature (0x...); the key is
//                                                            read from $DIAMONDTRACE_SIGNER_KEY, never
//                                                            from the command line
//   node tests/wallets/sign.mjs recover CLIENT SIGNED.json  prints {"recovered": ADDRESS, "verified": BOOL}
//                                                            (verified: the client's own check that the
//                                                            message's holder signed it)
// CLIENT: eth-sig-util, ethers or viem.

import { readFileSync } from 'node:fs';

import { recoverTypedSignature, signTypedData, SignTypedDataVersion } from '@metamask/eth-sig-util';
import { Wallet, verifyTypedData as ethersVerifyTypedData } from 'ethers';
import { recoverTypedDataAddress, verifyTypedData as viemVerifyTypedData } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

// ethers derives the domain's type itself and refuses a types object that names it.
function withoutDomainType(types) {
  const { EIP712Domain: _, ...rest } = types;
  return rest;
}

const signers = {
  'eth-sig-util': async (typed, key) =>
    signTypedData({ privateKey: Buffer.from(key.slice(2), 'hex'), data: typed, version: SignTypedDataVersion.V4 }),
  ethers: async (typed, key) => new Wallet(key).signTypedData(typed.domain, withoutDomainType(typed.types), typed.message),
  viem: async (typed, key) => privateKeyToAccount(key).signTypedData(typed),
};

const recoverers = {
  'eth-sig-util': async (typed, signature) => {
    const recovered = recoverTypedSignature({ data: typed, signature, version: SignTypedDataVersion.V4 });
    return { recovered, verified: recovered.toLowerCase() === typed.message.holder.toLowerCase() };
  },
  ethers: async (typed, signature) => {
    const recovered = ethersVerifyTypedData(typed.domain, withoutDomainType(typed.types), typed.message, signature);
    return { recovered, verified: recovered === typed.message.holder };
  },
  viem: async (typed, signature) => ({
    recovered: await recoverTypedDataAddress({ ...typed, signature }),
    verified: await viemVerifyTypedData({ ...typed, address: typed.message.holder, signature }),
  }),
};

const [mode, client, path] = process.argv.slice(2);
const chosen = { sign: signers, recover: recoverers }[mode]?.[client];
if (!chosen || !path) {
  console.error('usage: node sign.mjs sign|recover eth-sig-util|ethers|viem FILE');
  process.exit(2);
}
const file = JSON.parse(readFileSync(path, 'utf8'));
if (mode === 'sign') {
  const key = process.env.DIAMONDTRACE_SIGNER_KEY;
  if (!key) {
    console.error('set DIAMONDTRACE_SIGNER_KEY to the signing key (0x...)');
    process.exit(2);
  }
  const { description: _, ...typed } = file;
  console.log(await chosen(typed, key));
} else {
  console.log(JSON.stringify(await chosen(file.typedData, file.signature)));
}
