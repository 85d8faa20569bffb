import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne } from '../../src/db/client.ts';
import { demoOrganizations, seedDemo } from '../../src/db/seed-demo.ts';
import { findOrg, findOrgExactly, searchOrgs } from '../../src/orgs/find-org.ts';
import { backends, type TestDatabase } from '../support/db.ts';

const names = (orgs: { name: string }[]) => orgs.map((o) => o.name);

describe.each(backends())('findOrg and searchOrgs on $name', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await backend.create();
    await seedDemo(database.db, { promptsPerOrg: 1 });
  });
  afterAll(() => database.close());

  it('finds an org by id, slug or name, whatever the case', async () => {
    const birch = demoOrganizations(28).find((o) => o.slug === 'birch-labs');
    expect(await findOrg(database.db, birch?.id as string)).toMatchObject({
      kind: 'found',
      org: { slug: 'birch-labs' },
    });
    expect(await findOrg(database.db, 'birch-labs')).toMatchObject({
      kind: 'found',
      org: { name: 'Birch Labs' },
    });
    expect(await findOrg(database.db, '  BIRCH LABS ')).toMatchObject({
      kind: 'found',
      org: { id: birch?.id, plan: 'growth', subscriptionStatus: 'active', active: true },
    });
    expect(await findOrg(database.db, 'Cobalt')).toMatchObject({
      kind: 'found',
      org: { name: 'Cobalt Health' },
    });
  });

  it('forgives small typos', async () => {
    expect(await findOrg(database.db, 'Birch Lbas')).toMatchObject({
      kind: 'found',
      org: { name: 'Birch Labs' },
    });
    expect(await findOrg(database.db, 'meridan foods')).toMatchObject({
      kind: 'found',
      org: { name: 'Meridian Foods' },
    });
    expect(await findOrg(database.db, 'zephyrlabs')).toMatchObject({
      kind: 'found',
      org: { name: 'Zephyr Labs' },
    });
  });

  it('says ambiguous with the candidates when several orgs match', async () => {
    const acme = await findOrg(database.db, 'acme');
    expect(acme.kind).toBe('ambiguous');
    expect(acme.kind === 'ambiguous' && names(acme.candidates)).toEqual(['Acme Analytics', 'Acme Logistics']);
    const analytics = await findOrg(database.db, 'Analytics');
    expect(analytics.kind === 'ambiguous' && analytics.candidates).toHaveLength(4);
  });

  it('says none with the closest names', async () => {
    const result = await findOrg(database.db, 'Pinoeer Capitol Group');
    expect(result.kind).toBe('none');
    expect(result.kind === 'none' && result.closest[0]).toBe('Pioneer Capital');
    expect(await findOrg(database.db, '')).toEqual({ kind: 'none', closest: [] });
  });

  it('treats SQL-ish, wildcard, NUL and huge input as plain text', async () => {
    for (const input of [
      "'; drop table organizations; --",
      "acme' or '1'='1",
      '%',
      '_',
      '\\',
      'x'.repeat(5000),
      '$1',
    ]) {
      expect((await findOrg(database.db, input)).kind).toBe('none');
      expect(names(await searchOrgs(database.db, { text: input, limit: 10 }))).toEqual([]);
    }
    // Nothing but control characters is an empty box: findOrg finds none, the typeahead browses.
    expect(await findOrg(database.db, '\u0000\u0000')).toEqual({ kind: 'none', closest: [] });
    expect(await searchOrgs(database.db, { text: '\u0000\u0000', limit: 3 })).toHaveLength(3);
    expect(await findOrg(database.db, 'birch\u0000labs')).toMatchObject({
      kind: 'found',
      org: { slug: 'birch-labs' },
    });
    const count = await queryOne<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from organizations`,
    );
    expect(count?.n).toBe(28);
  });

  it('typeahead: prefix matches first, capped at 100, typos fall back to the nearest names', async () => {
    expect(names(await searchOrgs(database.db, { text: 'ac', limit: 3 }))).toEqual([
      'Acme Analytics',
      'Acme Logistics',
    ]);
    expect(names(await searchOrgs(database.db, { text: 'labs', limit: 100 }))).toEqual([
      'Birch Labs',
      'Juniper Labs',
      'Redwood Labs',
      'Zephyr Labs',
    ]);
    expect(await searchOrgs(database.db, { text: '', limit: 1000 })).toHaveLength(28);
    expect(await searchOrgs(database.db, { text: 'a', limit: 2 })).toHaveLength(2);
    expect(names(await searchOrgs(database.db, { text: 'zephir', limit: 10 }))).toEqual(['Zephyr Labs']);
  });
});

describe.each(backends())('org search among 50,000 orgs on $name', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await backend.create();
    // 50,000 orgs, and one more whose name sorts after all of them.
    await database.db.execute(sql`
      insert into organizations (name, slug, plan, subscription_status)
      select 'Org ' || lpad(i::text, 6, '0'), 'org-' || lpad(i::text, 6, '0'), 'growth', 'active'
      from generate_series(1, 50000) i`);
    await database.db.execute(sql`
      insert into organizations (name, slug, plan, subscription_status)
      values ('Zzyzx Works', 'zzyzx-works', 'growth', 'active')`);
    await database.db.execute(sql`analyze organizations`);
  });
  afterAll(() => database.close());

  it('finds a misspelt org wherever its name sorts, not only among the first 50,000', async () => {
    expect(await findOrg(database.db, 'Zzyzx Wroks')).toMatchObject({
      kind: 'found',
      org: { slug: 'zzyzx-works' },
    });
    expect(names(await searchOrgs(database.db, { text: 'zzyzx wroks', limit: 10 }))).toEqual(['Zzyzx Works']);
    const guess = await findOrgExactly(database.db, { query: 'Zzyzx Wroks' });
    expect(guess.kind === 'guess' && names(guess.suggestions)[0]).toBe('Zzyzx Works');
    expect(await findOrg(database.db, 'org 049999')).toMatchObject({
      kind: 'found',
      org: { slug: 'org-049999' },
    });
  });
});
