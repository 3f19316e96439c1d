/* dpsim lab dashboard: polls /dashboard/api/view twice a second and
 * changes maintenance mode through /dashboard/api/mode, which is the same
 * provider call WS-Man makes. Plain JS, no build step, no network but
 * dpsim itself. */
'use strict';

const POLL_MS = 500;
const KEY_AUTH = 'dpsim.auth';
const KEY_SITE = 'dpsim.site';
const KINDS = { standard: 'Standard DP', pull: 'Pull DP', pxe: 'PXE DP',
		cloud: 'Cloud DP' };

const $ = (id) => document.getElementById(id);
const st = {
	auth: sessionStorage.getItem(KEY_AUTH),
	who: null,
	site: sessionStorage.getItem(KEY_SITE) || '',
	timer: null,
	cards: new Map(),	/* nalpath -> card elements, kept so focus stays */
	feedKey: '',
	msgKey: '',
	pending: new Set(),	/* nalpaths with a change in flight */
};

function el(tag, props, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(props || {})) {
		if (k === 'class') e.className = v;
		else if (k === 'text') e.textContent = v;
		else e.setAttribute(k, v);
	}
	for (const k of kids) if (k != null) e.append(k);
	return e;
}

function basic(user, pass) {
	const bytes = new TextEncoder().encode(user + ':' + pass);
	let s = '';
	for (const b of bytes) s += String.fromCharCode(b);
	return 'Basic ' + btoa(s);
}

async function api(path, body) {
	const opt = { headers: { Authorization: st.auth }, cache: 'no-store' };
	if (body !== undefined) {
		opt.method = 'POST';
		opt.headers['Content-Type'] = 'application/json';
		opt.body = JSON.stringify(body);
	}
	const r = await fetch('/dashboard/api/' + path, opt);
	let j = null;
	try { j = await r.json(); } catch (e) { j = { error: 'HTTP ' + r.status }; }
	return { status: r.status, body: j };
}

function say(text, bad) {
	const s = $('status');
	s.textContent = text;
	s.className = 'status' + (bad ? ' bad' : ' good');
}

/* ---- signing in ---------------------------------------------------------- */

function showLogin(msg) {
	stopPolling();
	st.auth = null;
	st.who = null;
	sessionStorage.removeItem(KEY_AUTH);
	$('board').hidden = true;
	$('controls').hidden = true;
	$('login').hidden = false;
	$('login-error').textContent = msg || '';
	$('user').focus();
}

async function signIn(auth) {
	st.auth = auth;
	const r = await api('whoami');
	if (r.status !== 200) {
		showLogin(r.body.error || 'Sign-in failed');
		return;
	}
	st.who = r.body;
	sessionStorage.setItem(KEY_AUTH, auth);
	$('login').hidden = true;
	$('board').hidden = false;
	$('controls').hidden = false;
	$('who').textContent = st.who.user + ' (' + st.who.role + ')';
	$('readonly').hidden = st.who.can_modify;
	$('reset').disabled = !st.who.can_reset;
	$('reset').title = st.who.can_reset ? 'Put every site back to the fixture'
		: 'Needs the Full Administrator role';
	st.cards.clear();
	$('dps').replaceChildren();
	st.feedKey = '';
	st.msgKey = '';
	poll();
}

/* ---- rendering ------------------------------------------------------------ */

