/**
 * The slice of OData query syntax Graph mail listing accepts: `$filter` comparisons (eq ne gt ge
 * lt le) joined by and/or/not with parentheses, on plain and navigated properties
 * (`from/emailAddress/address`), the `any` lambda on a collection
 * (`singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')`, Graph's documented way to
 * find messages by an extended property), and `$orderby` with Outlook's InefficientFilter rule.
 */

export type Literal = string | number | boolean | null | Date;
export type FilterNode =
  | { type: "cmp"; prop: string; op: "eq" | "ne" | "gt" | "ge" | "lt" | "le"; value: Literal }
  | { type: "and" | "or"; left: FilterNode; right: FilterNode }
  | { type: "not"; expr: FilterNode }
  /** `collection/any(v: expr)`: true when expr holds for some element (its properties read as `v/…`). */
  | { type: "any"; prop: string; variable: string; expr: FilterNode };

export class ODataError extends Error {}

const TOKEN =
  /\s*(\(|\)|:|'(?:[^']|'')*'|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_/]*)\s*/y;

function tokenize(s: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < s.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(s);
    if (!m) {
      if (/^\s*$/.test(s.slice(pos))) break;
      throw new ODataError(`Invalid filter clause: syntax error at position ${pos} in '${s}'.`);
    }
    out.push(m[1]);
    pos = TOKEN.lastIndex;
  }
  return out;
}

const OPS = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);

export function parseFilter(s: string): FilterNode {
  const toks = tokenize(s);
  let i = 0;
  const peek = () => toks[i];
  const next = () => toks[i++];
  const literal = (t: string | undefined): Literal => {
    if (t === undefined) throw new ODataError("Invalid filter clause: missing operand.");
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (/^\d{4}-\d{2}-\d{2}T/.test(t)) {
      const d = new Date(t);
      if (Number.isNaN(d.getTime())) throw new ODataError(`Invalid filter clause: bad date '${t}'.`);
      return d;
    }
    if (/^-?\d/.test(t)) return Number(t);
    if (t === "true" || t === "false") return t === "true";
    if (t === "null") return null;
    throw new ODataError(`Invalid filter clause: unexpected '${t}'.`);
  };
  const primary = (): FilterNode => {
    const t = next();
    if (t === "(") {
      const e = orExpr();
      if (next() !== ")") throw new ODataError("Invalid filter clause: ')' expected.");
      return e;
    }
    if (t === "not") return { type: "not", expr: primary() };
    if (!t || !/^[A-Za-z_]/.test(t)) throw new ODataError(`Invalid filter clause: unexpected '${t ?? "end"}'.`);
    const lambda = /^(.+)\/any$/i.exec(t);
    if (lambda && peek() === "(") {
      next();
      const variable = next();
      if (!variable || !/^[A-Za-z_]\w*$/.test(variable) || next() !== ":")
        throw new ODataError("Invalid filter clause: lambda variable and ':' expected.");
      const expr = orExpr();
      if (next() !== ")") throw new ODataError("Invalid filter clause: ')' expected.");
      return { type: "any", prop: lambda[1], variable, expr };
    }
    const op = next();
    if (!op || !OPS.has(op)) throw new ODataError(`Invalid filter clause: operator expected after '${t}'.`);
    return { type: "cmp", prop: t, op: op as "eq", value: literal(next()) };
  };
  const andExpr = (): FilterNode => {
    let l = primary();
    while (peek() === "and") {
      next();
      l = { type: "and", left: l, right: primary() };
    }
    return l;
  };
  const orExpr = (): FilterNode => {
    let l = andExpr();
    while (peek() === "or") {
      next();
      l = { type: "or", left: l, right: andExpr() };
    }
    return l;
  };
  const e = orExpr();
  if (i < toks.length) throw new ODataError(`Invalid filter clause: unexpected '${toks[i]}'.`);
  return e;
}

/** Properties in order of first appearance (the InefficientFilter rule compares against it). */
export function filterProperties(n: FilterNode, out: string[] = []): string[] {
  if (n.type === "cmp") {
    if (!out.some((p) => p.toLowerCase() === n.prop.toLowerCase())) out.push(n.prop);
  } else if (n.type === "any") {
    if (!out.some((p) => p.toLowerCase() === n.prop.toLowerCase())) out.push(n.prop);
  } else if (n.type === "not") filterProperties(n.expr, out);
  else {
    filterProperties(n.left, out);
    filterProperties(n.right, out);
  }
  return out;
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split("/")) {
    if (cur === null || typeof cur !== "object") return undefined;
    const entry = Object.entries(cur as Record<string, unknown>).find(([k]) => k.toLowerCase() === part.toLowerCase());
    cur = entry ? entry[1] : undefined;
  }
  return cur;
}

function compare(a: unknown, b: Literal): number | null {
  if (b instanceof Date) {
    if (typeof a !== "string") return null;
    return new Date(a).getTime() - b.getTime();
  }
  if (typeof b === "string") {
    if (typeof a !== "string") return null;
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof b === "number") return typeof a === "number" ? a - b : null;
  if (typeof b === "boolean") return a === b ? 0 : 1;
  return a === null || a === undefined ? 0 : 1;
}

export function evaluate(n: FilterNode, obj: Record<string, unknown>): boolean {
  switch (n.type) {
    case "and":
      return evaluate(n.left, obj) && evaluate(n.right, obj);
    case "or":
      return evaluate(n.left, obj) || evaluate(n.right, obj);
    case "not":
      return !evaluate(n.expr, obj);
    case "any": {
      const items = getPath(obj, n.prop);
      return Array.isArray(items) && items.some((item) => evaluate(n.expr, { [n.variable]: item }));
    }
    case "cmp": {
      const c = compare(getPath(obj, n.prop), n.value);
      if (c === null) return n.op === "ne";
      switch (n.op) {
        case "eq":
          return c === 0;
        case "ne":
          return c !== 0;
        case "gt":
          return c > 0;
        case "ge":
          return c >= 0;
        case "lt":
          return c < 0;
        case "le":
          return c <= 0;
      }
    }
  }
}

export interface OrderBy {
  prop: string;
  desc: boolean;
}

export function parseOrderBy(s: string): OrderBy[] {
  return s.split(",").map((part) => {
    const [prop, dir, extra] = part.trim().split(/\s+/);
    if (!prop || extra || (dir && !/^(asc|desc)$/i.test(dir))) throw new ODataError(`Invalid $orderby clause '${s}'.`);
    return { prop, desc: /^desc$/i.test(dir ?? "") };
  });
}

/**
 * Outlook's rule: with $filter and $orderby, each ordered property must appear in the filter,
 * in the same order, before any property that is not ordered.
 */
export function isInefficient(filterProps: string[], orderBy: OrderBy[]): boolean {
  return orderBy.some((o, i) => (filterProps[i] ?? "").toLowerCase() !== o.prop.toLowerCase());
}

export function sortBy(items: Record<string, unknown>[], orderBy: OrderBy[]): Record<string, unknown>[] {
  return [...items].sort((a, b) => {
    for (const o of orderBy) {
      const x = getPath(a, o.prop);
      const y = getPath(b, o.prop);
      const xs = x === null || x === undefined ? "" : String(x);
      const ys = y === null || y === undefined ? "" : String(y);
      const c = xs < ys ? -1 : xs > ys ? 1 : 0;
      if (c) return o.desc ? -c : c;
    }
    return 0;
  });
}
