// Dev server: the SPA calls same-origin /v1 unless an API address is entered at login, so `vite` proxies it to
// a running API (API_URL, default the API's local port). Production builds go to dist/, which the API serves
// locally (WEB_DIR) and S3 + CloudFront serve in AWS.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/v1': api, '/openapi.json': api } },
  build: { outDir: 'dist', emptyOutDir: true },
});