function dpShort(nalpath) {
	const m = /\\\\([^\\"]+)\\?$/.exec(nalpath || '');
	return m ? m[1] : (nalpath || '');
}

function makeCard(dp) {
	const c = {};
	c.li = el('li', { class: 'card', 'data-nalpath': dp.nalpath });
	c.name = el('h3', { class: 'dpname' });
	c.kind = el('p', { class: 'kind' });
	c.state = el('p', { class: 'state' });
	c.icon = el('span', { class: 'icon', 'aria-hidden': 'true' });
	c.stateText = el('span', { class: 'state-text' });
	c.state.append(c.icon, c.stateText);
	c.desc = el('p', { class: 'desc' });
	c.btn = el('button', { type: 'button', class: 'toggle' });
	c.btn.addEventListener('click', () => toggle(c));
	c.li.append(c.name, c.kind, c.state, c.desc, c.btn);
	return c;
}

function renderCard(c, dp) {
	const on = dp.mode !== 0;
	c.dp = dp;
	c.li.dataset.mode = String(dp.mode);
	c.li.dataset.name = dp.name;
	c.li.classList.toggle('maint', on);
	c.name.textContent = dp.name;
	c.kind.textContent = KINDS[dp.kind] || dp.kind;
	c.icon.textContent = on ? '\u26A0' : '\u2714';
	c.stateText.textContent = on ? 'In maintenance' : 'Serving content';
	c.desc.textContent = dp.description || '';
	c.btn.textContent = on ? 'Disable maintenance' : 'Enable maintenance';
	c.btn.setAttribute('aria-label', (on ? 'Disable maintenance mode on '
		: 'Enable maintenance mode on ') + dp.name);
	c.btn.disabled = !st.who.can_modify || st.pending.has(dp.nalpath);
}

function renderDps(dps) {
	const ul = $('dps');
	const seen = new Set();
	dps.forEach((dp, i) => {
		let c = st.cards.get(dp.nalpath);
		if (!c) {
			c = makeCard(dp);
			st.cards.set(dp.nalpath, c);
		}
		renderCard(c, dp);
		if (ul.children[i] !== c.li) ul.insertBefore(c.li, ul.children[i] || null);
		seen.add(dp.nalpath);
	});
	for (const [k, c] of st.cards)
		if (!seen.has(k)) { c.li.remove(); st.cards.delete(k); }
}

function renderGroups(groups) {
	const items = groups.map((g) => {
		const list = el('ul', { class: 'offer' });
		for (const n of g.offered)
			list.append(el('li', { class: 'offered' },
				el('span', { class: 'icon', 'aria-hidden': 'true', text: '\u2714' }),
				' ', el('span', { class: 'dpn', title: n, text: n.split('.')[0] }), ' ',
				el('span', { class: 'tag', text: 'offered' })));
		for (const n of g.withheld)
			list.append(el('li', { class: 'withheld' },
				el('span', { class: 'icon', 'aria-hidden': 'true', text: '\u2298' }),
				' ', el('s', { class: 'dpn', title: n, text: n.split('.')[0] }), ' ',
				el('span', { class: 'tag', text: 'withheld: maintenance' })));
		const none = g.offered.length ? null : el('p', { class: 'none',
			text: 'No distribution point is offered: content downloads fail here.' });
		return el('li', { class: 'group' }, el('h3', { text: g.name }),
			g.description ? el('p', { class: 'desc', text: g.description }) : null,
			list, none);
	});
	if (!items.length)
		items.push(el('li', { class: 'group', text: 'This site declares no boundary groups.' }));
	$('groups').replaceChildren(...items);
}

function fmtTime(ms) {
	return new Date(ms).toLocaleTimeString([], { hour12: false });
}

function describeAction(e) {
	if (e.method === 'SetDPMaintenanceMode') {
		const m = e.new_mode != null ? e.new_mode
			: (/(?:^| )Mode=(\d+)/.exec(e.params || '') || [])[1];
		return 'Maintenance ' + (m == null ? '?' : (String(m) === '0' ? 'off' : 'on'));
	}
	if (e.method) return e.method;
	return (e.operation || '') + ' ' + (e.class || '');
}

function describeResult(e) {
	let text = e.result === 'ok' ? 'OK' : e.result;
	if (e.result === 'fault' && e.hresult_name) text = e.hresult_name;
	else if (e.result === 'fault' && e.hresult) text = 'fault ' + e.hresult;
	else if (e.result === 'return') text = 'ReturnValue ' + e.return_value;
	else if (e.result === 'http') text = 'HTTP ' + e.http_status;
	if (e.rule) text += ' (fault rule ' + e.rule + ')';
	return text;
}

function renderFeed(j) {
	const rows = j.entries.slice().reverse();
	const key = rows.length + ':' + (rows[0] ? rows[0].id : 0) + ':' + j.rows;
	if (key === st.feedKey) return;
	st.feedKey = key;
	$('feed-count').textContent = j.rows + ' call(s) journaled' +
		(j.dropped ? ', ' + j.dropped + ' older dropped' : '') +
		(j.rows > rows.length ? '; the newest ' + rows.length + ' shown' : '');
	const trs = rows.map((e) => {
		const ok = e.result === 'ok';
		return el('tr', { class: ok ? 'ok' : 'bad', 'data-id': String(e.id) },
			el('td', { class: 'time', text: fmtTime(e.time_ms) }),
			el('td', {}, e.user || '(anonymous)', el('br'),
				el('small', { text: e.protocol || '' })),
			el('td', { class: 'act', text: describeAction(e) }),
			el('td', { class: 'dp', title: dpShort(e.nalpath),
				text: dpShort(e.nalpath).split('.')[0] || '\u2014' }),
			el('td', { class: 'res' },
				el('span', { class: 'icon', 'aria-hidden': 'true',
					text: ok ? '\u2714' : '\u2716' }),
				' ' + describeResult(e)));
	});
	if (!trs.length)
		trs.push(el('tr', {}, el('td', { colspan: '5', text: 'No calls yet.' })));
	$('feed').replaceChildren(...trs);
}

/* The site's status messages as the console's viewer lists them: ID,
 * what it says, who wrote it. */
function renderStatmsgs(sm) {
	const rows = sm.entries.slice().reverse();
	const key = rows.length + ':' + (rows[0] ? rows[0].record_id : 0) + ':' + sm.kept;
	if (key === st.msgKey) return;
	st.msgKey = key;
	$('statmsg-count').textContent = sm.kept + ' status message(s) kept' +
		(sm.kept > rows.length ? '; the newest ' + rows.length + ' shown' : '');
	const items = rows.map((m) => el('li', { 'data-record': String(m.record_id),
			'data-message-id': String(m.message_id) },
		el('span', { class: 'time', text: fmtTime(m.time_ms) }), ' ',
		el('span', { class: 'msgid', text: String(m.message_id) }), ' ',
		el('span', { class: 'msgtext', text: m.text }), ' ',
		el('small', { text: (m.component || '') + ' on ' + (m.machine || '') })));
	if (!items.length)
		items.push(el('li', { class: 'none-yet', text: 'No status messages yet: a maintenance change writes one.' }));
	$('statmsgs').replaceChildren(...items);
}

function describeRule(r) {
	const what = [];
	if (r.operation) what.push(r.operation);
	if (r.method) what.push(r.method);
	else if (r.class) what.push(r.class);
	if (r.nalpath) what.push('DP ' + (dpShort(r.nalpath) || r.nalpath));
	if (r.mode != null) what.push('mode ' + r.mode);
	if (r.user) what.push('user ' + r.user);
	if (r.protocol) what.push('via ' + r.protocol);
	let eff = r.effect;
	if (r.effect === 'fault' || r.effect === 'return')
		eff += ' ' + (r.hresult_name || r.hresult);
	if (r.effect === 'http') eff += ' ' + r.http_status;
	if (r.delay_ms) eff += ' after ' + r.delay_ms + ' ms';
	const lim = [];
	if (r.probability < 1) lim.push(Math.round(r.probability * 100) + '% of calls');
	if (r.times) lim.push('at most ' + r.times + ' times');
	return 'Rule ' + r.id + ': ' + (what.length ? what.join(', ') : 'every call') +
		' \u2192 ' + eff + (lim.length ? ' (' + lim.join(', ') + ')' : '') +
		'. Fired ' + r.fired + ' of ' + r.matched + ' matches' +
		(r.retired ? '; retired' : '') + '.';
}

function renderFaults(rules) {
	const items = rules.map((r) => el('li', { class: r.retired ? 'retired' : 'active' },
		el('span', { class: 'icon', 'aria-hidden': 'true', text: r.retired ? '\u2013' : '\u26A0' }),
		' ' + describeRule(r)));
	if (!items.length) items.push(el('li', { class: 'none', text: 'No fault rules: calls run normally.' }));
	$('faults').replaceChildren(...items);
}

function renderSites(sites, current) {
	const sel = $('site');
	$('site-pick').hidden = sites.length < 2;
	const want = sites.map((s) => s.code).join(',');
	if (sel.dataset.codes !== want) {
		sel.dataset.codes = want;
		sel.replaceChildren(...sites.map((s) => el('option', { value: s.code,
			text: s.code + ' \u2014 ' + s.name + ' (' + s.in_maintenance +
				' of ' + s.dp_count + ' in maintenance)' })));
	}
	sel.value = current;
}

function render(v) {
	$('version').textContent = v.version;
	if (!v.site) {
		$('site-title').textContent = '(no site served)';
		renderDps([]);
		return;
	}
	$('site-title').textContent = '\u2014 ' + v.site.name + ' (' + v.site.code + ')';
	renderSites(v.sites, v.site.code);
	renderDps(v.site.dps);
	renderGroups(v.site.boundary_groups);
	renderFeed(v.journal);
	renderStatmsgs(v.status_messages);
	renderFaults(v.faults);
}

/* ---- polling and actions ------------------------------------------------ */

function stopPolling() {
	clearTimeout(st.timer);
	st.timer = null;
}

async function poll() {
	stopPolling();
	if (!st.auth) return;
	try {
		const r = await api('view' + (st.site ? '?site=' + encodeURIComponent(st.site) : ''));
		if (r.status === 401) { showLogin(r.body.error); return; }
		if (r.status === 404 && st.site) {
			st.site = '';	/* the site went away */
			sessionStorage.removeItem(KEY_SITE);
		} else if (r.status === 200) {
			render(r.body);
			$('conn').textContent = 'live';
		} else {
			$('conn').textContent = 'dpsim says: ' + (r.body.error || r.status);
		}
	} catch (e) {
		$('conn').textContent = 'cannot reach dpsim; retrying';
	}
	if (st.auth) st.timer = setTimeout(poll, POLL_MS);
}

async function toggle(c) {
	const dp = c.dp;
	const mode = dp.mode ? 0 : 1;
	st.pending.add(dp.nalpath);
	c.btn.disabled = true;
	say((mode ? 'Enabling' : 'Disabling') + ' maintenance mode on ' + dp.name + '\u2026');
	let r;
	try {
		r = await api('mode', { site: $('site').value || st.site, nalpath: dp.nalpath, mode });
	} catch (e) {
		r = { status: 0, body: { error: 'dpsim did not answer' } };
	}
	st.pending.delete(dp.nalpath);
	if (r.status === 200 && r.body.ok)
		say(dp.name + (mode ? ' is now in maintenance.' : ' is out of maintenance.'));
	else if (r.status === 200)
		say(dp.name + ': the provider answered ReturnValue ' + r.body.return_value +
			(r.body.rule ? ' (fault rule ' + r.body.rule + ')' : '') + '.', true);
	else
		say(dp.name + ': ' + (r.body.hresult_name ? r.body.hresult_name + ': ' : '') +
			(r.body.error || 'HTTP ' + r.status), true);
	poll();
}

async function resetLab() {
	if (!window.confirm('Reset the lab? Every DP goes back to its fixture state, ' +
			    'the journal and the status messages are emptied and run-time fault rules go.'))
		return;
	const r = await api('reset', {});
	say(r.status === 200 ? 'The lab was reset.' : 'Reset failed: ' + r.body.error,
	    r.status !== 200);
	st.feedKey = '';
	st.msgKey = '';
	poll();
}

document.addEventListener('DOMContentLoaded', () => {
	$('login-form').addEventListener('submit', (ev) => {
		ev.preventDefault();
		signIn(basic($('user').value, $('password').value));
	});
	$('signout').addEventListener('click', () => showLogin('Signed out.'));
	$('reset').addEventListener('click', resetLab);
	$('site').addEventListener('change', () => {
		st.site = $('site').value;
		sessionStorage.setItem(KEY_SITE, st.site);
		st.feedKey = '';
	st.msgKey = '';
		poll();
	});
	if (st.auth) signIn(st.auth);
	else showLogin('');
});
