/**
 * Track a participant: pick an existing client or type a new one, then POST the contact.
 * A typed name that matches an existing client (case-insensitively) uses that client rather than
 * creating a duplicate.
 */
import { useEffect, useMemo, useState } from "react";
import {
  Button,
  Combobox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  Option,
  Text,
} from "@fluentui/react-components";
import type { ClientView, ContactView } from "../../shared/api/contract";
import { clientNameKey } from "../../shared/clients/name-key";
import { useServices } from "../state/services";
import { useAction } from "../state/useAction";
import { ErrorBar } from "./ErrorBar";

export interface TrackTarget {
  address: string;
  name: string | null;
}

const NEW_PREFIX = "new:";

export function TrackDialog({ target, onClose, onTracked }: { target: TrackTarget | null; onClose: () => void; onTracked: (c: ContactView) => void }) {
  const { api } = useServices();
  const [clients, setClients] = useState<ClientView[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [query, setQuery] = useState("");
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [name, setName] = useState("");
  const { busy: saving, failure: saveFailure, run, clear: clearSaveFailure } = useAction();
  const [loadNonce, setLoadNonce] = useState(0);
  const [listOpen, setListOpen] = useState(false);

  useEffect(() => {
    if (!target) return;
    setName(target.name ?? "");
    setQuery("");
    setSelectedId(null);
    clearSaveFailure();
  }, [target, clearSaveFailure]);

  useEffect(() => {
    if (!target) return;
    let live = true;
    setLoadError(null);
    api.listClients().then(
      (c) => live && setClients([...c].sort((a, b) => a.name.localeCompare(b.name))),
      (e: unknown) => live && setLoadError(e),
    );
    return () => {
      live = false;
    };
  }, [api, target, loadNonce]);

  const typed = query.trim();
  // The server's key (NFKC, Unicode lower case): "ＡＣＭＥ" or "ACME" picks the existing "Acme" instead of
  // offering to create a client the database would refuse as a duplicate (409 duplicate_client).
  const typedKey = clientNameKey(typed);
  const exact = useMemo(() => clients?.find((c) => clientNameKey(c.name) === typedKey) ?? null, [clients, typedKey]);
  const matches = useMemo(
    () => (clients ?? []).filter((c) => !typedKey || clientNameKey(c.name).includes(typedKey)),
    [clients, typedKey],
  );
  const chosen = clients?.find((c) => c.id === selectedId) ?? exact;
  const canSave = !saving && (!!chosen || typed.length > 0);

  const save = async () => {
    if (!target || !canSave) return;
    await run(
      async () => {
        const clientId = chosen ? chosen.id : (await api.createClient(typed)).id;
        const contact = await api.createContact({ email: target.address, clientId, ...(name.trim() ? { name: name.trim() } : {}) });
        onTracked(contact); // the message view says so, once the dialog is gone
      },
      { title: "Couldn't track this person" },
    );
  };

  return (
    <Dialog open={!!target} onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface aria-describedby="track-desc">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <DialogBody>
            {/* An address has few break points: let it wrap anywhere rather than overflow the dialog. */}
            <DialogTitle style={{ overflowWrap: "anywhere" }}>Track {target?.address}</DialogTitle>
            <DialogContent style={{ display: "flex", flexDirection: "column", gap: 12 }}>
              <Text id="track-desc">Email with a tracked contact is captured to their client's record from now on.</Text>
              <Field label="Name">
                <Input value={name} onChange={(_, d) => setName(d.value)} />
              </Field>
              <Field
                label="Client"
                required
                hint={!chosen && typed ? `A new client “${typed}” will be created.` : "Pick a client or type a new name."}
              >
                <Combobox
                  freeform
                  placeholder={clients ? "Choose or type a client" : "Loading clients…"}
                  // The list opens on typing, a click, Alt+Down or Arrow Down; the chevron is a pointer
                  // target only, not a second tab stop beside the field.
                  expandIcon={{ tabIndex: -1 }}
                  open={listOpen}
                  onOpenChange={(e, d) => {
                    // Fluent opens a closed list on Enter, so Enter could never submit the form. With the
                    // list closed, Enter submits, as in any other field of the form.
                    if (d.open && !listOpen && "key" in e && e.key === "Enter") {
                      void save();
                      return;
                    }
                    setListOpen(d.open);
                  }}
                  value={query}
                  selectedOptions={selectedId ? [selectedId] : []}
                  onInput={(e) => {
                    setQuery((e.target as HTMLInputElement).value);
                    setSelectedId(null);
                  }}
                  onOptionSelect={(_, d) => {
                    const v = d.optionValue ?? null;
                    if (v && v.startsWith(NEW_PREFIX)) {
                      setSelectedId(null);
                      setQuery(v.slice(NEW_PREFIX.length));
                    } else {
                      setSelectedId(v);
                      setQuery(d.optionText ?? "");
                    }
                  }}
                >
                  {matches.map((c) => (
                    <Option key={c.id} value={c.id}>
                      {c.name}
                    </Option>
                  ))}
                  {typed && !exact ? (
                    <Option key="new" value={`${NEW_PREFIX}${typed}`} text={typed}>
                      {`Create client “${typed}”`}
                    </Option>
                  ) : null}
                </Combobox>
              </Field>
              {!!loadError && <ErrorBar error={loadError} title="Couldn't load clients" onRetry={() => setLoadNonce((n) => n + 1)} />}
              {/* Retry saves what the form holds now, which may have been corrected since the failure. */}
              {saveFailure && <ErrorBar error={saveFailure.error} title={saveFailure.title} onRetry={() => void save()} />}
            </DialogContent>
            <DialogActions>
              <Button appearance="secondary" onClick={onClose} disabled={saving}>
                Cancel
              </Button>
              <Button appearance="primary" type="submit" disabled={!canSave}>
                {saving ? "Tracking…" : "Track contact"}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}
