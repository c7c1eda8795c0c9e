import { AcmeError } from '../errors';

/** The dashboard cannot start (no such folder, port taken, …). */
export class DashboardError extends AcmeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ACME_DASHBOARD', message, options);
  }
}
