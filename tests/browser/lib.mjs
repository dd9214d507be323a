// What the browser tests share: the portal under test, Chromium, fresh accounts, the
// emails the portal sent, screenshots and the accessibility scan.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';
import { test } from 'node:test';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const run = promisify(execFile);

function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through infra/local/served.sh`);
  return value;
}

export const PORTAL = need('PORTAL_URL').replace(/\/$/, '');
const EMULATOR = need('AWS_EMULATOR_URL').replace(/\/$/, '');
/** Where screenshots and measurements go (target/browser/ under served.sh). */
export const SCREENSHOTS = process.env.SCREENSHOTS || join(process.cwd(), 'screenshots');

/** Headless Chromium as this machine's closed network needs it. */
export async function launch() {
  return chromium.launch({
    executablePath: need('CHROMIUM'),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
}

const openContexts = new Set();

/**
 * Runs a browser test; when it fails, every window still open is saved as a screenshot
 * (`failed-<test>-<n>.png` under target/browser/) and closed before the failure is reported.
 */
export function browserTest(name, body) {
  return test(name, async (t) => {
    try {
      await body(t);
    } catch (e) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      let n = 0;
      for (const context of openContexts) {
        for (const page of context.pages()) {
          n += 1;
          await page.screenshot({ path: join(SCREENSHOTS, `failed-${name}-${n}.png`), fullPage: true }).catch(() => {});
        }
        await context.close().catch(() => {});
      }
      throw e;
    }
  });
}

/**
 * A browser context (one user's window) that fails the test on any page error or
 * Content-Security-Policy violation: the app must work under its own strict policy.
 */
export async function windowFor(browser, options = {}) {
  const context = await browser.newContext({ baseURL: PORTAL, ...options });
  openContexts.add(context);
  context.on('close', () => openContexts.delete(context));
  const problems = [];
  context.on('page', (page) => watch(page, problems));
  const page = await context.newPage();
  watch(page, problems);
  return {
    context, page, problems,
    assertClean() {
      if (problems.length) throw new Error(`the page reported problems:\n${problems.join('\n')}`);
    },
  };
}

function watch(page, problems) {
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(text)) problems.push(`CSP: ${text}`);
  });
}

/**
 * A new approved partner (registered, email verified, KYC approved) with an admin, made
 * through the API by the same seeding the fuzzer uses: `{email, password, partner_id,
 * slug, business_name, admin_email, admin_password}`.
 */
export async function freshPartner() {
  const dir = mkdtempSync(join(tmpdir(), 'portal-browser-'));
  const out = join(dir, 'partner.json');
  try {
    await run(need('PORTAL_PYTHON'), [need('PORTAL_SEED'), '--fresh-partner', out], {
      env: { ...process.env, PORTAL_PORT: new URL(PORTAL).port, AWS_ENDPOINT_URL: EMULATOR },
      timeout: 300_000,
    });
    return JSON.parse(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The API, called as a client outside the browser (set-up only). */
export async function api(method, path, { body, token } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(PORTAL + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

export async function signIn(email, password) {
  const r = await api('POST', '/v1/auth/login', { body: { email, password } });
  if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token;
}

/**
 * The links of `path` (e.g. `/verify-email`) in the emails the portal sent to `address`,
 * as the emulator recorded them; waits for one to arrive.
 */
export async function emailedLinks(address, path, { timeoutMs = 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  const pattern = new RegExp(`https?://[^\\s"'<>\\\\]*${path.replace(/[/?]/g, (c) => `\\${c}`)}[^\\s"'<>\\\\]*`, 'g');
  while (Date.now() < deadline) {
    const data = await (await fetch(`${EMULATOR}/moto-api/data.json`)).json();
    const links = [];
    for (const message of messagesTo(data.ses ?? {}, address, path)) {
      for (const m of JSON.stringify(message).matchAll(pattern)) links.push(m[0].replace(/&amp;/g, '&'));
    }
    if (links.length) return [...new Set(links)];
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no email to ${address} with a ${path} link arrived`);
}

/**
 * The smallest objects of the emulator's dump that hold both `address` and `needle`: one
 * per message (its recipients and its body together).
 */
function messagesTo(node, address, needle) {
  if (Array.isArray(node)) return node.flatMap((n) => messagesTo(n, address, needle));
  if (node && typeof node === 'object') {
    const inner = Object.values(node).flatMap((n) => messagesTo(n, address, needle));
    if (inner.length) return inner;
    const text = JSON.stringify(node);
    return text.includes(address) && text.includes(needle) ? [node] : [];
  }
  return [];
}

/** A South African mobile number no other test uses. */
export function uniquePhone() {
  const digits = String(Date.now() % 1e7).padStart(7, '0');
  return `08${1 + Math.floor(Math.random() * 4)} ${digits.slice(0, 3)} ${digits.slice(3)}`;
}

/** A unique suffix for names and addresses. */
export function unique() {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Screenshots of the page at desktop size and at 375 px, under target/browser/. */
export async function screenshots(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const size = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-375.png`), fullPage: true });
  if (size) await page.setViewportSize(size);
}

