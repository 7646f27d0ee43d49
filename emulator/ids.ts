/**
 * Opaque Exchange-style identifiers. Regular ids ("AAMkAG…=") encode the item's folder, so they
 * change when the item moves — as in Exchange; immutable ids ("AAkALg…=") do not. Both are
 * base64 with "/" → "-" and "+" → "_" like Graph's, ending in "=" so callers must URL-encode them.
 */
import crypto from "node:crypto";

function opaque(prefix: string, ...parts: string[]): string {
  const digest = crypto.createHash("sha256").update(parts.join("\u0000")).digest();
  const body = Buffer.concat([digest, digest.subarray(0, 10)])
    .toString("base64")
    .replace(/=+$/, "");
  return `${prefix}${body.replace(/\//g, "-").replace(/\+/g, "_")}AAA=`;
}

export function messageRegularId(userId: string, itemKey: string, folderId: string, moveCount: number): string {
  return opaque("AAMkAGI2", "msg", userId, itemKey, folderId, String(moveCount));
}

export function messageImmutableId(userId: string, itemKey: string): string {
  return opaque("AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A", "imm", userId, itemKey);
}

export function folderId(userId: string, folderKey: string): string {
  return opaque("AAMkAGI2AAEu", "folder", userId, folderKey);
}

export function changeKey(): string {
  return `CQAAABYAAA${crypto.randomBytes(15).toString("base64").replace(/\//g, "-").replace(/\+/g, "_")}`;
}

export function conversationId(seed: string): string {
  return opaque("AAQkAGI2", "conv", seed);
}

export function randomKey(): string {
  return crypto.randomUUID();
}

export function newInternetMessageId(): string {
  const a = crypto.randomBytes(12).toString("hex").toUpperCase();
  return `<${a}@EM1PR01MB${crypto.randomInt(1000, 9999)}.eurprd01.prod.outlook.com>`;
}

export function requestId(): string {
  return crypto.randomUUID();
}
