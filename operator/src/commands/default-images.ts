// --default-image NAME=REF, shared by `run` and `render`: the installation's references for the images
// tenants use unless they pin their own (e.g. a mirror in the cluster's ECR). Repeatable or
// comma-separated (env DEFAULT_IMAGES).
import { DEFAULT_IMAGES } from '@sentiment/crds';
import type { DefaultImages, ImageName } from '../synth/images.js';
import { CommandError } from './manifests.js';

const NAMES = Object.keys(DEFAULT_IMAGES) as ImageName[];

/** The images of the flags, else of `env`; throws a usage error for an unknown name or an empty reference. */
export function defaultImages(flags: readonly string[] = [], env?: string): DefaultImages {
  const given = flags.length > 0 ? flags : env ? [env] : [];
  const images: DefaultImages = {};
  for (const item of given
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = item.indexOf('=');
    const name = item.slice(0, eq) as ImageName;
    const ref = item.slice(eq + 1).trim();
    if (eq < 0 || !NAMES.includes(name) || !ref || /\s/.test(ref))
      throw new CommandError(
        `--default-image: "${item}" is not NAME=IMAGE with NAME one of ${NAMES.join(', ')}`,
        2,
      );
    images[name] = ref;
  }
  return images;
}
