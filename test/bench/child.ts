/** A TypeScript child process of the bench (node --import tsx, IPC), with request/reply messaging. */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";

export interface BenchChild {
  child: ChildProcess;
  request<T>(msg: Record<string, unknown> & { type: string }, timeoutMs?: number): Promise<T>;
  /** Messages that are not replies (e.g. token requests). */
  onMessage(fn: (m: Record<string, unknown>) => void): void;
  stop(): Promise<void>;
}

export function forkTs(file: string, execArgv: string[] = []): BenchChild {
  const child = fork(path.resolve(file), [], {
    // BENCH_CPU_PROFILE=<dir>: write a V8 CPU profile of every bench child there (finding hot spots).
    execArgv: [
      ...execArgv,
      ...(process.env.BENCH_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : []),
      "--import",
      "tsx",
    ],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  let nextId = 1;
  const waiters = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Record<string, unknown>) => void)[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.on("message", (raw) => {
    const m = raw as Record<string, unknown>;
    if (m.type === "reply") {
      const w = waiters.get(m.id as number);
      waiters.delete(m.id as number);
      if (m.ok) w?.resolve(m.value);
      else w?.reject(new Error(String(m.error)));
      return;
    }
    for (const fn of listeners) fn(m);
  });
  child.once("exit", (code, signal) => {
    for (const w of waiters.values())
      w.reject(new Error(`${path.basename(file)} exited (${code ?? signal}) before replying`));
    waiters.clear();
  });
  return {
    child,
    request<T>(msg: Record<string, unknown> & { type: string }, timeoutMs = 600_000) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`${path.basename(file)}: no reply to ${msg.type} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.set(id, {
          resolve: (v) => {
            clearTimeout(t);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(t);
            reject(e);
          },
        });
        child.send({ ...msg, id });
      });
    },
    onMessage: (fn) => listeners.push(fn),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        await Promise.race([this.request({ type: "exit" }, 10_000), exited]);
      } catch {
        child.kill("SIGKILL");
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}
