// The dashboard in a real browser: headless Chromium (Debian's package)
// driven by playwright-core against a dpsim this test starts itself.
//
// env: DPSIM_BIN (the dpsim to run), CHROMIUM (default /usr/bin/chromium),
// SCREENSHOT_DIR (where dashboard.png and dashboard-phone.png go; default
// the working directory), DPSIM_WRAPPER (e.g. valgrind, as the
// integration tests take it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOT_DIR || process.cwd();
const DP01 = '["Display=\\\\DP01.contoso.com\\"]MSWNET:["SMS_SITE=PS1"]\\\\DP01.contoso.com\\';
const DP03 = '["Display=\\\\DP03.branch.contoso.com\\"]MSWNET:["SMS_SITE=PS1"]\\\\DP03.branch.contoso.com\\';
const NS = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1';

let dir, dpsim, base, browser;

function request(method, path, { body, user, pass, type } = {}) {
	return new Promise((resolve, reject) => {
		const headers = {};
		if (user) headers.Authorization = 'Basic ' +
			Buffer.from(user + ':' + pass).toString('base64');
		if (body !== undefined) {
			headers['Content-Type'] = type;
			headers['Content-Length'] = Buffer.byteLength(body);
		}
		const rq = http.request(base + path, { method, headers }, (res) => {
			let data = '';
			res.setEncoding('utf8');
			res.on('data', (c) => { data += c; });
			res.on('end', () => resolve({ status: res.statusCode, body: data }));
		});
		rq.on('error', reject);
		if (body !== undefined) rq.write(body);
		rq.end();
	});
}

function envelope(action, resource, body) {
	return '<?xml version="1.0" encoding="utf-8"?>' +
		'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ' +
		'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
		'xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" ' +
		'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">' +
		'<s:Header><a:To>' + base + '/wsman</a:To>' +
		'<a:ReplyTo><a:Address s:mustUnderstand="true">' +
		'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>' +
		'<w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize>' +
		'<a:MessageID>uuid:' + crypto.randomUUID() + '</a:MessageID>' +
		'<w:OperationTimeout>PT20S</w:OperationTimeout>' +
		'<w:ResourceURI s:mustUnderstand="true">' + resource + '</w:ResourceURI>' +
		'<a:Action s:mustUnderstand="true">' + action + '</a:Action>' +
		'</s:Header><s:Body>' + body + '</s:Body></s:Envelope>';
}

const xmlText = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

// SetDPMaintenanceMode over WS-Man, as pywinrm sends it.
async function wsmanSetMode(nal, mode, user = 'lab', pass = 'lab') {
	const uri = NS + '/SMS_DistributionPointInfo';
	const body = '<p:SetDPMaintenanceMode_INPUT xmlns:p="' + uri + '">' +
		'<p:NALPath>' + xmlText(nal) + '</p:NALPath><p:Mode>' + mode +
		'</p:Mode></p:SetDPMaintenanceMode_INPUT>';
	return request('POST', '/wsman', {
		body: envelope(uri + '/SetDPMaintenanceMode', uri, body),
		type: 'application/soap+xml;charset=UTF-8', user, pass,
	});
}

// MaintenanceMode of one DP read back with a WQL Enumerate.
async function wsmanMode(name) {
	const body = '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements>' +
		'<w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">' +
		"SELECT * FROM SMS_DistributionPointInfo WHERE Name='" + name +
		"'</w:Filter></n:Enumerate>";
	const r = await request('POST', '/wsman', {
		body: envelope('http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate',
			       NS + '/*', body),
		type: 'application/soap+xml;charset=UTF-8', user: 'lab', pass: 'lab',
	});
	assert.equal(r.status, 200, r.body);
	const m = /MaintenanceMode>(\d+)</.exec(r.body);
	assert.ok(m, 'no MaintenanceMode in ' + r.body);
	return Number(m[1]);
}

