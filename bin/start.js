// `npm start`: the bot, the scheduler and the workers, with the local console on a terminal.
import { loadEntry } from './load-entry.js';

const { main } = await loadEntry('index');
await main();
