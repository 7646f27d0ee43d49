/** The docs/benchmarks.md section of issue 23's item 2, the price of a rule change (test/bench/rule-change.ts). */
import type { Section } from "./run";
import type { RuleChangeResult, SweepCost } from "./rule-change";

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const yes = (ok: boolean) => (ok ? "**met**" : "**MISSED**");
const kinds = (c: SweepCost) =>
  Object.entries(c.listings)
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");

export function renderRuleChange(s: Section<RuleChangeResult> | undefined): string[] {
  const out = ["## 7. The price of a rule change (issue 23, item 2)", ""];
  if (!s) return [...out, "_Not in this report (measured before the section existed)._", ""];
  if (!s.ok)
    return [
      ...out,
      s.error === "not run (--only)" ? "_Not run in this invocation (`--only`)._" : `_This section failed: ${s.error}_`,
      "",
    ];
  const r = s.result;
  const row = (name: string, c: SweepCost) =>
    `| ${name} | ${c.requestsPerMailbox} | ${kb(c.bytesPerMailbox)} | ${c.capturedPerMailbox} | ${kinds(c)} |`;
  return [
    ...out,
    `${r.mailboxes} mailboxes at ${r.messagesPerDay.toLocaleString("en-US")} messages a day (test/bench/rule-change.ts). ` +
      `After the first sweep and one steady hour, a contact is tracked who has mail in ${r.mailboxesWithContactMail} of the mailboxes; five minutes later every mailbox sweeps. ` +
      "Baseline, same run: another such contact tracked and every mailbox forced to re-read its whole window, which is what every rule change cost before. " +
      "Then a teammate connects (their addresses stored as the connect flow does) and every other mailbox sweeps, against an idle sweep just before. Per mailbox, from the emulator's counters:",
    "",
    "| sweep after | Graph requests | response bytes | captured (decided) | listing |",
    "|---|---|---|---|---|",
    row("a contact tracked (targeted re-read)", r.trackContact),
    row("a contact tracked, whole window forced (baseline)", r.fullReread),
    row("nothing changed (idle)", r.idle),
    row("a teammate connected", r.teammateConnects),
    "",
    `- **${r.bytesRatio}× fewer bytes** than the whole-window re-read (target ≥ 20×): ${yes(r.targets.bytesRatioAtLeast20)}.`,
    `- **${r.trackContact.requestsPerMailbox} requests per mailbox** (target ≤ 2): ${yes(r.targets.requestsAtMost2)} — the changes listing and one \`$search\` whose results carry the bodies, so no \`$batch\`: listed messages with the contact wait for the search and are decided with its bodies. ` +
      "A third request (one `$batch` for bodies) is made only by a mailbox holding mail with the contact younger than the search index lag (not in the results yet); the emulator here indexes at once, so none does.",
    `- **A teammate connecting costs the others nothing** beyond an idle sweep: ${yes(r.targets.teammateCostsNothing)} (a user's addresses are read only by their own mailbox's rules).`,
    "",
  ];
}
