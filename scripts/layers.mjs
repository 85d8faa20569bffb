// The layers of src/, top to bottom: a unit (a folder of src/, or a file at its top) may import
// units of its own layer or of a layer below it, never one above. scripts/check-layers.mjs reads
// this table (a unit missing from it fails CI too), and docs/architecture.md's layer list is generated
// from it (`node scripts/check-layers.mjs --write-readme`), so the two cannot drift apart.
export const LAYERS = [
  {
    name: 'entry points',
    units: {
      'index.ts': '`npm start` (bin/start.js): runs the bot in this process (signals in, exit code out)',
      'cli/': 'the `sched` command, one file per subcommand',
    },
  },
  {
    name: 'composition',
    units: {
      'app/':
        'the one wiring home: the runtime every entry point opens first (config, logger, database, migrations), the bot (runtime, workers, Slack, routes, console, cron), the Bolt app with its listeners, the process (signals in, exit code out), shutdown order',
    },
  },
  {
    name: 'Slack and console surfaces',
    units: {
      'listeners/':
        "the Slack app's listeners as Slack's templates lay them out: commands/, actions/, views/ (modal submissions), events/, options/ (typeaheads), one file per callback",
      'console/': 'the local console, with its loopback Web API and request signing',
    },
  },
  {
    name: 'report',
    units: {
      'report/':
        'the morning report: posting and editing it (post-once.ts: a post looked up by its metadata before it is sent again), repairs pressed from it, history pages',
      'chart/': 'the coverage chart, rendered to PNG in a worker thread',
    },
  },
  {
    name: 'Slack transport',
    units: {
      'slack/':
        'Bolt app and receivers, request guard, error handler, access check, reply helpers, the link that watches Slack, acting once per request, and web-client.ts: the one factory of Web API clients (timeout, bounded retries)',
    },
  },
  {
    name: 'HTTP',
    units: {
      'http/': 'cron endpoints, /healthz, /metrics, the small HTTP helpers',
    },
  },
  {
    name: 'blocks',
    units: {
      'blocks/': 'pure Block Kit and text builders (slack-block-builder); ids.ts holds every id',
    },
  },
  {
    name: 'checks and figures',
    units: {
      'audit/': '`sched audit`: one SQL check per invariant, the safe fixes, the text',
      'metrics/': 'the Prometheus registry and its gauges, the night watch gauges beside them',
    },
  },
  {
    name: 'steps',
    units: {
      'scheduler/':
        'the steps and their rules: trigger, workers, reconciler, postcheck step (and its wait for a late night), repair, rerun, run outcomes, cron, progress, late-step watch and rules, missed nights, snooze requests, paging a night',
      'args/':
        "arguments of the `sched` commands shared by the CLI and the console, and the scope flags as the scheduler's run scope",
    },
  },
  {
    name: 'store',
    units: {
      'store/':
        'table modules: each owns the SQL of one table outside the queue (scheduler_runs and its history reads, night_pages, workers, snoozes, slack_reports, late_alerts, night_warnings, night_acks, slack_request_claims, installation)',
    },
  },
  {
    name: 'queue',
    units: {
      'queue/':
        "the job queue SQL, one file per operation (enqueue, claim, complete, release, cancel, expire leases, close jobs, pause a provider, make and prune a night's partitions), with its wake-ups (NOTIFY and the listener), pacing, snooze holds and run scopes",
    },
  },
  {
    name: 'coverage',
    units: {
      'coverage/': 'the coverage SQL (one statement) and the pure math that turns it into the report',
    },
  },
  {
    name: 'adapters',
    units: {
      'providers/': 'one adapter per AI provider (official SDKs), plus the simulated ones',
      'orgs/': 'finding an organization by name',
      'paging/': 'outbound alerts: PagerDuty Events API v2 and the heartbeat ping',
    },
  },
  {
    name: 'process plumbing',
    units: {
      'context.ts': 'the explicit dependencies every service, handler and command is built from',
    },
  },
  {
    name: 'database',
    units: {
      'db/':
        'PGlite or node-postgres behind one drizzle type; schema, migrations, plans, demo seed, the embedded-database lock',
    },
  },
  {
    name: 'leaves',
    units: {
      'config.ts': 'environment variables, validated once',
      'logger.ts': 'pino, with secrets redacted',
      'errors.ts': 'one small vocabulary of errors: a code for programs, a sentence for people',
      'exit-codes.ts': 'the one exit-code table of `sched` and `npm start`',
      'provider-names.ts': 'the four provider names',
      'secrets.ts': 'what a secret looks like: log redaction and the string scrubber',
      'time/': 'business-day and cron rules (pure), and waits.ts: the one wait and timeout layer',
    },
  },
];

/** The layer index of every unit: 0 is the top. */
export function layerOfUnit() {
  const layerOf = new Map();
  LAYERS.forEach((layer, index) => {
    for (const unit of Object.keys(layer.units)) layerOf.set(unit, index);
  });
  return layerOf;
}

/** the architecture's layer list, one line per unit, in layer order. */
export function readmeLayerList() {
  const lines = [];
  for (const [index, layer] of LAYERS.entries()) {
    lines.push(`${index + 1}. ${layer.name}`);
    for (const [unit, description] of Object.entries(layer.units)) {
      lines.push(`   src/${unit.padEnd(24)} ${description}`);
    }
  }
  return lines.join('\n');
}
