/**
 * When two client names are the same client: ignoring surrounding and repeated spaces, case, Unicode
 * compatibility forms (full-width letters, ligatures) and characters that do not show (zero-width
 * spaces, direction marks, byte-order marks, control characters) — so "Acme", " ACME ", "Ａｃｍｅ" and
 * "Ac\u200Bme" are one client. Case is lower-cased, not fully folded ("Straße" and "STRASSE" stay two).
 * The database's unique index is on this key (migration 0005); the CSV import matches by it. The key uses
 * the runtime's Unicode tables: a Node upgrade can only change keys of characters new to it.
 */
const WHITESPACE = /[\s\u0085]/gu;
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cc}]/gu;

export function clientNameKey(name: string): string {
  return name
    .normalize("NFKC")
    .replace(WHITESPACE, " ")
    .replace(INVISIBLE, "")
    .replace(/ {2,}/g, " ")
    .trim()
    .toLowerCase()
    .normalize("NFKC");
}

/** A name that would be shown as nothing (only spaces and invisible characters) names no client. */
export function isVisibleClientName(name: string): boolean {
  return clientNameKey(name) !== "";
}
