/**
 * Promise wrappers around Office's callback APIs. Office reports failures through
 * AsyncResult.status rather than by throwing, and an exception thrown inside a callback never
 * reaches the caller's try/catch, so every callback API the pane uses goes through here.
 */
export class OfficeAsyncError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
  ) {
    super(message);
    this.name = "OfficeAsyncError";
  }
}

export function officeAsync<T>(start: (callback: (result: Office.AsyncResult<T>) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      start((result) => {
        if (result.status === Office.AsyncResultStatus.Succeeded) resolve(result.value);
        else reject(new OfficeAsyncError(result.error?.message ?? "Office request failed", result.error?.code ?? null));
      });
    } catch (e) {
      reject(e);
    }
  });
}
