import { Badge, Button, Text, makeStyles, mergeClasses, tokens } from "@fluentui/react-components";
import type { PersonView } from "../../shared/api/contract";

const useStyles = makeStyles({
  list: { listStyle: "none", margin: 0, padding: 0, display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  item: { display: "flex", alignItems: "center", justifyContent: "space-between", gap: tokens.spacingHorizontalS },
  who: { display: "flex", flexDirection: "column", minWidth: 0, flexGrow: 1 },
  // One line each, cut with an ellipsis (the full text is in the title and the item's label): a long
  // address must neither wrap at its dots nor push the Track button out of the pane.
  line: { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" },
  address: { color: tokens.colorNeutralForeground3 },
  track: { flexShrink: 0 },
  tags: { display: "flex", gap: tokens.spacingHorizontalXS, flexWrap: "wrap", marginTop: tokens.spacingVerticalXXS },
});

const ROLE: Record<PersonView["role"], string> = { from: "From", to: "To", cc: "Cc" };

/** From/To/Cc of the open message: tracked or not, the contact's client, Track for the others. */
export function PeopleList({ people, onTrack }: { people: PersonView[]; onTrack: (p: PersonView) => void }) {
  const styles = useStyles();
  return (
    <section aria-labelledby="people-heading">
      <h2 id="people-heading" style={{ fontSize: tokens.fontSizeBase400, margin: `${tokens.spacingVerticalM} 0 ${tokens.spacingVerticalS}` }}>
        People
      </h2>
      {people.length === 0 ? (
        <Text>No senders or recipients on this message.</Text>
      ) : (
        <ul className={styles.list} aria-label="People on this message">
          {people.map((p) => {
            const state = p.isUser ? "You" : p.contact ? "Tracked" : p.blocked ? "Blocked" : "Not tracked";
            const name = p.name ?? p.contact?.name ?? null;
            return (
              <li key={`${p.role}:${p.address}`} className={styles.item} aria-label={`${p.name ?? p.address}, ${ROLE[p.role]}, ${state}`}>
                <div className={styles.who}>
                  <Text weight="semibold" className={styles.line} title={name ?? p.address}>
                    {name ?? p.address}
                  </Text>
                  {/* Without a display name the address is already the first line. */}
                  {name && (
                    <Text size={200} className={mergeClasses(styles.line, styles.address)} title={p.address}>
                      {p.address}
                    </Text>
                  )}
                  <div className={styles.tags}>
                    <Badge appearance="outline" size="small">
                      {ROLE[p.role]}
                    </Badge>
                    <Badge appearance="tint" size="small" color={p.contact ? "success" : p.blocked ? "danger" : "subtle"}>
                      {state}
                    </Badge>
                    {p.contact?.client && (
                      <Badge appearance="tint" size="small" color="brand">
                        {p.contact.client.name}
                      </Badge>
                    )}
                  </div>
                </div>
                {!p.isUser && !p.contact && !p.blocked && (
                  <Button size="small" className={styles.track} onClick={() => onTrack(p)} aria-label={`Track ${p.address}`}>
                    Track
                  </Button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
