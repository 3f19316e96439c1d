// Cross-site requests against dpsim's control API, in a real browser.
//
// dpsim listens on 127.0.0.1 with no admin token (the loopback default),
// so any web page the lab user opens could send requests to it. Here a
// second HTTP server (node's, on another port of 127.0.0.1: another
// origin) serves an attacker's page; headless Chromium loads it, and the
// page tries what a page can do without CORS being granted:
//   - fetch(mode 'no-cors', POST, Content-Type text/plain) with a JSON or
//     XML body: add a fault rule, save a snapshot, add a site, reset;
//   - auto-submitted <form enctype="text/plain" method="POST"> to the
//     same routes (the body crafted to be JSON or XML);
//   - fetch(mode 'cors', application/json), which needs a preflight dpsim
//     does not grant.
// Then, from node (plain HTTP, no browser), nothing changed: no fault
// rule, no snapshot, no new site, the lab not reset, and a WS-Man Get
// still answers. And the dashboard dpsim serves still works in the same
// browser: sign in, change a mode.
//
// What dpsim must do (server side): a state-changing request to
// /_dpsim/* or /dashboard/api/* without Content-Type: application/json is
// refused (415); a request to /_dpsim/*, /dashboard/api/* or /wsman with
// an Origin other than dpsim's own is refused (403).
//
// env: DPSIM_BIN, CHROMIUM (default /usr/bin/chromium), DPSIM_WRAPPER.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const NS = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1';
const DPINFO = NS + '/SMS_DistributionPointInfo';
const DP01 = '["Display=\\\\DP01.contoso.com\\"]MSWNET:["SMS_SITE=PS1"]\\\\DP01.contoso.com\\';

let dir, dpsim, base, browser, attacker, attackerBase;

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

async function getJson(path) {
	const r = await request('GET', path);
	assert.equal(r.status, 200, path + ': ' + r.body);
	return JSON.parse(r.body);
}

const xmlText = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function envelope(action, resource, headers, body) {
	return '<?xml version="1.0" encoding="utf-8"?>' +
		'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ' +
		'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
		'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">' +
		'<s:Header><a:To>' + base + '/wsman</a:To>' +
		'<a:ReplyTo><a:Address s:mustUnderstand="true">' +
		'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>' +
		'<w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize>' +
		'<a:MessageID>uuid:' + crypto.randomUUID() + '</a:MessageID>' +
		'<w:OperationTimeout>PT20S</w:OperationTimeout>' +
		'<w:ResourceURI s:mustUnderstand="true">' + resource + '</w:ResourceURI>' +
		'<a:Action s:mustUnderstand="true">' + action + '</a:Action>' + headers +
		'</s:Header><s:Body>' + body + '</s:Body></s:Envelope>';
}

// A WS-Man Get of DP01: its MaintenanceMode.
async function wsmanGetMode() {
	const keys = '<w:SelectorSet>' +
		'<w:Selector Name="NALPath">' + xmlText(DP01) + '</w:Selector>' +
		'<w:Selector Name="ResourceType">Windows NT Server</w:Selector>' +
		'<w:Selector Name="SiteCode">PS1</w:Selector></w:SelectorSet>';
	const r = await request('POST', '/wsman', {
		body: envelope('http://schemas.xmlsoap.org/ws/2004/09/transfer/Get',
			       DPINFO, keys, ''),
		type: 'application/soap+xml;charset=UTF-8', user: 'lab', pass: 'lab',
	});
	assert.equal(r.status, 200, r.body);
	assert.match(r.body, /Name>DP01\.contoso\.com</);
	const m = /MaintenanceMode>(\d+)</.exec(r.body);
	assert.ok(m, 'no MaintenanceMode in ' + r.body);
	return Number(m[1]);
}

