#!/usr/bin/env node
// The pinned npm `solc` (the compiler built to WebAssembly) behind the command-line surface that
// py-solc-x and brownie use: `--version` and `--standard-json` (JSON on stdin, JSON on stdout).
// Native solc comes from a download host that many networks cannot reach; npm is reachable.
'use strict';

const fs = require('fs');
const path = require('path');

const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));

const USAGE = `solc (npm solc ${solc.version()} bridge)
Usage: solc --version | solc --standard-json [--base-path PATH] [--include-path PATH] [--allow-paths PATHS]
Options:
  --version          Show version and exit.
  --help             Show this help and exit.
  --standard-json    Standard JSON input on stdin, standard JSON output on stdout.
  --base-path PATH   Root of the source tree for relative imports.
  --include-path PATH  Extra root for imports (repeatable).
  --allow-paths PATHS  Comma-separated directories imports may be read from.
`;

function parseArgs(argv) {
  const opts = { standardJson: false, basePath: null, includePaths: [], allowPaths: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`option '${arg}' needs a value`);
      return argv[++i];
    };
    if (arg === '--version') opts.version = true;
    else if (arg === '--help') opts.help = true;
    else if (arg === '--standard-json') opts.standardJson = true;
    else if (arg === '--base-path') opts.basePath = value();
    else if (arg === '--include-path') opts.includePaths.push(value());
    else if (arg === '--allow-paths') opts.allowPaths.push(...value().split(',').filter(Boolean));
    else fail(`unrecognised option '${arg}'`);
  }
  return opts;
}

function fail(message) {
  process.stderr.write(`Error: ${message}\n\n${USAGE}`);
  process.exit(1);
}

// Resolve an import the way solc's own file reader does: from the base path, then each include
// path; absolute paths as they are. Reads are confined to the allowed directories.
function makeImportReader(opts) {
  const roots = [opts.basePath || process.cwd(), ...opts.includePaths].map((p) => path.resolve(p));
  const allowed = [...roots, ...opts.allowPaths.map((p) => path.resolve(p))];
  const isAllowed = (file) => allowed.some((dir) => file === dir || file.startsWith(dir + path.sep));
  return (importPath) => {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : roots.map((root) => path.join(root, importPath));
    for (const candidate of candidates) {
      const file = path.resolve(candidate);
      if (!isAllowed(file)) continue;
      try {
        return { contents: fs.readFileSync(file, 'utf8') };
      } catch (err) {
        if (err.code !== 'ENOENT') return { error: `${file}: ${err.message}` };
      }
    }
    return { error: `File not found inside the allowed paths: ${importPath}` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (opts.version) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return;
  }
  if (!opts.standardJson) fail('only --version and --standard-json are supported by this bridge');

  const input = fs.readFileSync(0, 'utf8');
  const output = solc.compile(input, { import: makeImportReader(opts) });
  // Large outputs go through a pipe: exit only once everything is flushed.
  process.stdout.write(output, () => process.exit(0));
}

main();
