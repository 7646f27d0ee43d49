/**
 * `$search` on messages, as Exchange's KQL does it for Graph: a quoted query of terms joined by
 * whitespace/AND and OR (uppercase), with parentheses; terms `prop:value`, `prop>=date` (also > < <= =),
 * `prop:from..to`, or a bare word or "phrase" (from, subject and body). People properties (`from`, `to`,
 * `cc`, `bcc`, `participants` = from+to+cc+bcc, `recipients` = to+cc+bcc) match an SMTP address exactly, or a
 * word of the display name, or the alias (local part); `received`/`sent` take `YYYY-MM-DD`, `MM/DD/YYYY` or an
 * ISO date-time, a bare date meaning the whole UTC day; `subject`/`body` match words; `hasAttachment(s)`
 * `true|false`; `importance` `low|normal|high`.
 */
import type { MessageRecord } from "../state";
import { htmlToText } from "../state";
import { GraphFailure } from "./protocol";

type Node = { op: "and" | "or"; items: Node[] } | { op: "term"; test: (m: MessageRecord) => boolean };

const PEOPLE = new Set(["from", "to", "cc", "bcc", "participants", "recipients"]);
const DATES = new Set(["received", "sent"]);

function invalid(query: string): GraphFailure {
  return new GraphFailure(
    400,
    "BadRequest",
    `Syntax error: character '${query.slice(0, 1)}' is not valid at position 0 in '${query}'.`,
  );
}

function tokenize(q: string): string[] {
  const out: string[] = [];
  const re = /\s*(\(|\)|(?:[A-Za-z]+(?::|>=|<=|>|<|=))?"[^"]*"|[^\s()"]+)/y;
  let at = 0;
  for (;;) {
    re.lastIndex = at;
    const m = re.exec(q);
    if (!m) break;
    out.push(m[1]);
    at = re.lastIndex;
  }
  if (q.slice(at).trim()) throw invalid(q);
  return out;
}

/** Parse the `$search` value (outer double quotes optional) into a matcher. */
export function parseSearch(raw: string): (m: MessageRecord) => boolean {
  let q = raw.trim();
  if (q.length >= 2 && q.startsWith('"') && q.endsWith('"')) q = q.slice(1, -1);
  if (!q.trim()) throw invalid(raw);
  const tokens = tokenize(q);
  let i = 0;
  const parseOr = (): Node => {
    const items = [parseAnd()];
    while (tokens[i] === "OR") {
      i += 1;
      items.push(parseAnd());
    }
    return items.length === 1 ? items[0] : { op: "or", items };
  };
  const parseAnd = (): Node => {
    const items = [parseTerm()];
    while (i < tokens.length && tokens[i] !== ")" && tokens[i] !== "OR") {
      if (tokens[i] === "AND") i += 1;
      items.push(parseTerm());
    }
    return items.length === 1 ? items[0] : { op: "and", items };
  };
  const parseTerm = (): Node => {
    const tok = tokens[i++];
    if (tok === undefined || tok === ")" || tok === "AND" || tok === "OR") throw invalid(raw);
    if (tok === "(") {
      const inner = parseOr();
      if (tokens[i++] !== ")") throw invalid(raw);
      return inner;
    }
    return { op: "term", test: term(tok, raw) };
  };
  const root = parseOr();
  if (i !== tokens.length) throw invalid(raw);
  const run = (n: Node, m: MessageRecord): boolean =>
    n.op === "term" ? n.test(m) : n.op === "and" ? n.items.every((x) => run(x, m)) : n.items.some((x) => run(x, m));
  return (m) => run(root, m);
}

function unquote(v: string): string {
  return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v;
}

