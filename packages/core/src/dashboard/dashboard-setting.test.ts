import { validateOptions } from '../options';

const rejection = (options: object) => {
  try {
    validateOptions(options);
  } catch (error) {
    return error as Error & { code: string; option: string };
  }
  throw new Error('accepted');
};

test('options.dashboard: true, false, { port, onStart }', () => {
  expect(validateOptions({}).dashboard).toBeUndefined();
  expect(validateOptions({ dashboard: false }).dashboard).toBeUndefined();
  expect(validateOptions({ dashboard: true }).dashboard).toEqual({ port: 0, onStart: undefined });
  const onStart = () => {};
  expect(validateOptions({ dashboard: { port: 8765, onStart } }).dashboard).toEqual({ port: 8765, onStart });
});

test.each([
  [{ dashboard: 'yes' }, 'options.dashboard must be true, false or { port, onStart }'],
  [{ dashboard: { port: -1 } }, 'options.dashboard.port must be an integer 0–65535 (0 picks a free port), got -1'],
  [{ dashboard: { port: 70000 } }, 'options.dashboard.port must be an integer 0–65535'],
  [{ dashboard: { host: '0.0.0.0' } }, 'options.dashboard.host is not a dashboard setting'],
  [{ dashboard: { onStart: 'print' } }, 'options.dashboard.onStart must be a function'],
  [{ dashboard: true, writeWorkerResults: false }, 'options.dashboard needs a run folder'],
])('%j is refused', (options, message) => {
  const error = rejection(options);
  expect(error.code).toBe('ERR_ACME_OPTION');
  expect(error.option).toBe('dashboard');
  expect(error.message).toContain(message);
});
