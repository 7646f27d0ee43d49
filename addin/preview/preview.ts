/**
 * /preview: the task pane in an iframe beside a sample mailbox. Choosing the user reloads the pane
 * as that user (the stand-in's userProfile → MSAL login_hint); choosing a message tells the pane's
 * stand-in, which fires ItemChanged as a pinned pane in Outlook would.
 */
import type { PreviewEvent, PreviewMessage } from "./types";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const userSelect = $<HTMLSelectElement>("user");
const darkToggle = $<HTMLInputElement>("dark");
const list = $<HTMLUListElement>("messages");
const empty = $<HTMLParagraphElement>("empty");
const frame = $<HTMLIFrameElement>("pane");

let messages: PreviewMessage[] = [];
let selected: PreviewMessage | null = null;
let paneReady = false;

const params = new URLSearchParams(window.location.search);

function post(event: PreviewEvent) {
  if (paneReady) frame.contentWindow?.postMessage(event, window.location.origin);
}

function select(m: PreviewMessage | null) {
  selected = m;
  for (const b of list.querySelectorAll<HTMLButtonElement>("button"))
    b.setAttribute("aria-current", String(b.dataset.id === m?.restItemId));
  post({ type: "ec-preview:select", message: m });
}

function loadPane() {
  paneReady = false;
  const q = new URLSearchParams({ preview: "1", user: userSelect.value });
  if (darkToggle.checked) q.set("theme", "dark");
  frame.src = `taskpane.html?${q}`;
}

function renderList() {
  const mine = messages
    .filter((m) => m.mailbox.toLowerCase() === userSelect.value.toLowerCase())
    .sort((a, b) => b.dateTimeCreated.localeCompare(a.dateTimeCreated));
  list.replaceChildren(
    ...mine.map((m) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.id = m.restItemId;
      const when = new Date(m.dateTimeCreated).toLocaleString(undefined, {
        weekday: "short",
        hour: "2-digit",
        minute: "2-digit",
      });
      const from = m.from.name ?? m.from.address;
      // Accessible name a test (or a screen reader) can rely on: "subject — from".
      b.setAttribute("aria-label", `${m.subject || "(no subject)"} — ${from}`);
      for (const [cls, text] of [
        ["from", from],
        ["subject", m.subject || "(no subject)"],
        ["when", when],
      ]) {
        const s = document.createElement("span");
        s.className = cls;
        s.textContent = text;
        b.append(s);
      }
      b.addEventListener("click", () => select(m));
      li.append(b);
      return li;
    }),
  );
  empty.hidden = mine.length > 0;
  select(mine.find((m) => m.restItemId === params.get("message")) ?? null);
}

window.addEventListener("message", (e: MessageEvent<PreviewEvent>) => {
  if (e.origin !== window.location.origin || e.source !== frame.contentWindow) return;
  if (e.data?.type === "ec-preview:ready") {
    paneReady = true;
    post({ type: "ec-preview:select", message: selected });
  }
});

async function main() {
  const res = await fetch("preview/messages.json", { headers: { Accept: "application/json" } });
  messages = res.ok ? ((await res.json()) as PreviewMessage[]) : [];
  const users = [...new Set(messages.map((m) => m.mailbox))].sort();
  userSelect.replaceChildren(...users.map((u) => new Option(u, u)));
  const wanted = params.get("user");
  if (wanted && users.includes(wanted)) userSelect.value = wanted;
  userSelect.addEventListener("change", () => {
    renderList();
    loadPane();
  });
  darkToggle.addEventListener("change", loadPane);
  renderList();
  loadPane();
}

void main();
