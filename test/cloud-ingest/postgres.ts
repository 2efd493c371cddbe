// A PostgreSQL schema of its own for one test, dropped in teardown: the store's URL points its
// search_path there, so tests running at once never see each other's tables.
import pg from 'pg';
import { POSTGRES_URL } from '../helpers/services.js';
import type { Tap } from './fixture.js';

export { POSTGRES_URL };

let schemas = 0;

/** Creates a fresh schema; resolves to a store URL whose search_path is that schema. */
export async function postgresSchema(t: Tap): Promise<string> {
  const schema = `polegate_test_${process.pid}_${Date.now().toString(36)}_${schemas++}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  t.teardown(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });
  return `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}
