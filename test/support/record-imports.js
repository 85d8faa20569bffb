// `node --import ./test/support/record-imports.js ...` appends the URL of every module the process
// resolves through `import` to the file named by $RECORD_IMPORTS, one a line: what a start-up loads.
import { register } from 'node:module';

register('./record-imports-hooks.js', import.meta.url);
