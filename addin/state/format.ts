/** Dates as people read them in the pane: "today at 14:00", "tomorrow at 9:05 AM", "Mon 3 Mar at 09:12" (the locale's own clock). */
export function formatWhen(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return "unknown time";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "unknown time";
  // "numeric" hour: the locale's usual form ("9:16 AM" in en-US, "09:16" in en-GB), not a padded "09:16 AM".
  const time = d.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
  const sameDay = d.toDateString() === now.toDateString();
  if (sameDay) return `today at ${time}`;
  const tomorrow = new Date(now);
  tomorrow.setDate(now.getDate() + 1);
  if (d.toDateString() === tomorrow.toDateString()) return `tomorrow at ${time}`;
  return `${d.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" })} at ${time}`;
}
