/** Search tracked contacts (GET /api/contacts?q=). */
import { useEffect, useState } from "react";
import { Field, SearchBox, Text, makeStyles, mergeClasses, tokens } from "@fluentui/react-components";
import type { ContactView, Page } from "../../shared/api/contract";
import { useResource } from "../state/useResource";
import { useServices } from "../state/services";
import { ErrorBar } from "./ErrorBar";
import { Loading } from "./Loading";

const useStyles = makeStyles({
  root: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  list: { listStyle: "none", margin: 0, padding: 0, display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  muted: { color: tokens.colorNeutralForeground3 },
  line: { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" },
});

export function ContactsView({ debounceMs = 250 }: { debounceMs?: number }) {
  const styles = useStyles();
  const { api } = useServices();
  const [input, setInput] = useState("");
  const [query, setQuery] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setQuery(input.trim()), debounceMs);
    return () => clearTimeout(t);
  }, [input, debounceMs]);
  const result = useResource<Page<ContactView>>(() => api.searchContacts(query, 25), `contacts:${query}`);

  return (
    <section aria-labelledby="contacts-heading" className={styles.root}>
      <h2 id="contacts-heading" style={{ margin: 0, fontSize: tokens.fontSizeBase400 }}>
        Tracked contacts
      </h2>
      <Field label="Search contacts">
        {/* Fluent names the clear button "clear"; say what it clears. */}
        <SearchBox value={input} onChange={(_, d) => setInput(d.value)} placeholder="Name, email or client" dismiss={{ "aria-label": "Clear search" }} />
      </Field>
      {result.loading && <Loading label="Loading contacts" />}
      {!!result.error && <ErrorBar error={result.error} title="Couldn't load contacts" onRetry={result.reload} />}
      {result.data && result.data.items.length === 0 && <Text>{query ? `No tracked contact matches “${query}”.` : "No tracked contacts yet."}</Text>}
      {result.data && result.data.items.length > 0 && (
        <ul className={styles.list} aria-label="Contacts">
          {result.data.items.map((c) => (
            <li key={c.id}>
              <Text weight="semibold" block className={styles.line} title={c.name ?? c.email}>
                {c.name ?? c.email}
              </Text>
              {/* Without a name the address is already the first line: show it once. */}
              {(c.name || c.client) && (
                <Text size={200} className={mergeClasses(styles.muted, styles.line)} block title={c.name ? c.email : undefined}>
                  {[c.name ? c.email : null, c.client?.name].filter(Boolean).join(" · ")}
                </Text>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
