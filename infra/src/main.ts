// CDK entry point: `cdk synth -c env=production` (see cdk.json) or `npm run synth -w infra`.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addPlatform } from './app.js';
import { environmentFromContext } from './config/environments.js';
import { tenantApiOrigins } from './stacks/frontend.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const app = new App();
const config = environmentFromContext(app.node.tryGetContext('env'));
// `-c operatorChart=<dir>` installs another build of the chart (e.g. a packaged release) instead of the repo's.
const chartContext: unknown = app.node.tryGetContext('operatorChart');
const operatorChartDir =
  typeof chartContext === 'string'
    ? path.resolve(chartContext)
    : path.join(repoRoot, 'charts/sentiment-operator');

// `-c tenantApiOrigins=https://*.sentiment.example.com`: the tenant APIs (their Ingress hosts) the dashboard
// may call; its CSP and config.json list exactly these.
addPlatform(app, config, {
  operatorChartDir,
  tenantApiOrigins: tenantApiOrigins(app.node.tryGetContext('tenantApiOrigins')),
});
// Findings that are not acknowledged (with a reason, next to the resource) fail the synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
