import { buildPgliteTemplate, postgresTemplate } from './template.ts';

/**
 * vitest globalSetup: builds the migrated templates once, before any worker starts, so the
 * workers only copy them (test/support/template.ts).
 */
export default async function setup(): Promise<void> {
  await buildPgliteTemplate();
  const url = process.env.TEST_DATABASE_URL;
  if (url) await postgresTemplate(url);
}
