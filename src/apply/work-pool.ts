// Runs many small async jobs with a fixed number in flight, pulling the next job only when one
// finishes: 10,000 users never mean 10,000 pending promises.

/**
 * Calls `fn` on each item of `items` (an iterable, consumed lazily) with at most `concurrency`
 * calls pending; `onDone` after each. The first failure stops new calls and is thrown once the
 * pending ones have settled.
 */
export async function forEachConcurrently<T>(
  items: Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
  onDone: () => void = () => undefined,
): Promise<void> {
  const source = items[Symbol.iterator]();
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (let next = source.next(); !next.done && failure === undefined; next = source.next()) {
      try {
        await fn(next.value);
        onDone();
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  if (failure !== undefined) throw failure.error;
}
