/**
 * One token operation per user at a time in this process: a sweep and a send racing to refresh would
 * each rotate the refresh token and the later write would win anyway, but serialising keeps Entra
 * traffic at one refresh (and a disconnect waits for an in-flight refresh's cache write).
 */
export type UserLock = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

export function createUserLock(): UserLock {
  const inFlight = new Map<string, Promise<unknown>>();
  return function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = inFlight.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    inFlight.set(key, tail);
    void tail.then(() => {
      if (inFlight.get(key) === tail) inFlight.delete(key);
    });
    return run;
  };
}