async function wsmanSetMode(mode) {
	const body = '<p:SetDPMaintenanceMode_INPUT xmlns:p="' + DPINFO + '">' +
		'<p:NALPath>' + xmlText(DP01) + '</p:NALPath><p:Mode>' + mode +
		'</p:Mode></p:SetDPMaintenanceMode_INPUT>';
	const r = await request('POST', '/wsman', {
		body: envelope(DPINFO + '/SetDPMaintenanceMode', DPINFO, '', body),
		type: 'application/soap+xml;charset=UTF-8', user: 'lab', pass: 'lab',
	});
	assert.equal(r.status, 200, r.body);
	assert.match(r.body, /ReturnValue>0</);
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

// The attacker's page. Everything it tries is listed in `attempts`; it
// sets window.attackDone to what it could observe once every request has
// been answered (or refused by the browser).
function attackPage(target) {
	const rule = JSON.stringify({ method: 'SetDPMaintenanceMode', effect: 'fault',
				      hresult: '0x80041001' });
	const site = '<dpsim-fixture xmlns="urn:dpsim:fixture:1">' +
		'<site code="EVL" name="Evil" provider="cm.evil.example">' +
		'<dp fqdn="dp.evil.example"/></site></dpsim-fixture>';
	// A text/plain form sends "NAME=VALUE\r\n": the name and value are
	// cut so that the body is still JSON or XML.
	// Resets first, so a reset that got through cannot hide a fault rule
	// that got through (a reset drops the rules).
	const forms = [
		{ action: '/_dpsim/reset', name: '{"x":"', value: '"}' },
		{ action: '/dashboard/api/reset', name: '{"x":"', value: '"}' },
		{ action: '/_dpsim/faults', name: rule.slice(0, -1) + ',"nalpath":"', value: '*"}' },
		{ action: '/_dpsim/snapshots?name=pwnedform', name: '{"name":"pwnedform', value: '"}' },
		{ action: '/_dpsim/sites', name: site.replace('EVL', 'EVF').replace('dp.evil', 'dpf.evil')
			.replace('</dpsim-fixture>', '<!-- '), value: ' --></dpsim-fixture>' },
	];
	const noCors = [
		{ path: '/_dpsim/reset', body: '{}' },
		{ path: '/dashboard/api/reset', body: '{}' },
		{ path: '/_dpsim/faults', body: rule },
		{ path: '/_dpsim/snapshots', body: JSON.stringify({ name: 'pwned' }) },
		{ path: '/_dpsim/sites', body: site },
	];
	const cors = [
		{ path: '/_dpsim/faults', method: 'POST', body: rule },
		{ path: '/_dpsim/snapshots', method: 'POST', body: JSON.stringify({ name: 'pwnedcors' }) },
		{ path: '/_dpsim/reset', method: 'POST', body: '{}' },
		{ path: '/_dpsim/faults', method: 'DELETE', body: '{}' },
	];
	const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
	const formHtml = forms.map((f, i) =>
		'<iframe name="sink' + i + '"></iframe>' +
		'<form id="f' + i + '" method="POST" enctype="text/plain" target="sink' + i + '" ' +
		'action="' + esc(target + f.action) + '">' +
		'<input type="hidden" name="' + esc(f.name) + '" value="' + esc(f.value) + '">' +
		'</form>').join('\n');
	return `<!doctype html><html><head><meta charset="utf-8"><title>cute cats</title></head>
<body><h1>Nothing to see here</h1>
${formHtml}
<script>
const target = ${JSON.stringify(target)};
const noCors = ${JSON.stringify(noCors)};
const cors = ${JSON.stringify(cors)};
const nforms = ${forms.length};
function sendForm(i) {
	return new Promise((done) => {
		const frame = document.getElementsByName('sink' + i)[0];
		const timer = setTimeout(done, 5000);
		frame.addEventListener('load', () => { clearTimeout(timer); seen.forms++; done(); },
				       { once: true });
		document.getElementById('f' + i).submit();
	});
}
async function sendNoCors(a) {
	// Sent without asking: the answer is opaque to this page, but dpsim
	// acts on whatever it accepts.
	try {
		const r = await fetch(target + a.path, { method: 'POST', mode: 'no-cors',
			headers: { 'Content-Type': 'text/plain' }, body: a.body });
		seen.noCors.push(r.type);
	} catch (e) {
		seen.noCors.push('error: ' + e);
	}
}
const seen = { noCors: [], cors: [], forms: 0 };
(async () => {
	// One at a time, in order: the resets first (the first two of each
	// list), so none of them can undo another attempt that got through.
	// Forms go into frames of their own so this page stays.
	for (let i = 0; i < 2; i++) {
		await sendNoCors(noCors[i]);
		await sendForm(i);
	}
	for (let i = 2; i < noCors.length; i++)
		await sendNoCors(noCors[i]);
	for (let i = 2; i < nforms; i++)
		await sendForm(i);
	// A real JSON request needs a preflight, which dpsim does not grant.
	for (const a of cors) {
		try {
			const r = await fetch(target + a.path, { method: a.method, mode: 'cors',
				headers: { 'Content-Type': 'application/json' }, body: a.body });
			seen.cors.push('answered ' + r.status);
		} catch (e) {
			seen.cors.push('refused');
		}
	}
	window.attackDone = seen;
})();
</script></body></html>`;
}

before(async () => {
	assert.ok(process.env.DPSIM_BIN, 'DPSIM_BIN names the dpsim to test');
	dir = mkdtempSync(join(tmpdir(), 'dpsim-browser-xsite-'));
	const portFile = join(dir, 'port');
	const args = ['--listen', '127.0.0.1:0', '--port-file', portFile, '--db', ':memory:',
		      '--seed', '1', '--log-level', 'warn'];
	const wrap = (process.env.DPSIM_WRAPPER || '').split(' ').filter(Boolean);
	dpsim = spawn(wrap[0] || process.env.DPSIM_BIN,
		      wrap.length ? [...wrap.slice(1), process.env.DPSIM_BIN, ...args] : args,
		      { stdio: ['ignore', 'ignore', 'inherit'] });
	await waitForFile(portFile, wrap.length ? 60000 : 10000);
	base = 'http://127.0.0.1:' + readFileSync(portFile, 'utf8').trim();

	// The attacker: another port of the same address is another origin.
	attacker = http.createServer((rq, res) => {
		res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
		res.end(attackPage(base));
	});
	await new Promise((r) => attacker.listen(0, '127.0.0.1', r));
	attackerBase = 'http://127.0.0.1:' + attacker.address().port;
	assert.notEqual(attackerBase, base);

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
	if (attacker) await new Promise((r) => attacker.close(r));
	if (dpsim && dpsim.exitCode === null) {
		const done = new Promise((r) => dpsim.once('exit', r));
		dpsim.kill('SIGTERM');
		await done;
		assert.equal(dpsim.exitCode, 0, 'dpsim stopped cleanly');
	}
	if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a page on another origin cannot change dpsim through the browser', async () => {
	// A change a reset would undo: DP01 into maintenance (the lab has it
	// out), so a reset that got through shows.
	await wsmanSetMode(1);
	assert.equal(await wsmanGetMode(), 1);
	const sitesBefore = (await getJson('/_dpsim/sites')).sites.map((s) => s.code).sort();
	assert.deepEqual((await getJson('/_dpsim/faults')).faults, []);
	const snapsBefore = (await getJson('/_dpsim/snapshots')).snapshots;

	const ctx = await browser.newContext();
	const page = await ctx.newPage();
	await page.goto(attackerBase + '/');
	await page.waitForFunction(() => window.attackDone, null, { timeout: 30000 });
	const seen = await page.evaluate(() => window.attackDone);
	await ctx.close();
	// Every form was answered (loaded in its frame), every fetch was sent.
	assert.equal(seen.forms, 5, JSON.stringify(seen));
	assert.equal(seen.noCors.length, 5, JSON.stringify(seen));
	// The JSON requests never got past the preflight.
	assert.deepEqual(seen.cors, ['refused', 'refused', 'refused', 'refused'],
			 JSON.stringify(seen));

	// From outside the browser: nothing changed. Every difference is
	// listed, so one run says all that got through.
	const changed = [];
	const faults = (await getJson('/_dpsim/faults')).faults;
	if (faults.length)
		changed.push('fault rules added: ' + JSON.stringify(faults));
	const snaps = (await getJson('/_dpsim/snapshots')).snapshots;
	if (JSON.stringify(snaps) !== JSON.stringify(snapsBefore))
		changed.push('snapshots saved: ' + snaps.map((x) => x.name).join(', '));
	const sites = (await getJson('/_dpsim/sites')).sites.map((x) => x.code).sort();
	if (JSON.stringify(sites) !== JSON.stringify(sitesBefore))
		changed.push('sites now ' + sites.join(', '));
	if (await wsmanGetMode() !== 1)
		changed.push('the lab was reset (DP01 out of maintenance)');
	assert.deepEqual(changed, []);
	await wsmanSetMode(0);
});

test('the dashboard dpsim serves still works in the same browser', async () => {
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
	const page = await ctx.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push(String(e)));
	await page.goto(base + '/');
	await page.getByLabel('User name').fill('lab');
	await page.getByLabel('Password').fill('lab');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.locator('#dps li.card').first().waitFor();
	assert.equal(await wsmanGetMode(), 0);
	await page.getByRole('button', { name: 'Enable maintenance mode on DP01.contoso.com' }).click();
	await page.locator('#dps li.card[data-name="DP01.contoso.com"][data-mode="1"]')
		.waitFor({ timeout: 2000 });
	assert.equal(await wsmanGetMode(), 1);
	await page.getByRole('button', { name: 'Disable maintenance mode on DP01.contoso.com' }).click();
	await page.locator('#dps li.card[data-name="DP01.contoso.com"][data-mode="0"]')
		.waitFor({ timeout: 2000 });
	assert.equal(await wsmanGetMode(), 0);
	// And a reset from the page.
	const reset = await page.evaluate(async () => {
		const r = await fetch('/dashboard/api/reset', {
			method: 'POST',
			headers: { Authorization: sessionStorage.getItem('dpsim.auth'),
				   'Content-Type': 'application/json' },
			body: '{}',
		});
		return r.status;
	});
	assert.equal(reset, 200);
	assert.deepEqual(errors, []);
	await ctx.close();
});