async function waitForFile(path, ms) {
	const end = Date.now() + ms;
	while (Date.now() < end) {
		if (existsSync(path) && readFileSync(path, 'utf8').trim()) return;
		if (dpsim.exitCode !== null) throw new Error('dpsim exited: ' + dpsim.exitCode);
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error('dpsim did not become ready in ' + ms + ' ms');
}

before(async () => {
	assert.ok(process.env.DPSIM_BIN, 'DPSIM_BIN names the dpsim to test');
	dir = mkdtempSync(join(tmpdir(), 'dpsim-browser-'));
	const portFile = join(dir, 'port');
	const args = ['--listen', '127.0.0.1:0', '--port-file', portFile, '--db', ':memory:',
		      '--seed', '1', '--log-level', 'warn'];
	const wrap = (process.env.DPSIM_WRAPPER || '').split(' ').filter(Boolean);
	dpsim = spawn(wrap[0] || process.env.DPSIM_BIN,
		      wrap.length ? [...wrap.slice(1), process.env.DPSIM_BIN, ...args] : args,
		      { stdio: ['ignore', 'ignore', 'inherit'] });
	await waitForFile(portFile, wrap.length ? 60000 : 10000);
	base = 'http://127.0.0.1:' + readFileSync(portFile, 'utf8').trim();
	mkdirSync(join(dir, 'profile'));
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		       '--disable-background-networking', '--disable-component-update',
		       '--disable-sync'],
	});
});

after(async () => {
	if (browser) await browser.close();
	if (dpsim && dpsim.exitCode === null) {
		const done = new Promise((r) => dpsim.once('exit', r));
		dpsim.kill('SIGTERM');
		await done;
		assert.equal(dpsim.exitCode, 0, 'dpsim stopped cleanly');
	}
	if (dir) rmSync(dir, { recursive: true, force: true });
});

async function signedIn(user, pass, viewport = { width: 1280, height: 720 }) {
	const ctx = await browser.newContext({ viewport });
	const page = await ctx.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push(String(e)));
	page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
	await page.goto(base + '/');
	await page.getByLabel('User name').fill(user);
	await page.getByLabel('Password').fill(pass);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.locator('#dps li.card').first().waitFor();
	return { ctx, page, errors };
}

const card = (page, name) => page.locator('#dps li.card[data-name="' + name + '"]');
const cardIn = (page, name, mode) =>
	page.locator('#dps li.card[data-name="' + name + '"][data-mode="' + mode + '"]');

test('the page lists the lab\'s six DPs with kind and state', async () => {
	const { ctx, page, errors } = await signedIn('lab', 'lab');
	await page.locator('#dps li.card').nth(5).waitFor();
	assert.equal(await page.locator('#dps li.card').count(), 6);
	const names = await page.locator('#dps li.card h3').allTextContents();
	assert.deepEqual(names.sort(), ['CLOUDDP01.cloudapp.net', 'DP01.contoso.com',
		'DP02.contoso.com', 'DP03.branch.contoso.com', 'PULLDP01.contoso.com',
		'PXE01.contoso.com']);
	assert.equal(await card(page, 'DP02.contoso.com').locator('.state').textContent(),
		     '\u26A0In maintenance');
	assert.equal(await card(page, 'PXE01.contoso.com').locator('.kind').textContent(), 'PXE DP');
	assert.equal(await card(page, 'PULLDP01.contoso.com').locator('.kind').textContent(), 'Pull DP');
	assert.equal(await card(page, 'CLOUDDP01.cloudapp.net').locator('.kind').textContent(), 'Cloud DP');
	assert.match(await page.locator('h1').textContent(), /Contoso Lab \(PS1\)/);
	// What clients are offered: DP02 is withheld from HQ clients.
	const hq = page.locator('#groups li.group', { has: page.locator('h3', { hasText: 'HQ clients' }) });
	assert.match(await hq.locator('li.withheld').textContent(), /DP02.*withheld/);
	assert.equal(await hq.locator('li.withheld .dpn').getAttribute('title'), 'DP02.contoso.com');
	assert.equal(await hq.locator('li.offered').count(), 3);
	// One site: no selector.
	assert.equal(await page.locator('#site-pick').isVisible(), false);
	assert.deepEqual(errors, []);
	await ctx.close();
});

