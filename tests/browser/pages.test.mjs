// Every main page: an accessibility scan (axe-core, WCAG 2.x A and AA) with no serious or
// critical violation, and screenshots at desktop size and 375 px under target/browser/.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { accessibilityViolations, browserTest, freshPartner, launch, screenshots, signInPage, windowFor } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PUBLIC = [
  ['login', '/login'],
  ['register', '/register'],
  ['password-forgot', '/password/forgot'],
];
const PARTNER = [
  ['dashboard', '/app'],
  ['onboarding', '/app/onboarding'],
  ['leads', '/app/leads'],
  ['lead-new', '/app/leads/new'],
  ['commissions', '/app/commissions'],
  ['payouts', '/app/payouts'],
  ['resources', '/app/resources'],
  ['exports', '/app/exports'],
  ['profile', '/app/profile'],
  ['users', '/app/users'],
  ['settings', '/app/settings'],
  ['notifications', '/app/settings/notifications'],
];
const OPERATIONS = [
  ['ops-directory', '/app/ops'],
  ['ops-partner', (account) => `/app/ops/partners/${account.partner_id}`],
  ['ops-leads', '/app/ops/leads'],
  ['ops-tasks', '/app/ops/tasks'],
  ['ops-commissions', '/app/ops/commissions'],
  ['ops-resources', '/app/ops/resources'],
  ['ops-activity', '/app/ops/activity'],
  ['ops-staff', '/app/ops/staff'],
  ['ops-crm', '/app/ops/crm'],
  ['ops-analytics', '/app/ops/analytics'],
];

/** Waits until the page has settled: its heading shown and no loading indicator left. */
async function settled(page) {
  await page.locator('h1').first().waitFor();
  // Not "network idle": some pages poll (documents being checked, exports being built).
  // Loaded: no loading indicator (the kit's `.loading`) and nothing marked busy.
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"], .loading'), null, { timeout: 15_000 }).catch(() => {});
  await page.waitForTimeout(500);
}

browserTest('the_main_pages_have_no_serious_or_critical_accessibility_violations', async () => {
  const account = await freshPartner();
  const found = {};
  // The scan injects axe-core, which the pages' own policy would refuse: this window only.
  const visitor = await windowFor(browser, { bypassCSP: true });
  for (const [name, path] of PUBLIC) {
    await visitor.page.goto(path);
    await settled(visitor.page);
    found[name] = await accessibilityViolations(visitor.page);
    await screenshots(visitor.page, name);
  }
  const partner = await windowFor(browser, { bypassCSP: true });
  await signInPage(partner.page, account.email, account.password);
  for (const [name, path] of PARTNER) {
    await partner.page.goto(path);
    await settled(partner.page);
    found[name] = await accessibilityViolations(partner.page);
    await screenshots(partner.page, name);
  }
  const ops = await windowFor(browser, { bypassCSP: true });
  await signInPage(ops.page, account.admin_email, account.admin_password);
  for (const [name, path] of OPERATIONS) {
    await ops.page.goto(typeof path === 'function' ? path(account) : path);
    await settled(ops.page);
    found[name] = await accessibilityViolations(ops.page);
    await screenshots(ops.page, name);
  }
  const table = Object.entries(found).map(([page, v]) => `${page}: ${v.length ? v.map((x) => `${x.impact} ${x.id} (${x.help}) at ${x.nodes.join(', ')}`).join('; ') : '0 serious or critical'}`);
  console.log(`accessibility scan (axe-core, WCAG 2.x A/AA):\n  ${table.join('\n  ')}`);
  const failing = Object.entries(found).filter(([, v]) => v.length);
  assert.deepEqual(failing, [], 'serious or critical violations');
  for (const w of [visitor, partner, ops]) {
    w.assertClean();
    await w.context.close();
  }
});
