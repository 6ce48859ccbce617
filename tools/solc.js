#!/usr/bin/env node
// A native-solc stand-in over solcjs (the official compiler built to WebAssembly).
// It speaks the CLI subset py-solc-x and ape-solidity use: `--version` and
// `--standard-json` (input on stdin, output JSON on stdout), with `--base-path`,
// `--include-path` and `--allow-paths`. Output is written through the normal
// stream and the process exits on its own, so large outputs are never cut.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

function parseArgs(argv) {
  const opts = { standardJson: false, version: false, basePath: null, includePaths: [], rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--version") opts.version = true;
    else if (a === "--standard-json") opts.standardJson = true;
    else if (a === "--base-path") opts.basePath = argv[++i];
    else if (a === "--include-path") opts.includePaths.push(argv[++i]);
    else if (a === "--allow-paths") i++; // accepted and ignored: solcjs reads through our callback
    else opts.rest.push(a);
  }
  return opts;
}

function readStdin() {
  return fs.readFileSync(0, "utf8");
}

function importCallback(roots) {
  return (p) => {
    const candidates = path.isAbsolute(p) ? [p] : roots.map((r) => path.resolve(r, p));
    for (const c of candidates) {
      try {
        return { contents: fs.readFileSync(c, "utf8") };
      } catch (_) {
        /* try the next root */
      }
    }
    return { error: `File not found: ${p} (searched ${roots.join(", ")})` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.version) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return;
  }
  if (!opts.standardJson) {
    process.stderr.write("Error: only --version and --standard-json are supported by this solcjs wrapper\n");
    process.exitCode = 1;
    return;
  }
  const roots = [opts.basePath || process.cwd(), ...opts.includePaths, process.cwd()];
  const raw = solc.compile(readStdin(), { import: importCallback(roots) });
  // solcjs may print SMT retry notes starting with ">>>" on stdout; keep only the JSON.
  const json = raw.split("\n").filter((l) => !l.startsWith(">>>")).join("\n");
  process.stdout.write(json);
}

main();
