import { DuckDBInstance } from '@duckdb/node-api';

/** Run SQL in an in-memory DuckDB and return the rows as objects (an independent reader/writer for tests). */
export async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    const reader = await con.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

/** SQL string literal. */
export const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
