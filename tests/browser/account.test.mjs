// A partner's own account in headless Chromium against the local stack (infra/local/served.sh):
// the profile with its logo and banking details, exports, and the calendar link.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  api, browserTest, freshPartner, launch, png, signIn, signInPage, unique, uniquePhone, windowFor,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

browserTest('a_partner_owner_edits_the_profile_and_uploads_a_logo', async () => {
  const account = await freshPartner();
  const w = await windowFor(browser);
  const p = w.page;
  await signInPage(p, account.email, account.password);
  await p.goto('/app/profile');
  const form = p.getByRole('form', { name: 'Profile details' });
  await form.waitFor();

  // A profile field and the banking details, saved together.
  const suburb = `Gardens ${unique()}`;
  await form.getByLabel(/^Suburb/).fill(suburb);
  await form.getByLabel(/^(Add|Replace the) banking details$/).check();
  await form.getByLabel('Bank name').fill('First National Bank');
  await form.getByLabel('Account holder').fill('Sunrise Energy (Pty) Ltd');
  await form.getByLabel('Account number').fill('6200 1234 567');
  await form.getByLabel('Account type').selectOption('cheque');
  await form.getByLabel('Branch code').fill('250655');
  const saved = p.waitForResponse((r) => r.url().endsWith('/v1/partner') && r.request().method() === 'PATCH');
  await form.getByRole('button', { name: 'Save' }).click();
  const answer = await saved;
  assert.equal(answer.status(), 200, await answer.text());
  await p.getByText('Your profile is saved.').first().waitFor();

  // After a reload: the new value, and the banking details only masked.
  await p.reload();
  await form.waitFor();
  assert.equal(await form.getByLabel(/^Suburb/).inputValue(), suburb);
  const banking = form.locator('fieldset', { has: p.locator('legend', { hasText: 'Banking details' }) });
  const shown = (label) => banking.locator('dt', { hasText: label }).locator('xpath=following-sibling::dd[1]').innerText();
  assert.equal(await shown('Account number'), '••••4567');
  assert.equal(await shown('Branch code'), '••••0655');
  assert.equal(await shown('Bank'), '••••Bank');
  const text = await p.locator('main').innerText();
  for (const secret of ['62001234567', '6200 1234 567', '250655', 'First National']) {
    assert.ok(!text.includes(secret), `the page shows ${secret} unmasked`);
  }

  // A logo: picked with the page's file input, uploaded to the bucket, checked, shown.
  const logo = p.locator('section', { has: p.getByRole('heading', { name: 'Logo' }) });
  await logo.getByText('No logo yet').waitFor();
  await logo.getByLabel('Logo file').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png(48, 48) });
  await logo.getByRole('button', { name: 'Upload logo' }).click();
  await p.getByText('Your logo is updated.').first().waitFor({ timeout: 60_000 });
  const image = logo.getByRole('img', { name: `${account.business_name} logo` });
  await image.waitFor();
  await p.waitForFunction((img) => img.complete && img.naturalWidth === 48 && img.naturalHeight === 48,
    await image.elementHandle(), { timeout: 20_000 });
  // Still there after a reload (a fresh presigned address of the stored logo).
  await p.reload();
  await image.waitFor();
  await p.waitForFunction((img) => img.complete && img.naturalWidth === 48, await image.elementHandle(), { timeout: 20_000 });
  const partner = (await api('GET', '/v1/partner', { token: await signIn(account.email, account.password) })).body;
  assert.equal(partner.has_logo, true);
  assert.equal(partner.address.suburb, suburb);
  w.assertClean();
  await w.context.close();
});

