// Test helper: the message of the typed error `run` throws, after checking its class and code.
export function thrownMessage(run: () => unknown, errorClass: abstract new (...args: never[]) => Error, code: string): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(errorClass);
    expect((error as { code?: unknown }).code).toBe(code);
    return (error as Error).message;
  }
  throw new Error('no error');
}
