import { Skeleton, SkeletonItem, makeStyles, tokens } from "@fluentui/react-components";

const useStyles = makeStyles({
  root: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    padding: `${tokens.spacingVerticalS} 0`,
  },
});

/** Skeleton rows while something loads; the label tells screen readers what. */
export function Loading({ label, rows = 3 }: { label: string; rows?: number }) {
  const styles = useStyles();
  return (
    <Skeleton aria-label={label} aria-busy="true" className={styles.root}>
      {Array.from({ length: rows }, (_, i) => (
        <SkeletonItem key={i} size={i === 0 ? 24 : 16} style={{ width: `${90 - i * 15}%` }} />
      ))}
    </Skeleton>
  );
}