/**
 * axe-core's WCAG 2.x A/AA rules on the page as it stands: the serious and critical
 * violations (each with its rule and where it was found).
 */
export async function accessibilityViolations(page) {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A new internal admin (admin-bootstrap, invoked as its Lambda): `{email, password}`. */
export async function freshAdmin() {
  const email = `ops-${unique()}@browser.partners.local`;
  const password = 'browser-admin-password';
  const response = await fetch(`${PORTAL}/2015-03-31/functions/admin-bootstrap/invocations`, {
    method: 'POST',
    body: JSON.stringify({ email, first_name: 'Olwethu', last_name: 'Admin', password }),
  });
  if (response.status !== 200) throw new Error(`admin-bootstrap answered ${response.status}: ${await response.text()}`);
  return { email, password };
}

export const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
/** A real `width`×`height` PNG of one opaque colour (8-bit RGB), made here: a decodable logo. */
export function png(width, height, [r, g, b] = [0x1f, 0x6f, 0xb2]) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits a sample, truecolour, deflate, no filter, no interlace
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x += 1) row.set([r, g, b], 1 + x * 3);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

export const KYC_TYPES = ['id_document', 'proof_of_address', 'bank_statement', 'business_registration'];

/** A registration body for a company applicant. */
export function application(email, password, business) {
  return {
    business_name: business, business_type: 'company', registration_number: '2021/000042/07',
    contact_person: 'Naledi Dlamini', email, phone: '021 555 0199', street_address: '5 Bree Street',
    city: 'Cape Town', province: 'western_cape', postal_code: '8001', country: 'ZA', password,
  };
}

/**
 * A partner that applied, verified its email and uploaded its four KYC documents (verified
 * by the bucket event, awaiting review), through the API: `{email, password, partner_id,
 * business_name, documents: [ids]}`.
 */
export async function partnerAwaitingReview() {
  const id = unique();
  const email = `applicant-${id}@browser.partners.local`;
  const password = 'browser-owner-password';
  const business = `Review Solar ${id}`;
  const registered = await api('POST', '/v1/auth/register', { body: application(email, password, business) });
  if (registered.status !== 201) throw new Error(`registration: ${registered.status} ${JSON.stringify(registered.body)}`);
  const [link] = await emailedLinks(email, '/verify-email');
  const token = new URL(link).searchParams.get('token');
  const verified = await api('POST', '/v1/auth/email/verify', { body: { token } });
  if (verified.status !== 204) throw new Error(`verification: ${verified.status}`);
  const owner = await signIn(email, password);
  const documents = [];
  for (const type of KYC_TYPES) {
    const granted = await api('POST', '/v1/kyc/documents', {
      token: owner, body: { document_type: type, file_name: `${type}.pdf`, content_type: 'application/pdf', size: PDF.length },
    });
    if (granted.status !== 201) throw new Error(`upload request: ${granted.status} ${JSON.stringify(granted.body)}`);
    const { url, headers } = granted.body.upload;
    const put = await fetch(url, { method: 'PUT', body: PDF, headers: Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'content-length')) });
    if (put.status !== 200) throw new Error(`upload: ${put.status}`);
    documents.push(granted.body.document.id);
  }
  const deadline = Date.now() + 120_000;
  for (;;) {
    const listed = await api('GET', '/v1/kyc/documents', { token: owner });
    if (listed.body.items.length === 4 && listed.body.items.every((d) => d.verification_status === 'pending')) break;
    if (Date.now() > deadline) throw new Error('the uploads were not verified');
    await new Promise((r) => setTimeout(r, 500));
  }
  const submitted = await api('POST', '/v1/kyc/submit', { token: owner });
  if (submitted.status !== 200) throw new Error(`submit: ${submitted.status} ${JSON.stringify(submitted.body)}`);
  return { email, password, partner_id: registered.body.partner_id, business_name: business, documents };
}

/** Signs in through the login page and waits until the app has left it. */
export async function signInPage(page, email, password) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}
