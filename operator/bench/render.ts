// Render benchmark: how long synth takes per platform (median over many runs, after warm-up), and
// how that compares with merely serialising the same objects with JSON.stringify — the floor any
// renderer pays. Run: npm run bench -w operator  (RUNS=… to change the sample size).
import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { SentimentPlatform } from '@sentiment/crds';
import { synthesize, toYaml } from '../src/synth/index.js';

const RUNS = Number(process.env.RUNS ?? 200);
const WARMUP = 20;
const EXAMPLES = new URL('../../examples/', import.meta.url);

const platforms = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(new URL(f, EXAMPLES), 'utf8')).map((d) => d.toJS() as SentimentPlatform),
  )
  .filter((p) => p?.kind === 'SentimentPlatform');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;

function time(fn: () => unknown): number[] {
  for (let i = 0; i < WARMUP; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return samples;
}

const ms = (x: number) => x.toFixed(3).padStart(8);
console.log(
  `render benchmark: ${RUNS} runs per platform after ${WARMUP} warm-up runs; times in ms (node ${process.version})`,
);
console.log(
  `${'platform'.padEnd(12)} ${'objects'.padStart(7)} ${'synth p50'.padStart(9)} ${'synth p95'.padStart(9)} ${'+yaml p50'.padStart(9)} ${'stringify'.padStart(9)} ${'ratio'.padStart(7)}`,
);
const ratios: number[] = [];
for (const p of platforms) {
  const input = { metadata: p.metadata, spec: p.spec };
  const objects = synthesize(input).objects;
  const synth = time(() => synthesize(input));
  const yaml = time(() => toYaml(synthesize(input).objects));
  const stringify = time(() => JSON.stringify(objects));
  const ratio = median(synth) / median(stringify);
  ratios.push(ratio);
  console.log(
    `${p.metadata.name.padEnd(12)} ${String(objects.length).padStart(7)} ${ms(median(synth))} ${ms(p95(synth))} ${ms(median(yaml))} ${ms(median(stringify))} ${ratio.toFixed(0).padStart(6)}×`,
  );
}
console.log(`median ratio synth / JSON.stringify: ${median(ratios).toFixed(0)}×`);
