// Where the command writes, and whether it may color it. Passed in (not process.*) so the
// commands can run in-process under a test with captured output.

import type { ProgressStream } from './progress';

export interface CliIO {
  stdout: ProgressStream;
  stderr: ProgressStream;
  env: NodeJS.ProcessEnv;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

export interface Colors {
  enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/** ANSI colors on a terminal, none when NO_COLOR is set (https://no-color.org) or output is redirected. */
export function colorsFor(stream: ProgressStream, env: NodeJS.ProcessEnv): Colors {
  const enabled = stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
  const paint = (code: string) => (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { enabled, red: paint('31'), green: paint('32'), yellow: paint('33'), dim: paint('2'), bold: paint('1') };
}
