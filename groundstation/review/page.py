"""The review page: static HTML and one script (served from /static/app.js: the CSP forbids inline
script). Every value from the API is put on the page with textContent / attributes, never innerHTML.
The "map" is an SVG of the findings' outlines and markers, so the page works offline: a plan (north up),
or an elevation (along the face, height up) when the findings lie on a wall or pier face."""

INDEX_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>skyinspect review</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>body{font-family:sans-serif;margin:0;display:grid;grid-template-columns:420px 1fr;height:100vh}
#left{overflow:auto;border-right:1px solid #ccc;padding:8px}#right{overflow:auto;padding:8px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:3px 5px;text-align:left;font-size:13px}
tr.sel{background:#ffe9a8}tr{cursor:pointer}#findings tbody tr:focus{outline:2px solid #1f5fbf;outline-offset:-2px}
#findings td:first-child{white-space:nowrap}#map{width:100%;height:260px;border:1px solid #ccc;background:#f8f8f8}
.views img{max-width:220px;margin:2px;border:1px solid #ccc}button{margin:2px}
button.sort{border:0;background:none;font:inherit;font-weight:bold;padding:0;margin:0;cursor:pointer}
button[aria-disabled=true]{opacity:.45;cursor:not-allowed}#audit li{font-size:12px}.confirmed{color:#2a7}.rejected{color:#c33}#page-msg{color:#c33;font-weight:bold}
@media (max-width:800px){body{display:block;height:auto}#left{border-right:0;border-bottom:1px solid #ccc;overflow:visible}
#right{overflow:visible}.views img{max-width:46%}#comment{width:100%;box-sizing:border-box}td,th{font-size:14px;padding:3px 2px}
#findings td{overflow-wrap:anywhere}}</style></head><body>
<div id="left"><h3 id="title">skyinspect review</h3><p id="page-msg" role="alert" hidden></p>
<label>reviewer <input id="reviewer" size="14" placeholder="your name"></label>
<label id="tokenbox">token <input id="token" size="10" type="password"></label><br>
<label>class <select id="f-class"><option value="">all</option></select></label>
<label>status <select id="f-status"><option value="">all</option><option>unreviewed</option><option>confirmed</option>
<option>rejected</option></select></label>
<label>grade <input id="f-grade" size="6"></label>
<svg id="map" viewBox="0 0 100 60" preserveAspectRatio="xMidYMid meet"></svg>
<table id="findings"><thead><tr><th><button class="sort" data-key="id">id</button></th>
<th><button class="sort" data-key="class">class</button></th><th><button class="sort" data-key="grade">grade</button></th>
<th><button class="sort" data-key="component">component</button></th><th><button class="sort" data-key="review">review</button></th>
</tr></thead>
<tbody></tbody></table>
<p><button id="export">export reviewed training set</button> <span id="export-result"></span></p>
<p id="products"></p></div>
<div id="right"><h3 id="detail-title">select a finding</h3><div id="detail"></div>
<div id="actions" hidden><button id="confirm">Confirm</button><button id="reject">Reject</button>
<select id="relabel-label"></select><button id="relabel">Relabel</button><br>
<textarea id="comment" rows="2" cols="50" maxlength="2000" placeholder="comment"></textarea>
<button id="comment-btn">Comment</button> <span id="status-msg"></span></div>
<div class="views" id="views"></div><h4>Audit trail</h4><ul id="audit"></ul></div>
<script src="/static/app.js"></script></body></html>"""

APP_JS = r"""'use strict';
const $ = (id) => document.getElementById(id);
let selected = null, labels = [], shown = null;  // shown: the finding as the page last showed it
// every finding's outline, fetched once: re-sent with each re-list (every click) they had been 13.1 MB
// a click for 1,600 findings
// null until they come: the table is listed without waiting for them (7.4 MB for 1,600 findings, 12.8 MB
// before the server rounded them to a millimetre: no row had shown for about 2 s), the map drawn when they arrive
let outlines = null, listedRows = [];
// a comment typed and not posted, by finding: left in the box, it was posted on the next finding opened
const drafts = {};
let sortKey = 'id', sortDir = 1;  // the table's order: a header's button sorts by it, again reverses
const SORT = {id: r => r.finding_id, 'class': r => r.review.label || r['class'], grade: r => r.grade || '',
              component: r => r.component || '', review: r => r.review.status};
function sortRows(rows) {
  const key = SORT[sortKey];
  return rows.slice().sort((a, b) => sortDir * String(key(a)).localeCompare(String(key(b)), undefined, {numeric: true})
                                     || a.finding_id.localeCompare(b.finding_id));
}
function el(tag, text, attrs) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}
// a request refused while the page is open (the trail cut under the app, the server stopped) is said at the
// top: it had gone to the console only, as an uncaught error, the page left as it was
window.addEventListener('unhandledrejection', (ev) => {
  ev.preventDefault();
  const err = ev.reason, m = $('page-msg');
  m.textContent = 'not shown: ' + (err instanceof TypeError ? 'the review app did not answer (' + err.message
    + '): is `skyinspect serve` still running?' : (err && err.message) || String(err));
  m.hidden = false;
});
async function api(path, opts) {
  const r = await fetch(path, opts);
  if (r.ok) $('page-msg').hidden = true;  // answered again: what it said is past
  if (!r.ok) {
    const text = await r.text();
    let detail = text;
    try { detail = JSON.parse(text).detail || text; } catch (e) { /* not JSON: the text as it came */ }
    const err = new Error(r.status + ' ' + detail); err.status = r.status; throw err;
  }
  return r.json();
}
function fmtMeas(m) { if (m.text) return m.text;  // as the report prints it
  return m.value === null ? m.note : (Number(m.value).toPrecision(4) + (m.sigma !== null ? ' ± ' + Number(m.sigma).toPrecision(2) : '') + ' ' + m.unit); }
let tableLoad = 0;  // the latest table load: an earlier one's answer arriving after it is dropped
async function loadFindings() {
  const q = new URLSearchParams({view: 'table'});
  if ($('f-class').value) q.set('cls', $('f-class').value);
  if ($('f-status').value) q.set('status', $('f-status').value);
  if ($('f-grade').value) q.set('grade', $('f-grade').value);
  const load = ++tableLoad;
  const answer = await api('/api/findings?' + q.toString());
  // a filter changed twice on a slow link: the first answer, arriving last, had listed what the filters no longer said
  if (load !== tableLoad) return;
  const rows = sortRows(answer);
  const tb = $('findings').querySelector('tbody');
  // the rows are rebuilt: a keyboard user's focus stays on the row it was on
  const focused = tb.contains(document.activeElement) ? document.activeElement.getAttribute('data-id') : null;
  tb.replaceChildren();
  // one Tab stop for the whole table (the row last on, else the selected, else the first); arrows move
  // it: with every row a stop, reaching Confirm meant tabbing through every row below the open one
  const stop = [focused, rovingId, selected].find(id => id && rows.some(r => r.finding_id === id))
               || (rows.length ? rows[0].finding_id : null);
  for (const r of rows) {
    // tabindex + Enter/Space: without them a keyboard-only reviewer could not open any finding
    const tr = el('tr', undefined, {'data-id': r.finding_id, tabindex: r.finding_id === stop ? '0' : '-1'});
    if (r.finding_id === selected) { tr.className = 'sel'; tr.setAttribute('aria-selected', 'true'); }
    // relabelled since graded: the grade it has is the other class's; publish grades it as the new one
    const grade = r.regrade ? el('td', 'on publish', {title: 'graded as ' + r.regrade.as + ' by `skyinspect publish`'})
                            : el('td', r.grade || '-');
    tr.append(el('td', r.finding_id), el('td', r.review.label || r['class']), grade,
              el('td', r.component || '-'), el('td', r.review.status, {'class': r.review.status}));
    tr.addEventListener('click', () => select(r.finding_id).then(showDetailOnPhone));
    tr.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(r.finding_id); }
      else if (ev.key === 'ArrowDown' && tr.nextElementSibling) { ev.preventDefault(); rove(tr, tr.nextElementSibling); }
      else if (ev.key === 'ArrowUp' && tr.previousElementSibling) { ev.preventDefault(); rove(tr, tr.previousElementSibling); }
      else if (ev.key === 'Home') { ev.preventDefault(); rove(tr, tb.firstElementChild); }
      else if (ev.key === 'End') { ev.preventDefault(); rove(tr, tb.lastElementChild); }
    });
    tb.append(tr);
    if (r.finding_id === focused) tr.focus();
  }
  drawMap(rows);
}
function bounds(values) {  // [min, max] by a loop: Math.min(...v) threw past ~150,000 values (call stack)
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}
function mapFrame(pts) {
  // local metres around the first point (east, north, up); findings on a wall or pier face (what is
  // inspected most) share one line in plan, so there the map is an elevation: along the face, and height
  const M = 111320, la = pts[0][0], lo = pts[0][1], al = pts[0][2] || 0, k = Math.cos(la * Math.PI / 180);
  const enu = pts.map(p => [(p[1] - lo) * M * k, (p[0] - la) * M, (p.length > 2 ? p[2] : al) - al]);
  const me = enu.reduce((a, p) => a + p[0], 0) / enu.length, mn = enu.reduce((a, p) => a + p[1], 0) / enu.length;
  let see = 0, snn = 0, sen = 0;
  for (const p of enu) { see += (p[0] - me) ** 2; snn += (p[1] - mn) ** 2; sen += (p[0] - me) * (p[1] - mn); }
  let a = 0.5 * Math.atan2(2 * sen, see - snn);  // the horizontal direction the findings spread along
  if (Math.cos(a) < -1e-9 || (Math.abs(Math.cos(a)) <= 1e-9 && Math.sin(a) < 0)) a += Math.PI;
  const along = p => (p[0] - me) * Math.cos(a) + (p[1] - mn) * Math.sin(a);
  const across = p => -(p[0] - me) * Math.sin(a) + (p[1] - mn) * Math.cos(a);
  const spread = f => { const [lo, hi] = bounds(enu.map(f)); return hi - lo; };
  const elevation = spread(p => p[2]) > 2 * spread(across);
  const toXY = elevation ? (p => [along(p), p[2]]) : (p => [p[0], p[1]]);
  const xy = enu.map(toXY);
  const [x0, x1] = bounds(xy.map(q => q[0])), [y0, y1] = bounds(xy.map(q => q[1]));
  const scale = Math.min(90 / Math.max(x1 - x0, 1e-3), 46 / Math.max(y1 - y0, 1e-3));  // one scale: true shapes
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const bearing = (Math.atan2(Math.cos(a), Math.sin(a)) * 180 / Math.PI + 360) % 360;  // of the map's right
  const right = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'][Math.round(bearing / 45) % 8];
  return {elevation: elevation, right: right, at: (lat, lon, alt) => {
    const q = toXY([(lon - lo) * M * k, (lat - la) * M, (alt === undefined ? al : alt) - al]);
    return [50 + (q[0] - cx) * scale, 32 - (q[1] - cy) * scale];
  }};
}
let rovingId = null;  // the row holding the table's one Tab stop
function rove(from, to) {
  from.setAttribute('tabindex', '-1'); to.setAttribute('tabindex', '0'); to.focus();
  rovingId = to.getAttribute('data-id');
}
let mapDrawn = '';  // the findings and colours the map shows
function drawMap(rows) {
  listedRows = rows;
  if (outlines === null) return;
  const svg = $('map');
  const drawn = rows.map(r => r.finding_id + ' ' + (r.review.label || r['class'])).join('\n');
  if (drawn === mapDrawn) {  // a click re-lists the same findings: only the selected marker changes (the
    // outlines drawn again took 0.6 s a click for 1,600 findings, and as long again to paint)
    for (const c of svg.querySelectorAll('circle')) c.setAttribute('r', c.getAttribute('data-id') === selected ? 2.2 : 1.4);
    return;
  }
  mapDrawn = drawn; svg.replaceChildren();
  const outline = r => outlines[r.finding_id] || [];
  const pts = rows.flatMap(r => outline(r).length ? outline(r) : [[r.lat, r.lon, r.alt_msl_m]]);
  if (!pts.length) return;
  const frame = mapFrame(pts);
  const xy = (lat, lon, alt) => frame.at(lat, lon, alt);
  const NS = 'http://www.w3.org/2000/svg';
  const caption = document.createElementNS(NS, 'text');
  caption.setAttribute('x', '1'); caption.setAttribute('y', '4'); caption.setAttribute('font-size', '3');
  caption.setAttribute('fill', '#666');
  caption.textContent = frame.elevation ? 'elevation: height up, ' + frame.right + ' to the right' : 'plan: north up';
  svg.append(caption);
  for (const r of rows) {
    const cls = classOf(r), colour = cls === 'crack' ? '#d62728' : '#ff7f0e';  // as the table
    if (outline(r).length > 2) {
      const poly = document.createElementNS(NS, 'polygon');
      poly.setAttribute('points', outline(r).map(p => xy(p[0], p[1], p[2]).join(',')).join(' '));
      poly.setAttribute('fill', colour); poly.setAttribute('fill-opacity', '0.4'); poly.setAttribute('stroke', colour);
      poly.setAttribute('stroke-width', '0.3'); svg.append(poly);
    }
    const [x, y] = xy(r.lat, r.lon, r.alt_msl_m);
    const c = document.createElementNS(NS, 'circle');
    c.setAttribute('cx', x); c.setAttribute('cy', y); c.setAttribute('r', r.finding_id === selected ? 2.2 : 1.4);
    c.setAttribute('fill', colour); c.setAttribute('data-id', r.finding_id); c.style.cursor = 'pointer';
    // named as coloured: a relabel's tooltip had kept the class found
    const t = document.createElementNS(NS, 'title');
    t.textContent = r.finding_id + ' ' + cls + (cls !== r['class'] ? ' (relabelled from ' + r['class'] + ')' : '');
    c.append(t);
    c.addEventListener('click', () => select(r.finding_id)); svg.append(c);
  }
}
async function select(fid) {
  selected = fid; rovingId = fid;  // the table's Tab stop follows the finding opened (a click too)
  const f = await api('/api/findings/' + encodeURIComponent(fid));
  // a later click won while this answer was on its way (a slow link): showing it now would put
  // one finding's detail and actions under another's highlighted row
  if (selected !== fid) return;
  if (!shown || shown.finding_id !== fid) {
    if (shown) drafts[shown.finding_id] = $('comment').value;
    $('comment').value = drafts[fid] || '';
    // "confirm saved" had stayed under the next finding's buttons, which saved nothing for it
    $('status-msg').textContent = '';
  }
  // the relabel box shows the finding's own class on each finding opened (and after its relabel): the
  // class chosen for the last one had stayed, one click from relabelling this one as that
  if (!shown || shown.finding_id !== fid || classOf(shown) !== classOf(f)) $('relabel-label').value = classOf(f);
  shown = f;
  relabelReady();
  $('detail-title').textContent = f.finding_id + ' - ' + (f.review.label || f['class']);
  const d = $('detail'); d.replaceChildren();
  const tbl = el('table');
  const rows = [['position', f.lat.toFixed(7) + ', ' + f.lon.toFixed(7) + ', ' + f.alt_msl_m + ' m MSL'],
    ['component', f.component || '-'], ['location', f.location || '-'], ['grade', f.regrade ? regradeText(f.regrade)
      : (f.grade || '-') + (f.grade_rule ? ' (' + f.grade_rule + ')' : '')],
    ['clause', f.grade_clause || '-'], ['review', f.review.status + (f.review.by ? ' by ' + f.review.by : '')]];
  if (f.check) rows.push(['check', f.check]);
  for (const [k, m] of Object.entries(f.measurements)) rows.push([k, fmtMeas(m)]);
  for (const g of f.grades.slice(1)) rows.push(['also', g.state + ' (' + g.rule + ')']);
  for (const c of f.review.comments) rows.push(['comment', c.who + ': ' + c.text]);
  for (const [k, v] of rows) { const tr = el('tr'); tr.append(el('th', k), el('td', v)); tbl.append(tr); }
  d.append(tbl);
  const views = $('views'); views.replaceChildren();
  for (const v of f.views_list) {
    if (v.url) views.append(el('img', undefined, {src: v.url, alt: 'frame ' + v.frame_index, title: 'frame ' + v.frame_index}));
    else views.append(el('span', 'frame ' + v.frame_index + ': no image '));
  }
  $('actions').hidden = false;
  await loadAudit();
  if (selected === fid) await loadFindings();
}
function regradeText(g) {
  return 'graded as ' + g.as + ' by `skyinspect publish` (as ' + g.graded_as + ': ' + (g.grade || '-')
    + (g.rule ? ' (' + g.rule + ')' : '') + ')';
}
function classOf(f) { return f.review.label || f['class']; }
// aria-disabled, not disabled: a disabled button loses the keyboard's focus (to the page's top)
function setOff(id, off) { $(id).setAttribute('aria-disabled', off ? 'true' : 'false'); }
function isOff(id) { return $(id).getAttribute('aria-disabled') === 'true'; }
function relabelReady() {  // Relabel waits for a class other than the finding's own to be chosen
  setOff('relabel', writing || !shown || $('relabel-label').value === classOf(shown));
}
function showDetailOnPhone() {  // one column on a phone: the detail lies below the whole list
  if (window.matchMedia('(max-width: 800px)').matches) $('right').scrollIntoView();
}
let auditLoad = 0;  // as tableLoad: an earlier finding's entries, arriving last, had replaced the shown one's
async function loadAudit() {
  const load = ++auditLoad;
  const a = await api('/api/audit' + (selected ? '?fid=' + encodeURIComponent(selected) : ''));
  if (load !== auditLoad) return;
  const ul = $('audit'); ul.replaceChildren();
  for (const e of a.entries) ul.append(el('li', '#' + e.seq + ' ' + e.time_utc + ' ' + e.who + ' ' + e.action + ' ' +
    e.finding_id + (e.label ? ' -> ' + e.label : '') + (e.comment ? ': ' + e.comment : '')));
  if (!a.verified) ul.append(el('li', 'WARNING: the audit chain does not verify'));
}
function headers() {
  // percent-encoded: a header carries Latin-1 only, and fetch threw for a name like 'Łukasz'
  const h = {'Content-Type': 'application/json', 'X-Reviewer': encodeURIComponent($('reviewer').value.trim())};
  if ($('token').value) h['Authorization'] = 'Bearer ' + $('token').value;
  localStorage.setItem('skyinspect-reviewer', $('reviewer').value.trim());
  return h;
}
// a decision in flight: the buttons wait for its answer and the finding shown again. A double-click had sent
// two decisions on what the page showed, the second refused as a conflict with the reviewer's own first
let writing = false;
function busy(on) {
  writing = on;
  for (const id of ['confirm', 'reject', 'comment-btn']) setOff(id, on);
  relabelReady();
}
async function act(action, extra) {
  if (!selected || !shown || writing) return;
  busy(true);
  // a decision names the last one this page showed: the server refuses it (409) when another
  // reviewer decided since, rather than letting this click override what the user never saw
  const body = Object.assign({action: action, base_seq: shown.review.seq || 0}, extra || {});
  const fid = shown.finding_id;  // the line names it: the answer may come after another finding was opened
  try {
    await api('/api/findings/' + encodeURIComponent(fid) + '/review',
              {method: 'POST', headers: headers(), body: JSON.stringify(body)});
    $('status-msg').textContent = fid + ': ' + action + ' saved';
    // a saved comment leaves the box: left there, a second click (or the next finding's) posted it again.
    // Another finding opened meanwhile: its box is left alone (it had been emptied) and the draft kept for
    // this one goes (it offered the saved comment again); text typed since the click stays
    if (action === 'comment') {
      if (shown.finding_id !== fid) { if (drafts[fid] === body.comment) delete drafts[fid]; }
      else if ($('comment').value === body.comment) $('comment').value = '';
    }
    // how far the products are behind: worked out when the page opened, it said nothing of decisions made
    // since (not awaited: the decision is saved whatever this answers; a failure is said at the top)
    // two decisions on a slow link: the first's answer, arriving last, had put the line back a decision
    const load = ++productsLoad;
    api('/api/inspection').then(info => { if (load === productsLoad) showProducts(info); });
    await showDecided(fid);
  } catch (err) {
    if (err.status === 409) await showDecided(fid);  // show what the other reviewer decided
    $('status-msg').textContent = fid + ': refused: ' + err.message;
  } finally {
    busy(false);
  }
}
// the decided finding shown again, only if the reviewer is still on it. Another row clicked while the
// answer was on its way: select(shown) had reopened the decided one before the clicked one arrived
// (dropped as stale), and the next button acted on the wrong finding
async function showDecided(fid) {
  if (selected === fid) await select(fid);
  else if (shown && shown.finding_id === selected) await loadFindings();  // the table says the decision
  // else the one clicked is on its way: its select lists the table, the decision in it
}
let productsLoad = 0;  // the latest products line asked for (an earlier answer arriving after it is dropped)
function showProducts(info) {
  $('products').replaceChildren();
  for (const p of info.products) { $('products').append(el('a', p, {href: '/files/' + p, target: '_blank', rel: 'noopener'}), ' '); }
  const pub = info.published;  // the report and GIS files follow the trail only when published again
  if (pub && pub.decisions_since) $('products').append(el('br'), el('span', 'The report, map, GIS files and work orders '
    + (pub.review_seq ? 'include review decisions up to #' + pub.review_seq : 'include no review decisions') + '; '
    + pub.decisions_since + ' made since: run `skyinspect publish RESULTS` to put them in.'));
  // the trail cut short or replaced since publishing: it still verifies, and the products hold other decisions
  if (pub && pub.trail_changed) $('products').append(el('br'), el('strong', pub.trail_changed));
}
async function init() {
  // the saved name goes in before anything is awaited, and only into an empty box: set after
  // /api/inspection answered, it wiped a name typed meanwhile and the decision went out nameless (422)
  if (!$('reviewer').value) $('reviewer').value = localStorage.getItem('skyinspect-reviewer') || '';
  api('/api/outlines').then(got => { outlines = got; drawMap(listedRows); });  // asked for alongside
  const info = await api('/api/inspection');
  labels = info.labels;
  $('title').textContent = 'review ' + (info.asset_id || '') + ' ' + (info.inspection_date || '');
  $('tokenbox').hidden = !info.write_token_required;
  for (const l of labels) { $('f-class').append(el('option', l)); $('relabel-label').append(el('option', l)); }
  showProducts(info);
  for (const id of ['f-class', 'f-status', 'f-grade']) $(id).addEventListener('change', loadFindings);
  for (const b of document.querySelectorAll('button.sort')) b.addEventListener('click', () => {
    sortDir = sortKey === b.dataset.key ? -sortDir : 1; sortKey = b.dataset.key;
    for (const o of document.querySelectorAll('button.sort')) o.textContent = o.dataset.key;
    b.textContent = b.dataset.key + (sortDir > 0 ? ' \u25B2' : ' \u25BC');
    b.closest('table').querySelectorAll('th').forEach(th => th.removeAttribute('aria-sort'));
    b.closest('th').setAttribute('aria-sort', sortDir > 0 ? 'ascending' : 'descending');
    loadFindings();
  });
  $('confirm').addEventListener('click', () => act('confirm'));
  $('reject').addEventListener('click', () => act('reject'));
  $('relabel').addEventListener('click', () => { if (!isOff('relabel')) act('relabel', {label: $('relabel-label').value}); });
  $('relabel-label').addEventListener('change', relabelReady);
  $('comment-btn').addEventListener('click', () => act('comment', {comment: $('comment').value}));
  $('export').addEventListener('click', async () => {
    try { const r = await api('/api/export', {method: 'POST', headers: headers(), body: '{}'});
          $('export-result').textContent = r.samples + ' samples written'; }
    catch (err) { $('export-result').textContent = 'refused: ' + err.message; }
  });
  await loadFindings(); await loadAudit();
}
init();
"""
