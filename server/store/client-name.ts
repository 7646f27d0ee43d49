/**
 * When two client names are the same client: ignoring surrounding spaces, case (all of Unicode, not
 * only ASCII) and compatibility forms (full-width letters, ligatures), so "Acme", " ACME " and "Ａｃｍｅ"
 * are one. The database's unique index is on this key (migration 0005); the CSV import matches by it.
 */
export function clientNameKey(name: string): string {
  return name.trim().normalize("NFKC").toLowerCase();
}