browserTest('a_partner_exports_leads_and_downloads_the_csv', async () => {
  const account = await freshPartner();
  const owner = await signIn(account.email, account.password);
  const last = `Ndlovu-${unique()}`;
  const created = await api('POST', '/v1/leads', {
    token: owner,
    body: { first_name: 'Sipho', last_name: last, email: `sipho@veld-${unique()}.co.za`, phone: uniquePhone(), company: 'Veld Farms' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const lead = created.body;

  const w = await windowFor(browser);
  const p = w.page;
  await signInPage(p, account.email, account.password);
  await p.goto('/app/exports');
  const form = p.getByRole('form', { name: 'New export' });
  await form.getByLabel('Kind').selectOption('leads');
  await form.getByLabel('Format').selectOption('csv');
  const requested = p.waitForResponse((r) => r.url().endsWith('/v1/exports') && r.request().method() === 'POST');
  await form.getByRole('button', { name: 'Start export' }).click();
  const answer = await requested;
  assert.equal(answer.status(), 202, await answer.text());

  // The export-worker builds it from the queue; the page polls until it is ready.
  const row = p.getByRole('list', { name: 'Exports you start here' }).getByRole('article').first();
  const download = row.getByRole('link', { name: 'Download' });
  await download.waitFor({ timeout: 120_000 });
  await row.getByText(/^1 row\. /).waitFor();

  // The link opens a new tab on the bucket's presigned address, which saves the file.
  const saved = new Promise((resolve) => {
    w.context.on('page', (tab) => tab.once('download', resolve));
    p.once('download', resolve);
  });
  await download.click();
  const file = await saved;
  assert.match(file.suggestedFilename(), /^leads-\d{4}-\d{2}-\d{2}\.csv$/);
  const chunks = [];
  for await (const chunk of await file.createReadStream()) chunks.push(chunk);
  const csv = Buffer.concat(chunks).toString('utf8');
  const lines = csv.split('\r\n');
  assert.equal(lines[0], 'id,first_name,last_name,email,phone,company,status,stage,source,estimated_value,'
    + 'estimated_value_currency,next_follow_up_at,last_contact_at,created_at,updated_at');
  const rows = lines.slice(1).filter(Boolean);
  assert.equal(rows.length, 1, csv);
  assert.ok(rows[0].startsWith(`${lead.id},Sipho,${last},${lead.email},`), rows[0]);
  assert.ok(rows[0].includes(',Veld Farms,new,'), rows[0]);
  w.assertClean();
  await w.context.close();
});

/** The calendar feed at `url`, fetched as a calendar app would: `{status, type, body}`. */
async function feed(url) {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}

browserTest('a_partner_gets_a_calendar_link_and_revoking_it_refuses_the_old_one', async () => {
  const account = await freshPartner();
  const owner = await signIn(account.email, account.password);
  const followUp = new Date(Date.now() + 2 * 86_400_000);
  followUp.setUTCHours(9, 0, 0, 0);
  const created = await api('POST', '/v1/leads', {
    token: owner,
    body: { first_name: 'Anele', last_name: `Khumalo-${unique()}`, phone: uniquePhone(), next_follow_up_at: followUp.toISOString() },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  const w = await windowFor(browser);
  const p = w.page;
  await signInPage(p, account.email, account.password);
  await p.goto('/app/settings');
  const link = p.getByLabel('Calendar feed URL');
  await p.waitForFunction((input) => input.value !== '', await link.elementHandle());
  const old = await link.inputValue();
  assert.match(old, /\/v1\/calendar\/[^/]+\.ics$/);

  // A calendar app reading the link gets the follow-up as an event.
  const first = await feed(old);
  assert.equal(first.status, 200, first.body);
  assert.match(first.type, /^text\/calendar\b/);
  assert.ok(first.body.startsWith('BEGIN:VCALENDAR\r\n'), first.body.slice(0, 200));
  const unfolded = first.body.replace(/\r\n[ \t]/g, '');
  assert.ok(unfolded.includes(`UID:follow-up-${created.body.id}@`), unfolded);

  // Revoked in the page: the old link is refused and the page shows a new one that works.
  await p.getByRole('button', { name: 'Revoke link' }).click();
  const dialog = p.getByRole('dialog', { name: 'Revoke the calendar link?' });
  await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
  await p.waitForFunction(([input, before]) => input.value !== '' && input.value !== before, [await link.elementHandle(), old]);
  const next = await link.inputValue();
  assert.match(next, /\/v1\/calendar\/[^/]+\.ics$/);
  assert.equal((await feed(old)).status, 404);
  const fresh = await feed(next);
  assert.equal(fresh.status, 200, fresh.body);
  assert.ok(fresh.body.startsWith('BEGIN:VCALENDAR\r\n'));
  w.assertClean();
  await w.context.close();
});
