// The sentiment inference service: a served component with no data-service access (its model is in the image).
import type { SynthContext } from './context.js';
import { servedComponent } from './served.js';

export function ml(ctx: SynthContext): void {
  servedComponent(ctx, { component: 'ml', spec: ctx.spec.ml, env: {} });
}
