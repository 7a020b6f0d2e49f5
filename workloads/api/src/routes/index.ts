// Every router the API serves, in one list: server.ts mounts them and the OpenAPI test walks them.
import type Router from '@koa/router';
import type { AppDeps } from '../app/deps.js';
import { askRoutes } from './ask.js';
import { authRoutes } from './auth.js';
import { dashboardRoutes } from './dashboard.js';
import { healthRoutes } from './health.js';
import { ingestRoutes } from './ingest.js';
import { jobRoutes } from './jobs.js';
import { openapiRoutes } from './openapi.js';
import { reportsRoutes } from './reports.js';
import { searchRoutes } from './search.js';
import { ticketRoutes } from './tickets.js';

export async function allRoutes(deps: AppDeps): Promise<Router[]> {
  return [
    healthRoutes(deps),
    openapiRoutes(),
    await authRoutes(deps),
    ticketRoutes(deps),
    ingestRoutes(deps),
    jobRoutes(deps),
    dashboardRoutes(deps),
    searchRoutes(deps),
    askRoutes(deps),
    reportsRoutes(deps),
  ];
}
