#!/usr/bin/env node
// The installed `sched` command. Node runs it in this same process (no child process), so signals
// such as a worker's SIGTERM reach the real code; load-entry.js says which code that is.
import { loadEntry } from './load-entry.js';

const { main } = await loadEntry('cli/main');
await main();
