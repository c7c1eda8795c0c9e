// Console + log-file logging with ACME's levels and line formats ("acme-ts - INFO - msg").
// One Logger per run (ACME's logger is process-global, so a run without a log file kept
// writing into the previous run's file: not here). The log file always gets INFO and up, also
// when `verbose: false` quiets the console: it is what a user reads after the fact.

import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'announce' | 'warning' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, announce: 25, warning: 30, error: 40 };
const TAG: Record<LogLevel, string> = {
  debug: '# DEBUG #',
  info: '- INFO -',
  announce: '> ANNOUNCE <',
  warning: '! WARNING !',
  error: '| ERROR |',
};
const COLOR: Record<LogLevel, string> = { debug: '\x1b[2m', info: '', announce: '\x1b[1m', warning: '\x1b[33m', error: '\x1b[31m' };

/** A logger of the user's (options.logger): `console`, pino, winston, … */
export interface UserLogger {
  debug?(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface LoggerOptions {
  /** undefined → INFO and up; true → DEBUG and up; false → WARNING and up (ACME's `verbose`). */
  verbose?: boolean;
  logfile?: string;
  /** Where console lines go (default: stderr). */
  write?: (line: string) => void;
  /** Instead of console lines: the message, by level, to the user's logger (the log file still gets its lines). */
  userLogger?: UserLogger;
  color?: boolean;
}

/** Which of a UserLogger's methods a level goes to (debug lines are dropped by a logger without debug). */
const USER_METHOD: Record<LogLevel, keyof UserLogger> = { debug: 'debug', info: 'info', announce: 'info', warning: 'warn', error: 'error' };

export class Logger {
  private readonly threshold: number;
  private readonly fileThreshold: number;
  private readonly write: (line: string) => void;
  private readonly userLogger?: UserLogger;
  private readonly color: boolean;
  private logfile?: string;
  private pending: string[] = [];

  constructor(options: LoggerOptions = {}) {
    this.threshold = options.verbose === true ? RANK.debug : options.verbose === false ? RANK.warning : RANK.info;
    this.fileThreshold = Math.min(this.threshold, RANK.info);
    this.write = options.write ?? ((line) => process.stderr.write(line + '\n'));
    this.userLogger = options.userLogger;
    this.color = options.color ?? (process.stderr.isTTY === true && !process.env.NO_COLOR);
    this.logfile = options.logfile;
  }

  /** Starts writing to `path`; lines logged before are written there first. */
  attachFile(path: string): void {
    this.logfile = path;
    this.flush();
  }

  get file(): string | undefined {
    return this.logfile;
  }

  log(level: LogLevel, message: string): void {
    if (RANK[level] < this.fileThreshold) return;
    const line = `acme-ts ${TAG[level]} ${message}`;
    if (RANK[level] >= this.threshold) {
      if (this.userLogger) this.userLogger[USER_METHOD[level]]?.(message);
      else this.write(this.color && COLOR[level] ? `${COLOR[level]}${line}\x1b[0m` : line);
    }
    this.pending.push(`${new Date().toISOString()} ${line}`);
    if (level === 'error' || this.pending.length >= 100) this.flush();
  }

  debug(message: string): void {
    this.log('debug', message);
  }
  info(message: string): void {
    this.log('info', message);
  }
  announce(message: string): void {
    this.log('announce', message);
  }
  warn(message: string): void {
    this.log('warning', message);
  }
  error(message: string): void {
    this.log('error', message);
  }

  flush(): void {
    if (!this.logfile || this.pending.length === 0) return;
    appendFileSync(this.logfile, this.pending.join('\n') + '\n');
    this.pending = [];
  }
}
