#!/usr/bin/env node
// The `acme-ts` executable (package.json "bin"): runs the command line, exits with its status.
import { main } from './cli';

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
    // Everything is closed by now; a stray handle (a user module's timer) must not keep a
    // finished command alive. unref: this timer alone does not delay a clean exit.
    setTimeout(() => process.exit(status), 1000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`acme-ts: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
