#!/usr/bin/env node
// The installed `sched` command: loads the TypeScript CLI in-process through tsx,
// so there is no build step and signals (SIGTERM for workers) reach the real process.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
