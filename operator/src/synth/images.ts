// The installation's image references: a platform team mirrors our images (and vLLM's) into its own
// registry and tells the operator once (--default-image), instead of pinning them in every tenant's spec.
import { DEFAULT_IMAGES, type ResolvedSpec } from '@sentiment/crds';

export type ImageName = keyof typeof DEFAULT_IMAGES;
export type DefaultImages = Partial<Record<ImageName, string>>;

/**
 * The spec with every built-in default image reference (DEFAULT_IMAGES) replaced by the installation's;
 * a reference the user pinned to anything else is kept.
 */
export function withDefaultImages(spec: ResolvedSpec, images: DefaultImages = {}): ResolvedSpec {
  const pick = (current: string, name: ImageName) =>
    current === DEFAULT_IMAGES[name] ? (images[name] ?? current) : current;
  const llm =
    spec.llm.provider === 'self-hosted'
      ? {
          ...spec.llm,
          selfHosted: {
            ...spec.llm.selfHosted,
            image: pick(spec.llm.selfHosted.image, spec.llm.selfHosted.runtime),
          },
        }
      : spec.llm;
  return {
    ...spec,
    api: { ...spec.api, image: pick(spec.api.image, 'api') },
    worker: { ...spec.worker, image: pick(spec.worker.image, 'api') },
    ml: { ...spec.ml, image: pick(spec.ml.image, 'ml') },
    llm,
  };
}
