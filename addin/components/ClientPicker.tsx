/**
 * Choosing a client by name: pick an existing one or type a new name (created on save). A typed name
 * that matches an existing client (the server's key: NFKC, Unicode lower case) picks that client rather
 * than offering a duplicate the server would refuse (409 duplicate_client). Used by Track and by Edit.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { Combobox, Field, Option } from "@fluentui/react-components";
import type { ClientView } from "../../shared/api/contract";
import { clientNameKey } from "../../shared/clients/name-key";
import { useServices } from "../state/services";
import { ErrorBar } from "./ErrorBar";

const NEW_PREFIX = "new:";

export interface ClientChoice {
  clients: ClientView[] | null;
  loadError: unknown;
  reload(): void;
  query: string;
  setQuery(q: string): void;
  selectedId: string | null;
  setSelectedId(id: string | null): void;
  /** The existing client chosen or typed, or null when the name is new (or empty). */
  chosen: ClientView | null;
  /** The typed name, trimmed. */
  typed: string;
  /** A client is chosen or a new name typed. */
  ready: boolean;
  /** The chosen client's id, creating the typed one first when it is new. */
  resolve(): Promise<ClientView>;
}

/** `active`: load the clients (when the form opens); `initial`: the client already set, if any. */
export function useClientChoice(active: boolean, initial: { id: string; name: string } | null = null): ClientChoice {
  const { api } = useServices();
  const [clients, setClients] = useState<ClientView[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [nonce, setNonce] = useState(0);
  const [query, setQuery] = useState(initial?.name ?? "");
  // The initial client is matched by its name (as typed), not preselected: Fluent clears a freeform value when
  // its selected option goes away, which would empty the field on the first keystroke.
  const [selectedId, setSelectedId] = useState<string | null>(null);

  useEffect(() => {
    if (!active) return;
    let live = true;
    setLoadError(null);
    api.listClients().then(
      (c) => live && setClients([...c].sort((a, b) => a.name.localeCompare(b.name))),
      (e: unknown) => live && setLoadError(e),
    );
    return () => {
      live = false;
    };
  }, [api, active, nonce]);

  const typed = query.trim();
  const typedKey = clientNameKey(typed);
  const exact = useMemo(() => clients?.find((c) => clientNameKey(c.name) === typedKey) ?? null, [clients, typedKey]);
  const chosen = clients?.find((c) => c.id === selectedId) ?? exact;
  const resolve = useCallback(async () => chosen ?? (await api.createClient(typed)), [api, chosen, typed]);
  return {
    clients,
    loadError,
    reload: () => setNonce((n) => n + 1),
    query,
    setQuery,
    selectedId,
    setSelectedId,
    chosen,
    typed,
    ready: !!chosen || typed.length > 0,
    resolve,
  };
}

export function ClientPicker({
  choice,
  onSubmit,
  label = "Client",
}: {
  choice: ClientChoice;
  onSubmit: () => void;
  label?: string;
}) {
  const [listOpen, setListOpen] = useState(false);
  const { clients, typed, chosen } = choice;
  const typedKey = clientNameKey(typed);
  const matches = (clients ?? []).filter(
    (c) => !typedKey || clientNameKey(c.name).includes(typedKey) || c.id === choice.selectedId,
  );
  return (
    <>
      <Field
        label={label}
        required
        hint={!chosen && typed ? `A new client “${typed}” will be created.` : "Pick a client or type a new name."}
      >
        <Combobox
          freeform
          placeholder={clients ? "Choose or type a client" : "Loading clients…"}
          // The list opens on typing, a click, Alt+Down or Arrow Down; the chevron is a pointer target
          // only, not a second tab stop beside the field.
          expandIcon={{ tabIndex: -1 }}
          open={listOpen}
          onOpenChange={(e, d) => {
            // Fluent opens a closed list on Enter, so Enter could never submit the form. With the list
            // closed, Enter submits, as in any other field of the form.
            if (d.open && !listOpen && "key" in e && e.key === "Enter") {
              onSubmit();
              return;
            }
            setListOpen(d.open);
          }}
          value={choice.query}
          selectedOptions={choice.selectedId ? [choice.selectedId] : []}
          onInput={(e) => {
            choice.setQuery((e.target as HTMLInputElement).value);
            choice.setSelectedId(null);
          }}
          onOptionSelect={(_, d) => {
            const v = d.optionValue ?? null;
            if (v && v.startsWith(NEW_PREFIX)) {
              choice.setSelectedId(null);
              choice.setQuery(v.slice(NEW_PREFIX.length));
            } else {
              choice.setSelectedId(v);
              choice.setQuery(d.optionText ?? "");
            }
          }}
        >
          {matches.map((c) => (
            <Option key={c.id} value={c.id}>
              {c.name}
            </Option>
          ))}
          {typed && !chosen ? (
            <Option key="new" value={`${NEW_PREFIX}${typed}`} text={typed}>
              {`Create client “${typed}”`}
            </Option>
          ) : null}
        </Combobox>
      </Field>
      {!!choice.loadError && (
        <ErrorBar error={choice.loadError} title="Couldn't load clients" onRetry={choice.reload} />
      )}
    </>
  );
}
