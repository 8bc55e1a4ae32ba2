#!/usr/bin/env node
// A native-solc look-alike that forwards to solc-js (the same compiler built to WASM).
// Why: no native solc can be installed offline here (see shared/TOOLCHAIN.md), yet py-solc-x,
// ape-solidity and forge expect a `solc` executable. Only the subset they use is implemented:
//   solc --version
//   solc --standard-json [FILE] [--base-path P] [--include-path P]... [--allow-paths ...]
// Output goes to stdout; exit code 0 even when the JSON output holds compile errors, as native
// solc does. process.exitCode is set instead of calling process.exit(), because Node truncates
// piped stdout above 64 KiB when the process exits right after writing.
'use strict';
const fs = require('fs');
const path = require('path');

const solc = require(path.join(__dirname, '..', 'node_modules', 'solc-0.8.28'));

function parseArgs(argv) {
  const opts = { basePath: null, includePaths: [], standardJson: false, version: false, file: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inlineValue] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = () => (inlineValue !== undefined ? inlineValue : argv[++i]);
    if (flag === '--version') opts.version = true;
    else if (flag === '--standard-json') opts.standardJson = true;
    else if (flag === '--base-path') opts.basePath = value();
    else if (flag === '--include-path') opts.includePaths.push(value());
    else if (flag === '--allow-paths') value();
    else if (flag.startsWith('-')) throw new Error(`unsupported option ${flag}`);
    else opts.file = arg;
  }
  return opts;
}

function importResolver(roots) {
  return (importPath) => {
    const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.resolve(r, importPath));
    for (const candidate of candidates) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
  };
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`solc (solc-js wrapper): ${err.message}\n`);
    process.exitCode = 1;
    return;
  }
  if (opts.version) {
    // py-solc-x parses the second line: "Version: X.Y.Z+commit.H".
    const full = solc.version().replace('.Emscripten.clang', '.Linux.g++');
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${full}\n`);
    return;
  }
  if (!opts.standardJson) {
    process.stderr.write('solc (solc-js wrapper): only --version and --standard-json are supported\n');
    process.exitCode = 1;
    return;
  }
  const input = opts.file ? fs.readFileSync(opts.file, 'utf8') : fs.readFileSync(0, 'utf8');
  const roots = [opts.basePath || process.cwd(), ...opts.includePaths];
  const output = solc.compile(input, { import: importResolver(roots) });
  process.stdout.write(output);
}

main();
