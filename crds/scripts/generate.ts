// Writes the CRD YAML that is committed and installed (kubectl apply -f crds/generated/, the Helm chart).
import { writeFileSync } from 'node:fs';
import { CRD_FILE } from './paths.js';
import { crdYaml } from '../src/crd.js';

writeFileSync(CRD_FILE, crdYaml());
console.log(`wrote ${CRD_FILE}`);
