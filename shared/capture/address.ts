/**
 * Email address normalisation and blocklist matching.
 * Addresses compare case-insensitively after trimming (docs/capture-rules.md). Exchange and most
 * providers treat the local part case-insensitively in practice, so we lower-case all of it.
 */

/** Loose shape check: one "@", something on both sides, no spaces. Not RFC 5322 — it only has to reject junk. */
const ADDRESS = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

/**
 * Normalise a raw address to its comparable form, or null when there is no usable address
 * (null, empty, or a display-name-only recipient such as "Alice Example").
 * Accepts the "Name <addr@host>" form, as copied from mail clients.
 */
export function normalizeAddress(raw: string | null | undefined): string | null {
  if (typeof raw !== "string") return null;
  let s = raw.trim();
  const angle = /<([^<>]+)>\s*$/.exec(s);
  if (angle) s = angle[1].trim();
  if (s.toLowerCase().startsWith("mailto:")) s = s.slice(7);
  s = s.toLowerCase();
  return ADDRESS.test(s) ? s : null;
}

/** Normalise a list, dropping unusable entries and duplicates, keeping first-seen order. */
export function normalizeAddresses(raw: ReadonlyArray<string | null | undefined> | null | undefined): string[] {
  const out = new Set<string>();
  for (const r of raw ?? []) {
    const a = normalizeAddress(r);
    if (a) out.add(a);
  }
  return [...out];
}

/** The domain part of a normalised address. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1);
}

/**
 * Normalise a blocklist entry: either a full address, or "@domain" (which also covers subdomains).
 * Returns null for an entry that is neither.
 */
export function normalizeBlockEntry(raw: string): string | null {
  const s = raw.trim().toLowerCase();
  if (s.startsWith("@")) {
    const d = s.slice(1);
    return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(d) ? `@${d}` : null;
  }
  return normalizeAddress(s);
}

/** The blocklist entry that blocks this address, or null. "@example.com" blocks x@example.com and x@mail.example.com. */
export function blockingEntry(address: string, blocklist: ReadonlyArray<string>): string | null {
  const domain = domainOf(address);
  for (const raw of blocklist) {
    const entry = normalizeBlockEntry(raw);
    if (!entry) continue;
    if (entry.startsWith("@")) {
      const d = entry.slice(1);
      if (domain === d || domain.endsWith(`.${d}`)) return entry;
    } else if (entry === address) {
      return entry;
    }
  }
  return null;
}