test('a WS-Man change by another client appears without reload within 2 s', async () => {
	const { ctx, page } = await signedIn('lab', 'lab');
	const dp03 = card(page, 'DP03.branch.contoso.com');
	assert.equal(await dp03.getAttribute('data-mode'), '0');
	const r = await wsmanSetMode(DP03, 1);
	assert.equal(r.status, 200, r.body);
	assert.match(r.body, /ReturnValue>0</);
	const t0 = Date.now();
	await cardIn(page, 'DP03.branch.contoso.com', 1)
		.waitFor({ timeout: 2000 });
	assert.ok(Date.now() - t0 < 2000);
	// The feed shows who did it, over which protocol.
	const row = page.locator('#feed tr', { has: page.locator('td.dp[title="DP03.branch.contoso.com"]') }).first();
	await row.waitFor({ timeout: 2000 });
	assert.match(await row.textContent(), /lab.*wsman.*Maintenance on.*DP03.*OK/);
	// Branch clients now fall back to DP01.
	const branch = page.locator('#groups li.group', { has: page.locator('h3', { hasText: 'Branch office' }) });
	assert.match(await branch.locator('li.withheld').textContent(), /DP03/);
	// The site's status message names the administrator and the DP.
	const msg = page.locator('#statmsgs li[data-message-id="40411"]',
				 { hasText: 'DP03.branch.contoso.com' }).first();
	await msg.waitFor({ timeout: 2000 });
	assert.match(await msg.textContent(), /40411 lab enabled maintenance mode on distribution point DP03\.branch\.contoso\.com\. SMS Provider on CM01\.contoso\.com/);
	assert.equal(await wsmanSetMode(DP03, 0).then((x) => x.status), 200);
	await cardIn(page, 'DP03.branch.contoso.com', 0)
		.waitFor({ timeout: 2000 });
	await page.locator('#statmsgs li[data-message-id="40412"]',
			   { hasText: 'lab disabled maintenance mode on distribution point DP03.branch.contoso.com.' })
		.first().waitFor({ timeout: 2000 });
	// Newest first.
	assert.equal(await page.locator('#statmsgs li').first().getAttribute('data-message-id'), '40412');
	await ctx.close();
});

test('enable from the page puts the DP in maintenance and WS-Man agrees', async () => {
	const { ctx, page, errors } = await signedIn('lab', 'lab');
	assert.equal(await wsmanMode('DP01.contoso.com'), 0);
	await page.getByRole('button', { name: 'Enable maintenance mode on DP01.contoso.com' }).click();
	await cardIn(page, 'DP01.contoso.com', 1).waitFor({ timeout: 2000 });
	assert.match(await page.locator('#status').textContent(), /DP01\.contoso\.com is now in maintenance/);
	assert.equal(await wsmanMode('DP01.contoso.com'), 1);
	// Journaled as the same provider call, protocol dashboard, and the
	// site's status message written as for any other client.
	const j = await request('GET', '/_dpsim/journal/count?protocol=dashboard&user=lab&result=ok');
	assert.equal(JSON.parse(j.body).count, 1);
	await page.locator('#statmsgs li[data-message-id="40411"]',
			   { hasText: 'lab enabled maintenance mode on distribution point DP01.contoso.com.' })
		.first().waitFor({ timeout: 2000 });

	// Keyboard only: focus the button and press Enter to turn it off.
	const btn = page.getByRole('button', { name: 'Disable maintenance mode on DP01.contoso.com' });
	await btn.focus();
	assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')),
		     'Disable maintenance mode on DP01.contoso.com');
	await page.keyboard.press('Enter');
	await cardIn(page, 'DP01.contoso.com', 0).waitFor({ timeout: 2000 });
	assert.equal(await wsmanMode('DP01.contoso.com'), 0);
	assert.deepEqual(errors, []);
	await ctx.close();
});

test('an injected fault shows in the feed and the fault rule list', async () => {
	const rule = await request('POST', '/_dpsim/faults', {
		body: JSON.stringify({ method: 'SetDPMaintenanceMode', protocol: 'dashboard',
				       effect: 'fault', hresult: '0x80041001', times: 1 }),
		type: 'application/json' });
	assert.equal(rule.status, 201, rule.body);
	const { ctx, page } = await signedIn('lab', 'lab');
	await page.locator('#faults li.active', { hasText: 'WBEM_E_FAILED' }).waitFor({ timeout: 2000 });
	await page.getByRole('button', { name: 'Enable maintenance mode on PXE01.contoso.com' }).click();
	await page.locator('#status.bad', { hasText: 'WBEM_E_FAILED' }).waitFor({ timeout: 2000 });
	const row = page.locator('#feed tr.bad', { has: page.locator('td.dp[title="PXE01.contoso.com"]') }).first();
	await row.waitFor({ timeout: 2000 });
	assert.match(await row.textContent(), /lab.*dashboard.*Maintenance on.*PXE01.*WBEM_E_FAILED \(fault rule \d+\)/);
	assert.equal(await card(page, 'PXE01.contoso.com').getAttribute('data-mode'), '0');
	await page.locator('#faults li.retired').waitFor({ timeout: 2000 });
	await ctx.close();
});

