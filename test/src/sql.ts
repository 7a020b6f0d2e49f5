// One query on its own connection: for tests that check what a role or a tenant's URL may do.
import pg from 'pg';

export async function sql(url: string, text: string, params?: unknown[]): Promise<pg.QueryResultRow[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}
