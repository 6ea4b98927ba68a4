/**
 * Runs the given tasks one at a time, in call order; a failed task does not stop the next one.
 * The ingress's syncs and switches go through one of these, so a reconcile pass that read the
 * database before a deploy's commit can never undo that deploy's switch after it.
 */
export function createSerial() {
  let tail: Promise<unknown> = Promise.resolve();
  return function serial<T>(task: () => Promise<T>): Promise<T> {
    const run = tail.then(task);
    tail = run.catch(() => undefined);
    return run;
  };
}
