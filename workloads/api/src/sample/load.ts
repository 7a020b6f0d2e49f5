// `node workloads/api/dist/sample/load.js URL`: loads a generated Jira export into a running API that
// has no tickets yet, as an analyst would (log in, upload, follow the job to its end). The cluster demo
// (`npm run start:cluster`) uses it. The account comes from ADMIN_EMAIL / ADMIN_PASSWORD; SAMPLE_TICKETS
// sets the size (500).
import { text } from 'node:stream/consumers';
import { getJob, login, uploadCsv } from './client.js';
import { jiraSampleCsv } from './jira-sample.js';

const [base] = process.argv.slice(2);
const { ADMIN_EMAIL: email, ADMIN_PASSWORD: password } = process.env;
if (!base || !email || !password) {
  console.error('usage: ADMIN_EMAIL=… ADMIN_PASSWORD=… node load.js API_URL');
  process.exit(2);
}
const tickets = Number(process.env.SAMPLE_TICKETS ?? 500);
const token = await login(base, email, password);
const overview = await fetch(`${base}/v1/dashboard/overview`, {
  headers: { authorization: `Bearer ${token}` },
});
const { totals } = (await overview.json()) as { totals: { tickets: number } };
if (totals.tickets > 0) {
  process.stderr.write(`[sample] the tenant already has ${totals.tickets} tickets; nothing loaded\n`);
  process.exit(0);
}
const csv = await text(jiraSampleCsv({ tickets }));
let job = await uploadCsv(base, token, new Blob([csv], { type: 'text/csv' }), 'sample-jira-export.csv');
process.stderr.write(`[sample] ${tickets} tickets uploaded as job ${job.id}\n`);
while (job.state !== 'completed' && job.state !== 'failed') {
  await new Promise((r) => setTimeout(r, 2000));
  job = await getJob(base, token, job.id);
  process.stderr.write(`[sample] ${job.state}: ${job.rowsScored}/${tickets} scored\n`);
}
if (job.state === 'failed') {
  console.error(`[sample] the job failed: ${job.failure}`);
  process.exit(1);
}
