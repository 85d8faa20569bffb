import { historyMessage } from '../blocks/history-message.ts';
import type { HistoryPageValue } from '../blocks/values.ts';
import type { Deps } from '../context.ts';
import { pricesOf } from '../coverage/night-cost.ts';
import { listHistory } from '../scheduler/history.ts';

/** One page of /sched-history: the command shows page 0, the Older / Newer buttons the others. */

export const HISTORY_PAGE_SIZE = 10;
export const DEFAULT_HISTORY_DAYS = 14;
export const MAX_HISTORY_DAYS = 366;

export async function historyPage(deps: Pick<Deps, 'db' | 'config' | 'clock'>, page: HistoryPageValue) {
  const totalDays = Math.min(Math.max(1, page.totalDays), MAX_HISTORY_DAYS);
  const pageSize = Math.min(Math.max(1, page.pageSize), HISTORY_PAGE_SIZE);
  const offset = page.page * pageSize;
  const days = Math.max(0, Math.min(pageSize, totalDays - offset));
  const entries = await listHistory(deps.db, {
    days,
    offset,
    now: deps.clock(),
    timezone: deps.config.timezone,
    prices: pricesOf(deps.config.providers),
  });
  return historyMessage({ entries, page: page.page, pageSize, totalDays, timezone: deps.config.timezone });
}
