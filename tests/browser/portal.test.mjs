// The web portal in headless Chromium against the local stack (infra/local/served.sh).
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  PDF, browserTest, KYC_TYPES, api, emailedLinks, freshAdmin, freshPartner, launch, partnerAwaitingReview,
  signIn, signInPage, unique, uniquePhone, windowFor,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const DOCUMENT_LABELS = {
  id_document: /^Upload ID document/i,
  proof_of_address: /^Upload proof of address/i,
  bank_statement: /^Upload bank statement/i,
  business_registration: /^Upload business registration/i,
};

/** The first document awaiting review: opened (its preview shown), then approved. */
async function reviewFirstPendingDocument(o) {
  const item = o.locator('li', { has: o.getByRole('button', { name: 'Approve', exact: true }) }).first();
  await item.waitFor();
  const approve = item.getByRole('button', { name: 'Approve', exact: true });
  assert.equal(await approve.isDisabled(), true, 'no approval before the document was opened');
  await item.getByRole('button', { name: 'Open', exact: true }).click();
  await o.locator('iframe[src^="blob:"], img[src^="blob:"]').first().waitFor();
  await o.waitForFunction((button) => !button.disabled, await approve.elementHandle(), { timeout: 20_000 });
  const reviewed = o.waitForResponse((r) => /\/v1\/admin\/kyc\/documents\/[^/]+\/review$/.test(r.url()));
  await approve.click();
  const answer = await reviewed;
  assert.equal(answer.status(), 200, await answer.text());
}

browserTest('a_new_partner_applies_verifies_email_uploads_kyc_and_is_approved_in_the_browser', async () => {
  const id = unique();
  const email = `owner-${id}@browser.partners.local`;
  const password = 'browser-owner-password';
  const business = `Sunrise Energy ${id}`;
  const partner = await windowFor(browser);
  const p = partner.page;

  // Applies.
  await p.goto('/register');
  await p.getByLabel('Business name').fill(business);
  await p.getByLabel('Type of business').selectOption('company');
  await p.getByLabel('Registration number').fill('2022/123456/07');
  await p.getByLabel('Contact person').fill('Naledi Dlamini');
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Phone').fill('021 555 0123');
  await p.getByLabel('Street address').fill('10 Loop Street');
  await p.getByLabel('City').fill('Cape Town');
  await p.getByLabel('Country').fill('ZA');
  const province = p.getByLabel(/^Province/);
  if ((await province.evaluate((e) => e.tagName)) === 'SELECT') await province.selectOption('western_cape');
  else await province.fill('Western Cape');
  await p.getByLabel('Postal code').fill('8001');
  await p.getByLabel('Password', { exact: true }).fill(password);
  await p.getByLabel('Repeat the password').fill(password);
  await p.getByRole('button', { name: 'Apply' }).click();
  await p.getByText(/check your email/i).first().waitFor();

  // Follows the link the email carries: a page of the portal.
  const [link] = await emailedLinks(email, '/verify-email');
  assert.equal(new URL(link).origin, new URL(p.url()).origin, 'the email links to the portal being tested');
  await p.goto(link);
  await p.getByRole('heading', { name: 'Email verified' }).waitFor();

  // Signs in and uploads the four KYC documents with the wizard, then submits.
  await signInPage(p, email, password);
  await p.goto('/app/onboarding');
  for (const type of KYC_TYPES) {
    await p.getByLabel(DOCUMENT_LABELS[type]).first().setInputFiles({ name: `${type}.pdf`, mimeType: 'application/pdf', buffer: PDF });
  }
  const submit = p.getByRole('button', { name: 'Submit application' });
  await submit.waitFor();
  await p.waitForFunction(() => {
    const b = [...document.querySelectorAll('button')].find((x) => x.textContent?.includes('Submit application'));
    return b && !b.disabled;
  }, null, { timeout: 120_000 });
  await submit.click();
  await p.getByText(/under review/i).first().waitFor();

  // Operations approve each document after opening it, then the partner.
  const admin = await freshAdmin();
  const ops = await windowFor(browser);
  const o = ops.page;
  await signInPage(o, admin.email, admin.password);
  const partnerId = (await api('GET', '/v1/partner', { token: await signIn(email, password) })).body.id;
  await o.goto(`/app/ops/partners/${partnerId}`);
  await o.getByRole('tab', { name: 'KYC' }).click();
  for (let i = 0; i < KYC_TYPES.length; i += 1) {
    await reviewFirstPendingDocument(o);
  }
  // The workspace as it is now (the reviews above reload it in the background).
  await o.goto(`/app/ops/partners/${partnerId}?tab=overview`);
  await o.getByText('Approval needs verified KYC').waitFor({ state: 'detached' });
  await o.getByRole('group', { name: 'Decisions' }).getByRole('button', { name: 'Approve', exact: true }).click();
  await o.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = (await api('GET', '/v1/partner', { token: await signIn(email, password) })).body.status;
    if (status === 'approved') break;
    assert.ok(Date.now() < deadline, `the partner is still ${status}`);
    await new Promise((r) => setTimeout(r, 500));
  }

  // The partner sees the approval.
  await p.goto('/app/onboarding');
  await p.getByText(/approved/i).first().waitFor();
  partner.assertClean();
  ops.assertClean();
  await partner.context.close();
  await ops.context.close();
});

