/**
 * The embedded database holds captured mail: its directory and files are the owner's alone, like the
 * token key file (docs/security.md).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { openDatabase } from "../../server/db";

test("a new SQLite database and its WAL are created owner-only, in an owner-only directory", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ec-perm-"));
  const file = path.join(root, "data", "engagement-capture.db");
  const db = await openDatabase(file);
  try {
    await sql`create table t (n integer)`.execute(db);
    await sql`insert into t values (1)`.execute(db);
    const mode = (p: string) => fs.statSync(p).mode & 0o777;
    expect(mode(path.dirname(file))).toBe(0o700);
    expect(mode(file) & 0o077).toBe(0);
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    expect(mode(`${file}-wal`) & 0o077).toBe(0);
  } finally {
    await db.destroy();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