function words(s: string): string[] {
  return s
    .toLowerCase()
    .split(/[^\p{L}\p{N}@._'-]+/u)
    .filter(Boolean);
}

/** Word or phrase containment, as the index matches whole words (and word prefixes with a trailing *). */
function containsText(haystack: string, needle: string): boolean {
  const n = needle.toLowerCase().trim();
  if (!n) return false;
  if (n.endsWith("*")) return words(haystack).some((w) => w.startsWith(n.slice(0, -1)));
  const h = ` ${words(haystack).join(" ")} `;
  return h.includes(` ${words(n).join(" ")} `);
}

function term(tok: string, raw: string): (m: MessageRecord) => boolean {
  const pm = /^([A-Za-z]+)(:|>=|<=|>|<|=)(.+)$/.exec(tok);
  if (!pm) {
    const text = unquote(tok);
    return (m) => containsText(m.subject, text) || containsText(bodyText(m), text) || personMatches([m.from], text);
  }
  const prop = pm[1].toLowerCase();
  const op = pm[2];
  const value = unquote(pm[3]);
  if (PEOPLE.has(prop)) {
    if (op !== ":") throw invalid(raw);
    return (m) => personMatches(people(m, prop), value);
  }
  if (DATES.has(prop)) return dateTerm(prop, op, value, raw);
  if (op !== ":") throw invalid(raw);
  switch (prop) {
    case "subject":
      return (m) => containsText(m.subject, value);
    case "body":
      return (m) => containsText(bodyText(m), value);
    case "hasattachment":
    case "hasattachments":
      return (m) => m.hasAttachments === (value.toLowerCase() === "true");
    case "importance":
      return (m) => m.importance.toLowerCase() === value.toLowerCase();
    default:
      // Unknown properties search as free text, as KQL does.
      return (m) => containsText(m.subject, tok) || containsText(bodyText(m), tok);
  }
}

function bodyText(m: MessageRecord): string {
  return m.body.contentType === "html" ? htmlToText(m.body.content) : m.body.content;
}

function people(m: MessageRecord, prop: string): MessageRecord["from"][] {
  switch (prop) {
    case "from":
      return [m.from];
    case "to":
      return m.toRecipients;
    case "cc":
      return m.ccRecipients;
    case "bcc":
      return m.bccRecipients;
    case "recipients":
      return [...m.toRecipients, ...m.ccRecipients, ...m.bccRecipients];
    default:
      return [m.from, ...m.toRecipients, ...m.ccRecipients, ...m.bccRecipients];
  }
}

function personMatches(list: MessageRecord["from"][], value: string): boolean {
  const v = value.toLowerCase().trim();
  return list.some((p) => {
    if (!p) return false;
    const addr = p.emailAddress.address.toLowerCase();
    if (v.includes("@")) return addr === v;
    return addr.split("@")[0] === v || containsText(p.emailAddress.name ?? "", v);
  });
}

/** `YYYY-MM-DD`, `MM/DD/YYYY` (a whole UTC day) or an ISO date-time (an instant) → [start, end). */
function parseDate(v: string, raw: string): [number, number] {
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) {
    const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
    if (us) m = [us[0], us[3], us[1].padStart(2, "0"), us[2].padStart(2, "0")] as unknown as RegExpExecArray;
  }
  if (m) {
    const start = Date.parse(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`);
    if (Number.isNaN(start)) throw invalid(raw);
    return [start, start + 86_400_000];
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalid(raw);
  return [t, t + 1];
}

function dateTerm(prop: string, op: string, value: string, raw: string): (m: MessageRecord) => boolean {
  const at = (m: MessageRecord) =>
    prop === "sent" ? (m.sentDateTime?.getTime() ?? NaN) : m.receivedDateTime.getTime();
  const range = /^(.+)\.\.(.+)$/.exec(value);
  if (range && op === ":") {
    const [from] = parseDate(range[1], raw);
    const [, to] = parseDate(range[2], raw);
    return (m) => at(m) >= from && at(m) < to;
  }
  const [start, end] = parseDate(value, raw);
  switch (op) {
    case ":":
    case "=":
      return (m) => at(m) >= start && at(m) < end;
    case ">=":
      return (m) => at(m) >= start;
    case ">":
      return (m) => at(m) >= end;
    case "<=":
      return (m) => at(m) < end;
    default:
      return (m) => at(m) < start;
  }
}
