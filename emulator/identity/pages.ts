/** The HTML pages Entra shows a person: sign-in, account picker, form_post relay, sign-out. */
import { escapeHtml } from "../http";

export const HTML = { "Content-Type": "text/html; charset=utf-8" };

export function htmlPage(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:Segoe UI,system-ui,sans-serif;max-width:440px;margin:60px auto;color:#1b1b1b}a.user{display:block;padding:12px;border:1px solid #ccc;margin:8px 0;text-decoration:none;color:inherit;border-radius:4px}a.user:hover{background:#f3f3f3}small{color:#666}</style>
</head><body>${body}</body></html>`;
}