browserTest('a_partner_registers_a_lead_moves_it_and_logs_a_call', async () => {
  const account = await freshPartner();
  const w = await windowFor(browser);
  const p = w.page;
  await signInPage(p, account.email, account.password);

  const last = `Mokoena-${unique()}`;
  await p.goto('/app/leads/new');
  await p.getByLabel('First name').fill('Lerato');
  await p.getByLabel('Last name').fill(last);
  // Leads are matched by email, phone and email domain: all unique here.
  await p.getByLabel('Email').fill(`lerato@brightfarms-${unique()}.co.za`);
  await p.getByLabel('Phone').fill(uniquePhone());
  await p.getByRole('button', { name: 'Register lead' }).click();
  await p.waitForURL(/\/app\/leads\/[0-9A-Z]{26}$/);
  const leadId = p.url().split('/').pop();

  // Moves it.
  const status = p.getByLabel('Status', { exact: true });
  await status.locator('option[value="contacted"]').waitFor({ state: 'attached' });
  const options = await status.locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  const next = options.includes('contacted') ? 'contacted' : options.find((o) => o !== 'new');
  assert.ok(next, `a status to move to among ${options}`);
  await status.selectOption(next);
  await p.getByRole('button', { name: 'Change status' }).click();
  const deadline = Date.now() + 20_000;
  const owner = await signIn(account.email, account.password);
  for (;;) {
    const lead = await api('GET', `/v1/leads/${leadId}`, { token: owner });
    if (lead.body.status === next) break;
    assert.ok(Date.now() < deadline, `the lead is still ${lead.body.status}`);
    await new Promise((r) => setTimeout(r, 300));
  }

  // Logs a call.
  await p.getByLabel('Type').selectOption('call');
  const notes = p.getByLabel(/notes|summary|description/i).last();
  await notes.fill('Called about the site visit; prefers mornings.');
  await p.getByRole('button', { name: 'Log activity' }).click();
  await p.getByText('Called about the site visit; prefers mornings.').first().waitFor();
  const activities = await api('GET', `/v1/leads/${leadId}/activities`, { token: owner });
  assert.equal(activities.body.items[0].type, 'call');

  // Sees it in the list with the filter applied.
  await p.goto('/app/leads');
  await p.getByLabel('Status', { exact: true }).selectOption(next);
  await p.getByRole('button', { name: 'Apply filters' }).click();
  await p.waitForURL((url) => url.searchParams.get('status') === next);
  await p.getByText(last).first().waitFor();
  w.assertClean();
  await w.context.close();
});

browserTest('a_conflicting_lead_shows_the_conflict_message_next_to_the_form', async () => {
  const account = await freshPartner();
  const owner = await signIn(account.email, account.password);
  const email = `johan@karoo-lodge-${unique()}.co.za`;
  const first = await api('POST', '/v1/leads', { token: owner, body: { first_name: 'Johan', last_name: 'van Wyk', email, phone: uniquePhone() } });
  assert.equal(first.status, 201, JSON.stringify(first.body));

  const w = await windowFor(browser);
  const p = w.page;
  await signInPage(p, account.email, account.password);
  await p.goto('/app/leads/new');
  await p.getByLabel('First name').fill('Johan');
  await p.getByLabel('Last name').fill('van Wyk');
  await p.getByLabel('Email').fill(email);
  const conflict = p.waitForResponse((r) => r.url().endsWith('/v1/leads') && r.request().method() === 'POST');
  await p.getByRole('button', { name: 'Register lead' }).click();
  const response = await conflict;
  assert.equal(response.status(), 409);
  const problem = await response.json();
  const alert = p.locator('form').getByRole('alert').filter({ hasText: problem.detail });
  await alert.first().waitFor();
  assert.match(p.url(), /\/app\/leads\/new$/, 'the form stays, with what was typed');
  assert.equal(await p.getByLabel('Email').inputValue(), email);
  w.assertClean();
  await w.context.close();
});

