// The inspector page: the exchanges this Tapeline captured lately, live (server-sent events),
// one exchange with its chunk timeline, and the replay misses with what differs. No framework.
'use strict';

const rows = new Map(); // exchange id -> its table row
const tbody = document.querySelector('#exchanges tbody');
const filters = {
  testId: document.getElementById('filter-test-id'),
  model: document.getElementById('filter-model'),
  outcome: document.getElementById('filter-outcome'),
};
let selected = null;

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text == null ? '' : String(text);
  if (className) td.className = className;
  return td;
}

function show(exchange) {
  let row = rows.get(exchange.id);
  const fresh = !row;
  if (fresh) {
    row = document.createElement('tr');
    row.className = 'exchange';
    row.dataset.id = exchange.id;
    row.addEventListener('click', () => open(exchange.id));
    rows.set(exchange.id, row);
  }
  row.dataset.time = exchange.time;
  row.dataset.testId = exchange.testId || '';
  row.dataset.model = exchange.model || '';
  row.dataset.outcome = exchange.outcome;
  row.replaceChildren(
    cell(new Date(exchange.time).toLocaleTimeString()),
    cell(exchange.route),
    cell(exchange.testId || '(none)', 'test-id'),
    cell(exchange.model),
    cell(exchange.endpoint),
    cell(exchange.status),
    cell(exchange.reason ? exchange.outcome + ' ' + exchange.reason.split(':')[0] : exchange.outcome,
      'outcome-' + exchange.outcome),
    cell(exchange.chunks),
    cell(exchange.durationMs == null ? '' : exchange.durationMs.toFixed(0)),
    cell(exchange.fixture + (exchange.fixtureReason ? ': ' + exchange.fixtureReason : ''),
      'fixture-' + exchange.fixture.replace(' ', '-')));
  row.title = exchange.testId || '';
  if (fresh) tbody.prepend(row); // newest first
  filter(row);
  count();
  if (selected === exchange.id) open(exchange.id);
}

function filter(row) {
  const testId = filters.testId.value.trim();
  const model = filters.model.value.trim();
  const outcome = filters.outcome.value;
  row.hidden = (testId && !row.dataset.testId.startsWith(testId))
    || (model && !row.dataset.model.includes(model))
    || (outcome && row.dataset.outcome !== outcome);
}

function count() {
  const visible = [...rows.values()].filter((row) => !row.hidden).length;
  document.getElementById('count').textContent = visible + ' of ' + rows.size + ' exchanges';
}

Object.values(filters).forEach((input) => input.addEventListener('input', () => {
  rows.forEach(filter);
  count();
}));

function pretty(value) {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

async function open(id) {
  selected = id;
  rows.forEach((row, rowId) => row.classList.toggle('selected', rowId === id));
  const response = await fetch('/inspector/api/exchanges/' + encodeURIComponent(id));
  if (!response.ok) return;
  const exchange = await response.json();
  document.getElementById('detail').hidden = false;
  document.getElementById('detail-title').textContent =
    exchange.endpoint + ' · ' + (exchange.testId || '(no test id)');
  document.getElementById('detail-request').textContent = pretty(exchange.request);
  document.getElementById('detail-response').textContent =
    pretty(exchange.response.body !== undefined ? exchange.response.body : exchange.response.chunks)
    + (exchange.response.truncated ? '\n(more not kept)' : '');
  document.getElementById('detail-fixture-path').textContent = exchange.fixturePath || exchange.fixture;
  document.getElementById('detail-fixture').textContent =
    exchange.fixtureContent || exchange.fixtureReason || '(no fixture yet)';
  timeline(exchange.chunkOffsetsMs);
}

// one mark per chunk at the time it arrived after the request; gaps show as space
function timeline(offsets) {
  const svg = document.getElementById('timeline');
  const width = svg.clientWidth || 600;
  const pad = 12;
  const last = offsets.length ? Math.max(...offsets) : 0;
  const x = (ms) => pad + (last > 0 ? (ms / last) * (width - 2 * pad) : 0);
  const ns = 'http://www.w3.org/2000/svg';
  const parts = [];
  const axis = document.createElementNS(ns, 'line');
  Object.entries({ x1: pad, x2: width - pad, y1: 40, y2: 40, class: 'axis' })
    .forEach(([k, v]) => axis.setAttribute(k, v));
  parts.push(axis);
  offsets.forEach((ms, i) => {
    const mark = document.createElementNS(ns, 'circle');
    Object.entries({ cx: x(ms), cy: 40, r: 3, class: 'chunk-mark' }).forEach(([k, v]) => mark.setAttribute(k, v));
    const title = document.createElementNS(ns, 'title');
    title.textContent = 'chunk ' + i + ' at ' + ms.toFixed(1) + ' ms';
    mark.appendChild(title);
    parts.push(mark);
  });
  [[0, 'start'], [last, last.toFixed(0) + ' ms']].forEach(([ms, label]) => {
    const text = document.createElementNS(ns, 'text');
    Object.entries({ x: x(ms), y: 60, class: 'tick', 'text-anchor': ms ? 'end' : 'start' })
      .forEach(([k, v]) => text.setAttribute(k, v));
    text.textContent = label;
    parts.push(text);
  });
  svg.replaceChildren(...parts);
  const gaps = offsets.slice(1).map((ms, i) => ms - offsets[i]);
  document.getElementById('timeline-caption').textContent = offsets.length + ' chunks over '
    + last.toFixed(1) + ' ms' + (gaps.length ? '; longest gap ' + Math.max(...gaps).toFixed(1) + ' ms' : '');
}

const missesShown = new Set();

function showMiss(miss) {
  const key = miss.time + ' ' + miss.hash;
  if (missesShown.has(key)) return;
  missesShown.add(key);
  const item = document.createElement('li');
  item.className = 'miss';
  const head = document.createElement('div');
  head.textContent = new Date(miss.time).toLocaleTimeString() + ' ' + miss.endpoint + ' · '
    + (miss.testId || '(no test id)') + ' · hash ' + miss.hash.slice(0, 12);
  item.appendChild(head);
  const nearest = document.createElement('div');
  nearest.className = 'nearest';
  nearest.textContent = miss.nearest ? 'nearest: ' + miss.nearest.file + ' (' + miss.nearest.why + ')'
    : 'nothing of this endpoint recorded';
  item.appendChild(nearest);
  (miss.nearest ? miss.nearest.differences : []).forEach((d) => {
    const line = document.createElement('span');
    line.className = 'difference';
    line.textContent = d.path + ': ' + d.sent + ' ≠ ' + d.recorded;
    item.appendChild(line);
  });
  document.getElementById('misses').prepend(item);
}

async function load() {
  const [exchanges, misses] = await Promise.all([
    fetch('/inspector/api/exchanges').then((r) => r.json()),
    fetch('/inspector/api/misses').then((r) => r.json()),
  ]);
  exchanges.reverse().forEach(show);
  misses.reverse().forEach(showMiss);
  // newest first, whichever arrived first: the list or the live events
  [...rows.values()].sort((a, b) => (a.dataset.time < b.dataset.time ? 1 : -1)).forEach((row) => tbody.append(row));
}

// live first, then what happened before: an exchange shown twice is updated, a miss shown once
const status = document.getElementById('status');
const events = new EventSource('/inspector/api/events');
events.addEventListener('open', () => { status.textContent = 'live'; });
events.addEventListener('error', () => { status.textContent = 'reconnecting…'; });
events.addEventListener('exchange', (e) => show(JSON.parse(e.data)));
events.addEventListener('miss', (e) => showMiss(JSON.parse(e.data)));
load();
