export { createApiServer, type ApiServer } from './server.js';
export { loadConfig, ConfigError, type ApiConfig } from './config.js';
export { runCsvJob, type CsvJob } from './ingest/csv-job.js';
export { migrate } from './store/migrations.js';
export { createPgDb, type Db } from './store/db.js';
export { jiraSampleCsv, type SampleOptions } from './sample/jira-sample.js';
export { getJob, login, uploadCsv, type QueuedJob } from './sample/client.js';
