import { TaskContextError } from './errors';
import { currentTaskContext, runInTaskContext, taskContext } from './task-context';

describe('task context', () => {
  test('outside a call: a clear error', () => {
    expect(() => taskContext()).toThrow(TaskContextError);
    expect(() => taskContext()).toThrow(
      'taskContext() was called outside a call of the parallel function; call it from inside the function ParallelMap runs (including code it awaits)',
    );
    expect(currentTaskContext()).toBeUndefined();
  });
  test('inside a call, across awaits, concurrent calls keep their own context', async () => {
    const call = async (taskID: number) =>
      runInTaskContext({ taskID, nInputs: 2, outputDir: '/o' }, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5 * (2 - taskID)));
        return taskContext();
      });
    expect(await Promise.all([call(0), call(1)])).toEqual([
      { taskID: 0, nInputs: 2, outputDir: '/o' },
      { taskID: 1, nInputs: 2, outputDir: '/o' },
    ]);
    expect(currentTaskContext()).toBeUndefined();
  });
  test('the context is a frozen copy', () => {
    const context = { taskID: 3, nInputs: 5 };
    runInTaskContext(context, () => {
      expect(Object.isFrozen(taskContext())).toBe(true);
      expect(taskContext()).not.toBe(context);
    });
  });
});
