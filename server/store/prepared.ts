/**
 * Queries compiled once and run many times: the hot read paths (the pane's status call) spent as much
 * CPU building and compiling Kysely queries as running them. A prepared query is built once per
 * database (and per shape of its arguments — the length of each list) with marker values in place
 * of the arguments; later calls reuse the SQL and fill the compiled parameter list with the real
 * values. The SQL text is then identical on every call, which also lets the SQLite statement cache
 * (server/db/statement-cache.ts) reuse the prepared statement.
 *
 * Only string arguments (and lists of strings) are supported — ids, keys, addresses. A builder whose
 * markers do not all come out as bound parameters (a value inlined into the SQL, a value transformed
 * before binding) is refused at its first use, so a query cannot silently run with a stale value.
 * Results go through Kysely's executor as usual (the CamelCase plugin maps the rows).
 */
import { createQueryId, type Compilable, type CompiledQuery, type Kysely, type RootOperationNode } from "kysely";
import type { Database } from "../db/schema";

type Arg = string | readonly string[];

/** Argument `arg` (and element `elem` of a list argument, else -1) fills this parameter; or a constant. */
type Slot = { arg: number; elem: number } | { constant: unknown };

interface Template {
  sql: string;
  query: RootOperationNode;
  slots: Slot[];
}

/** Shapes remembered per database (list lengths vary; a status call's participants are few). */
const MAX_SHAPES = 64;
const MARK = "\u0000prepared-argument\u0000";

const shapeOf = (args: readonly Arg[]): string =>
  args.map((a) => (typeof a === "string" ? "s" : String(a.length))).join(",");

function compileTemplate<A extends readonly Arg[]>(
  db: Kysely<Database>,
  build: (db: Kysely<Database>, ...args: A) => Compilable<unknown>,
  args: A,
): Template {
  const markers = new Map<string, { arg: number; elem: number }>();
  const markerArgs = args.map((a, i) => {
    if (typeof a === "string") {
      const m = `${MARK}${i}`;
      markers.set(m, { arg: i, elem: -1 });
      return m;
    }
    return a.map((_, k) => {
      const m = `${MARK}${i}.${k}`;
      markers.set(m, { arg: i, elem: k });
      return m;
    });
  }) as unknown as A;
  const compiled = build(db, ...markerArgs).compile();
  const found = new Set<string>();
  const slots: Slot[] = compiled.parameters.map((p) => {
    const slot = typeof p === "string" ? markers.get(p) : undefined;
    if (slot) {
      found.add(p as string);
      return slot;
    }
    if (typeof p === "string" && p.includes(MARK))
      throw new Error("prepared query: an argument was transformed before binding");
    return { constant: p };
  });
  if (found.size !== markers.size || compiled.sql.includes(MARK))
    throw new Error("prepared query: every argument must be a bound parameter");
  return { sql: compiled.sql, query: compiled.query, slots };
}

/** A prepared query: run it (`q(db, …args)`), or bind it for running among others (store/read-together.ts). */
export interface PreparedQuery<A extends readonly Arg[], O> {
  (db: Kysely<Database>, ...args: A): Promise<O[]>;
  bind(db: Kysely<Database>, ...args: A): CompiledQuery<O>;
}

/**
 * `prepared((db, a, b) => db.selectFrom(…).where("x", "=", a)…)` → `(db, a, b) => Promise<rows>`.
 * The builder must be pure: the same query for any argument values of the same shape.
 */
export function prepared<A extends readonly Arg[], O>(
  build: (db: Kysely<Database>, ...args: A) => Compilable<O>,
): PreparedQuery<A, O> {
  const byDb = new WeakMap<Kysely<Database>, Map<string, Template>>();
  const bind = (db: Kysely<Database>, ...args: A): CompiledQuery<O> => {
    let templates = byDb.get(db);
    if (!templates) byDb.set(db, (templates = new Map()));
    const shape = shapeOf(args);
    let t = templates.get(shape);
    if (!t) {
      t = compileTemplate(db, build, args);
      if (templates.size < MAX_SHAPES) templates.set(shape, t);
    }
    const parameters = t.slots.map((s) =>
      "constant" in s ? s.constant : s.elem < 0 ? args[s.arg] : (args[s.arg] as readonly string[])[s.elem],
    );
    return { sql: t.sql, query: t.query, queryId: createQueryId(), parameters };
  };
  const run = async (db: Kysely<Database>, ...args: A): Promise<O[]> =>
    (await db.executeQuery<O>(bind(db, ...args))).rows;
  return Object.assign(run, { bind });
}
