/**
 * Queue set-up retries what PostgreSQL reports as transient (a deadlock it broke, a serialization
 * failure) and nothing else: a worker starting beside another one on a fresh database once died of
 * "deadlock detected" while creating a queue.
 */
import { retryTransient } from "../../server/sweep-queue/queue";

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe("retryTransient", () => {
  test("a deadlock, then a serialization failure, then success: the answer, after three attempts", async () => {
    const failures = [pgError("40P01"), pgError("40001")];
    let attempts = 0;
    const result = await retryTransient(async () => {
      attempts++;
      const next = failures.shift();
      if (next) throw next;
      return "created";
    });
    expect(result).toBe("created");
    expect(attempts).toBe(3);
  });

  test("any other error is thrown at once", async () => {
    let attempts = 0;
    await expect(
      retryTransient(async () => {
        attempts++;
        throw pgError("42P01");
      }),
    ).rejects.toThrow("pg 42P01");
    expect(attempts).toBe(1);
    await expect(retryTransient(() => Promise.reject(new Error("no code")))).rejects.toThrow("no code");
  });

  test("a deadlock that keeps coming is thrown after the last attempt", async () => {
    let attempts = 0;
    await expect(
      retryTransient(async () => {
        attempts++;
        throw pgError("40P01");
      }, 3),
    ).rejects.toThrow("pg 40P01");
    expect(attempts).toBe(3);
  });
});
