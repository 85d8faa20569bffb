#!/usr/bin/env node
// CI's layer check: no import cycle between files, and none between folders of src/ (a file at
// src/ itself counts as its own node: index.ts composes, config.ts and friends are leaves).
// dependency-cruiser reads the imports (type-only ones too); the folder graph is built here. Every
// folder of src/ is a node of its own, src/queue/ too: src/scheduler/ imports it, so an import from
// src/queue/ up into src/scheduler/ closes a folder cycle and fails.
import { execFileSync } from 'node:child_process';

const json = execFileSync('npx', ['depcruise', 'src', '--output-type', 'json'], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
const { modules, summary } = JSON.parse(json);

const unitOf = (path) => {
  const parts = path.split('/');
  return parts.length > 2 ? `${parts[1]}/` : parts[1];
};

const edges = new Map();
const examples = new Map();
for (const module of modules) {
  if (!module.source.startsWith('src/')) continue;
  for (const dependency of module.dependencies) {
    if (!dependency.resolved.startsWith('src/')) continue;
    const from = unitOf(module.source);
    const to = unitOf(dependency.resolved);
    if (from === to) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from).add(to);
    const key = `${from} -> ${to}`;
    if (!examples.has(key)) examples.set(key, `${module.source} imports ${dependency.resolved}`);
  }
}

// Tarjan's strongly connected components: any component of two or more units is a cycle.
let index = 0;
const stack = [];
const state = new Map();
const cycles = [];
const visit = (unit) => {
  state.set(unit, { index, low: index, onStack: true });
  index += 1;
  stack.push(unit);
  for (const next of edges.get(unit) ?? []) {
    if (!state.has(next)) {
      visit(next);
      state.get(unit).low = Math.min(state.get(unit).low, state.get(next).low);
    } else if (state.get(next).onStack) {
      state.get(unit).low = Math.min(state.get(unit).low, state.get(next).index);
    }
  }
  if (state.get(unit).low === state.get(unit).index) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      state.get(member).onStack = false;
      component.push(member);
    } while (member !== unit);
    if (component.length > 1) cycles.push(component);
  }
};
for (const unit of edges.keys()) if (!state.has(unit)) visit(unit);

let failed = false;
if (summary.error > 0) {
  failed = true;
  for (const violation of summary.violations) {
    console.error(
      `file cycle: ${[violation.from, ...(violation.cycle ?? []).map((c) => c.name ?? c)].join(' -> ')}`,
    );
  }
}
for (const component of cycles) {
  failed = true;
  const members = new Set(component);
  console.error(`folder cycle: ${component.sort().join(', ')}`);
  for (const from of component) {
    for (const to of edges.get(from) ?? []) {
      if (members.has(to)) console.error(`  ${examples.get(`${from} -> ${to}`)}`);
    }
  }
}
if (failed) process.exit(1);
console.log(`layers: ${modules.length} modules, no file or folder import cycle`);