browserTest('an_expired_access_token_is_refreshed_silently_and_a_logout_ends_it', async () => {
  const account = await freshPartner();
  const w = await windowFor(browser);
  const p = w.page;
  await p.clock.install();
  await signInPage(p, account.email, account.password);
  await p.goto('/app/leads');
  await p.getByRole('heading', { name: 'Leads' }).waitFor();

  // Fifteen minutes later the access token has expired: the app refreshed it before then.
  const refreshed = p.waitForResponse((r) => r.url().endsWith('/v1/auth/refresh'));
  await p.clock.runFor(15 * 60 * 1000);
  assert.equal((await refreshed).status(), 200);

  // A 401 from the API (a token revoked or expired in between) is refreshed once and retried.
  let refused = 0;
  await p.route('**/v1/leads?*', async (route) => {
    if (refused === 0) {
      refused += 1;
      await route.fulfill({ status: 401, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'Authentication is required', status: 401, code: 'unauthenticated', detail: 'The access token has expired.' }) });
    } else {
      await route.continue();
    }
  });
  const retried = p.waitForResponse((r) => r.url().includes('/v1/leads') && r.status() === 200);
  const again = p.waitForResponse((r) => r.url().endsWith('/v1/auth/refresh'));
  await p.reload();
  assert.equal((await again).status(), 200);
  await retried;
  assert.equal(refused, 1);
  await p.unroute('**/v1/leads?*');

  // Signing out ends the session: the cookie is gone and no refresh brings it back.
  await p.getByRole('button', { name: /account menu/ }).click();
  const out = p.waitForResponse((r) => r.url().endsWith('/v1/auth/logout'));
  await p.getByRole('button', { name: 'Sign out' }).click();
  assert.equal((await out).status(), 204);
  await p.waitForURL(/\/login/);
  const cookies = await w.context.cookies();
  assert.equal(cookies.filter((c) => c.name === 'portal_refresh').length, 0, JSON.stringify(cookies));
  await p.goto('/app/leads');
  await p.waitForURL(/\/login/);
  w.assertClean();
  await w.context.close();
});

browserTest('the_refresh_cookie_is_httponly_and_javascript_cannot_read_a_token', async () => {
  const account = await freshPartner();
  const w = await windowFor(browser);
  const p = w.page;
  const login = p.waitForResponse((r) => r.url().endsWith('/v1/auth/login'));
  await signInPage(p, account.email, account.password);
  const body = await (await login).json();
  assert.ok(body.access_token, 'signed in');
  assert.equal(body.refresh_token, undefined, 'the refresh token never reaches a script');

  const cookie = (await w.context.cookies()).find((c) => c.name === 'portal_refresh');
  assert.ok(cookie, 'the refresh cookie is set');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.secure, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/v1/auth');

  const visible = await p.evaluate(() => ({
    cookie: document.cookie,
    local: JSON.stringify({ ...localStorage }),
    session: JSON.stringify({ ...sessionStorage }),
  }));
  assert.ok(!visible.cookie.includes('portal_refresh'), visible.cookie);
  for (const store of [visible.cookie, visible.local, visible.session]) {
    assert.ok(!store.includes(body.access_token), 'no access token in script-readable storage');
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\./.test(store), `no token-like value: ${store}`);
    assert.ok(!store.includes(cookie.value), 'no refresh token in script-readable storage');
  }
  w.assertClean();
  await w.context.close();
});

browserTest('operations_approve_a_kyc_document_after_opening_it', async () => {
  const applicant = await partnerAwaitingReview();
  const admin = await freshAdmin();
  const w = await windowFor(browser);
  const o = w.page;
  await signInPage(o, admin.email, admin.password);
  await o.goto(`/app/ops/partners/${applicant.partner_id}`);
  await o.getByRole('tab', { name: 'KYC' }).click();
  await reviewFirstPendingDocument(o);

  const owner = await signIn(applicant.email, applicant.password);
  const docs = (await api('GET', '/v1/kyc/documents', { token: owner })).body.items;
  assert.equal(docs.filter((d) => d.verification_status === 'approved').length, 1, JSON.stringify(docs));
  w.assertClean();
  await w.context.close();
});
