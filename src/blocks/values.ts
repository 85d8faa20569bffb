import { z } from 'zod';
import { PROVIDER_NAMES } from '../provider-names.ts';
import { UNIT_SCOPES } from '../queue/run-scope.ts';
import { parseRunDate } from '../time/business-day.ts';

/**
 * Every value the app hands to Slack and gets back (button values, modal private_metadata) goes
 * through one codec: JSON out, and on the way back JSON.parse plus a strict zod schema. The text
 * comes back as untrusted input, so a decoder returns undefined for anything it did not encode.
 */
export function jsonCodec<Schema extends z.ZodType>(schema: Schema) {
  return {
    encode: (value: z.input<Schema>): string => JSON.stringify(value),
    decode(text: string | undefined): z.output<Schema> | undefined {
      try {
        const parsed = schema.safeParse(JSON.parse(text ?? ''));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

export const runDateField = z.string().refine((v) => parseRunDate(v) === v, 'a real YYYY-MM-DD date');
/** A non-negative whole number below 100,000. */
const smallInt = z.number().int().min(0).max(99_999);

const pageValue = jsonCodec(z.strictObject({ runDate: runDateField, page: smallInt }));
export type PageValue = NonNullable<ReturnType<typeof pageValue.decode>>;
export const encodePageValue = pageValue.encode;
export const decodePageValue = pageValue.decode;

const historyPage = jsonCodec(
  z.strictObject({ page: smallInt, pageSize: smallInt.min(1), totalDays: smallInt.min(1) }),
);
export type HistoryPageValue = NonNullable<ReturnType<typeof historyPage.decode>>;
export const encodeHistoryPage = historyPage.encode;
export const decodeHistoryPage = historyPage.decode;

const unitScopeField = z.enum(UNIT_SCOPES);
const providerField = z.enum(PROVIDER_NAMES);

const rerunPick = jsonCodec(
  z.strictObject({
    runDate: runDateField,
    scope: unitScopeField,
    orgId: z.uuid(),
    provider: providerField.optional(),
  }),
);
export type RerunPickValue = NonNullable<ReturnType<typeof rerunPick.decode>>;
export const encodeRerunPick = rerunPick.encode;
export const decodeRerunPick = rerunPick.decode;

/** A scoped repair (the "Retry <provider> only" button, the repair modal): the night and what to redo. */
const repairScopeValue = jsonCodec(
  z.strictObject({ runDate: runDateField, units: unitScopeField, provider: providerField.optional() }),
);
export type RepairScopeValue = NonNullable<ReturnType<typeof repairScopeValue.decode>>;
export const encodeRepairScope = repairScopeValue.encode;
export const decodeRepairScope = repairScopeValue.decode;

/**
 * What the repair modal carries to its submission: the night, the report message the button was
 * in (edited as the repair runs), and the click's response_url. Short keys: 3,000 characters at most.
 */
const repairModalMetadata = jsonCodec(
  z.strictObject({
    d: runDateField,
    c: z.string().max(40).optional(),
    t: z.string().max(40).optional(),
    r: z
      .url({ protocol: /^https?$/ })
      .max(1000)
      .optional(),
  }),
);

export interface RepairModalMetadata {
  runDate: string;
  message?: { channel: string; ts: string } | undefined;
  responseUrl?: string | undefined;
}

export function encodeRepairModalMetadata(m: RepairModalMetadata): string {
  return repairModalMetadata.encode({
    d: m.runDate,
    ...(m.message ? { c: m.message.channel, t: m.message.ts } : {}),
    ...(m.responseUrl ? { r: m.responseUrl } : {}),
  });
}

export function decodeRepairModalMetadata(text: string | undefined): RepairModalMetadata | undefined {
  const d = repairModalMetadata.decode(text);
  if (!d) return undefined;
  return { runDate: d.d, message: d.c && d.t ? { channel: d.c, ts: d.t } : undefined, responseUrl: d.r };
}
