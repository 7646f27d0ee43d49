/**
 * The databases a data-layer suite runs against: always a temporary SQLite file; PostgreSQL too
 * when TEST_DATABASE_URL is set (as CI does). Each PostgreSQL run gets a fresh database
 * `ec_test_<random>`, dropped afterwards, so runs never see each other's rows.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { migrateToLatest, openDatabase, type Db } from "../../server/db";

export interface TestDatabase {
  db: Db;
  url: string;
  close(): Promise<void>;
}

export interface DatabaseTarget {
  name: "sqlite" | "postgres";
  /** False when the target cannot run here (PostgreSQL without TEST_DATABASE_URL). */
  available: boolean;
  open(): Promise<TestDatabase>;
}

export async function openSqliteTestDatabase(): Promise<TestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-db-"));
  const url = path.join(dir, "test.db");
  const db = await openDatabase(url);
  await migrateToLatest(db);
  return {
    db,
    url,
    close: async () => {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function openPostgresTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `ec_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = await openDatabase(url);
  await migrateToLatest(db);
  return {
    db,
    url,
    close: async () => {
      await db.destroy();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      try {
        await a.query(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

export function databaseTargets(): DatabaseTarget[] {
  const pgUrl = process.env.TEST_DATABASE_URL;
  return [
    { name: "sqlite", available: true, open: openSqliteTestDatabase },
    { name: "postgres", available: !!pgUrl, open: () => openPostgresTestDatabase(pgUrl!) },
  ];
}