test('screenshots at 1280x720 and at phone width', async () => {
	const { ctx, page } = await signedIn('lab', 'lab');
	await wsmanSetMode(DP01, 1, 'infra', 'infra');
	await cardIn(page, 'DP01.contoso.com', 1).waitFor({ timeout: 2000 });
	await page.screenshot({ path: join(SHOTS, 'dashboard.png') });
	assert.ok(existsSync(join(SHOTS, 'dashboard.png')));
	await ctx.close();

	const phone = await signedIn('lab', 'lab', { width: 390, height: 844 });
	await phone.page.locator('#dps li.card').nth(5).waitFor();
	await phone.page.screenshot({ path: join(SHOTS, 'dashboard-phone.png'), fullPage: true });
	assert.ok(existsSync(join(SHOTS, 'dashboard-phone.png')));
	const wide = await phone.page.evaluate(() => document.documentElement.scrollWidth);
	await phone.ctx.close();
	assert.equal((await wsmanSetMode(DP01, 0)).status, 200);
	assert.ok(wide <= 390, 'no sideways scrolling at 390 px (' + wide + ')');
});

test('the read-only analyst sees the buttons disabled and is refused', async () => {
	const { ctx, page } = await signedIn('analyst', 'analyst');
	await page.locator('#dps li.card').nth(5).waitFor();
	const buttons = page.locator('#dps button');
	assert.equal(await buttons.count(), 6);
	for (let i = 0; i < 6; i++)
		assert.equal(await buttons.nth(i).isDisabled(), true);
	assert.equal(await page.getByRole('button', { name: 'Reset lab' }).isDisabled(), true);
	assert.equal(await page.locator('#readonly').isVisible(), true);
	assert.match(await page.locator('#who').textContent(), /analyst \(Read-only Analyst\)/);

	// Forcing the call from the page's own session does not help.
	const forced = await page.evaluate(async (nal) => {
		const r = await fetch('/dashboard/api/mode', {
			method: 'POST',
			headers: { Authorization: sessionStorage.getItem('dpsim.auth'),
				   'Content-Type': 'application/json' },
			body: JSON.stringify({ site: 'PS1', nalpath: nal, mode: 1 }),
		});
		return { status: r.status, body: await r.json() };
	}, DP01);
	assert.equal(forced.status, 403);
	assert.equal(forced.body.hresult_name, 'WBEM_E_ACCESS_DENIED');
	assert.equal(forced.body.hresult, '0x80041003');
	// Nor from outside the page.
	const direct = await request('POST', '/dashboard/api/mode', {
		body: JSON.stringify({ site: 'PS1', nalpath: DP01, mode: 1 }),
		type: 'application/json', user: 'analyst', pass: 'analyst' });
	assert.equal(direct.status, 403);
	assert.equal(JSON.parse(direct.body).hresult_name, 'WBEM_E_ACCESS_DENIED');
	assert.equal(await wsmanMode('DP01.contoso.com'), 0);
	// The refusals are in the feed, as failures of the analyst.
	const row = page.locator('#feed tr.bad', { hasText: 'WBEM_E_ACCESS_DENIED' }).first();
	await row.waitFor({ timeout: 2000 });
	assert.match(await row.textContent(), /analyst.*dashboard/);
	await ctx.close();
});

test('a wrong password keeps the login form up', async () => {
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
	const page = await ctx.newPage();
	await page.goto(base + '/');
	await page.getByLabel('User name').fill('lab');
	await page.getByLabel('Password').fill('wrong');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.locator('#login-error', { hasText: 'wrong user name or password' }).waitFor({ timeout: 2000 });
	assert.equal(await page.locator('#board').isVisible(), false);
	await ctx.close();
});
