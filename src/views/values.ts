import { parseRunDate } from '../time/business-day.ts';

/**
 * Button values that carry more than one field. A value comes back from Slack as untrusted text,
 * so every decoder validates and returns undefined for anything it did not encode.
 */

export interface PageValue {
  runDate: string;
  page: number;
}

export const encodePageValue = (value: PageValue): string => `${value.runDate}|${value.page}`;

export function decodePageValue(text: string): PageValue | undefined {
  const [date, page, ...rest] = text.split('|');
  const runDate = parseRunDate(date ?? '');
  const pageNumber = smallInt(page);
  if (rest.length > 0 || !runDate || pageNumber === undefined) return undefined;
  return { runDate, page: pageNumber };
}

export interface HistoryPageValue {
  page: number;
  pageSize: number;
  totalDays: number;
}

export const encodeHistoryPage = (value: HistoryPageValue): string =>
  `${value.page}|${value.pageSize}|${value.totalDays}`;

export function decodeHistoryPage(text: string): HistoryPageValue | undefined {
  const parts = text.split('|').map(smallInt);
  const [page, pageSize, totalDays] = parts;
  if (parts.length !== 3 || page === undefined || pageSize === undefined || totalDays === undefined) {
    return undefined;
  }
  if (pageSize < 1 || totalDays < 1) return undefined;
  return { page, pageSize, totalDays };
}

export interface RerunPickValue {
  runDate: string;
  scope: 'missing' | 'all';
  orgId: string;
}

export const encodeRerunPick = (value: RerunPickValue): string =>
  `${value.runDate}|${value.scope}|${value.orgId}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeRerunPick(text: string): RerunPickValue | undefined {
  const [date, scope, orgId, ...rest] = text.split('|');
  const runDate = parseRunDate(date ?? '');
  if (rest.length > 0 || !runDate || (scope !== 'missing' && scope !== 'all')) return undefined;
  if (!orgId || !UUID.test(orgId)) return undefined;
  return { runDate, scope, orgId };
}

/** A non-negative integer below 100,000 written in plain digits, else undefined. */
function smallInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  return Number(text);
}
