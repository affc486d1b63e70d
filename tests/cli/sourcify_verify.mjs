// Verifies the bundles `diamondtrace export-verification` wrote the way Sourcify itself does, with
// its own library (@ethereum-sourcify/lib-sourcify): for each contracts/full_match/<chainId>/<address>/
// folder, the metadata and sources are checked and turned into a compilation, recompiled, and
// matched against the code the chain holds at the address (and, given its deployment
// transaction, against the code that transaction sent). The compiler is the project's own npm solc.
//
//   node sourcify_verify.mjs RPC_URL CHAIN_ID OUT_DIR [TRANSACTIONS.json]
//
// TRANSACTIONS.json: {"<address>": "<deployment transaction hash>", ...} (lib-sourcify then also
// matches the creation code). Prints one JSON object: address -> {contract, runtimeMatch,
// creationMatch, error}; a match is "perfect", "partial" or null.

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

import {
  setLibSourcifyLogger,
  SolidityMetadataContract,
  SourcifyChain,
  Verification,
} from '@ethereum-sourcify/lib-sourcify';

// The library's progress (what it fetched, compiled, matched) to stderr: stdout is the result alone.
setLibSourcifyLogger({
  logLevel: 2, // winston's info
  log(level, message, metadata) {
    if (level <= this.logLevel) console.error(message, metadata ? JSON.stringify(metadata) : '');
  },
  setLevel(level) {
    this.logLevel = level;
  },
});

const require = createRequire(import.meta.url);
const solc = require('solc');

// lib-sourcify's ISolidityCompiler: it asks for a version by its long name (0.8.30+commit.73712a01);
// the npm solc is one build of one version, so any other version is refused, not compiled.
const compiler = {
  async compile(version, input) {
    if (!solc.version().startsWith(version)) {
      throw new Error(`solc ${version} asked for; the project's npm solc is ${solc.version()}`);
    }
    const output = JSON.parse(solc.compile(JSON.stringify(input)));
    const errors = (output.errors || []).filter((e) => e.severity === 'error');
    if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
    return output;
  },
};

function filesUnder(folder) {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

const [rpcUrl, chainId, outDir, transactionsFile] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node sourcify_verify.mjs RPC_URL CHAIN_ID OUT_DIR [TRANSACTIONS.json]');
  process.exit(2);
}
const transactions = transactionsFile ? JSON.parse(readFileSync(transactionsFile, 'utf8')) : {};
const chain = new SourcifyChain({ name: 'local', chainId: Number(chainId), rpcs: [{ rpc: rpcUrl }], supported: true });
const matched = {};
const bundles = join(outDir, 'contracts', 'full_match', chainId);
for (const address of readdirSync(bundles)) {
  const folder = join(bundles, address);
  const metadata = JSON.parse(readFileSync(join(folder, 'metadata.json'), 'utf8'));
  const sourcesDir = join(folder, 'sources');
  const sources = filesUnder(sourcesDir).map((path) => ({ path: relative(sourcesDir, path), content: readFileSync(path, 'utf8') }));
  const [contract] = Object.values(metadata.settings.compilationTarget);
  try {
    const compilation = await new SolidityMetadataContract(metadata, sources).createCompilation(compiler);
    const verification = new Verification(compilation, chain, address, transactions[address]);
    await verification.verify();
    matched[address] = { contract, ...verification.status, error: null };
  } catch (error) {
    matched[address] = { contract, runtimeMatch: null, creationMatch: null, error: error.code || String(error) };
  }
}
console.log(JSON.stringify(matched));
