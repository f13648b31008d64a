// InferencePlanner's page: the inputs live in the URL, every change asks the server for a plan, the answer is drawn here.
'use strict';

const fields = ['model', 'gpu', 'framework', 'mode', 'kvCache', 'mtp', 'isl', 'osl', 'cacheHit', 'maxTtft', 'maxTpot', 'minTps', 'targetsOn'];
const numeric = new Set(['mtp', 'isl', 'osl', 'cacheHit', 'maxTtft', 'maxTpot', 'minTps']);
const colours = ['#0969da', '#cf222e', '#1a7f37', '#8250df', '#bf8700', '#0550ae', '#a40e26', '#116329'];
const svgNs = 'http://www.w3.org/2000/svg';
let pending = 0;
let timer = null;

function $(id) { return document.getElementById(id); }

function el(name, attrs, text) {
  const e = document.createElementNS(svgNs, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fill(select, names) {
  select.replaceChildren(...names.map(n => { const o = document.createElement('option'); o.value = n; o.textContent = n; return o; }));
}

// The view's state: the URL's query, written back on every change so that a view can be shared.
function readUrl() {
  const q = new URLSearchParams(location.search);
  for (const f of fields) if (q.has(f)) $(f).value = q.get(f);
}

function writeUrl() {
  const q = new URLSearchParams();
  for (const f of fields) if ($(f).value !== '') q.set(f, $(f).value);
  history.replaceState(null, '', '?' + q.toString());
}

function query() {
  const body = {};
  for (const f of fields) {
    const v = $(f).value;
    if (v === '') continue;
    body[f] = numeric.has(f) ? Number(v) : v;
  }
  const config = $('modelConfig').value.trim();
  const gpuFile = $('gpuFile').value.trim();
  if (config) body.modelConfig = config;
  if (gpuFile) body.gpuFile = gpuFile;
  return body;
}

function schedule() {
  writeUrl();
  clearTimeout(timer);
  timer = setTimeout(plan, 300);
}

async function plan() {
  const ticket = ++pending;
  $('status').textContent = 'planning...';
  let answer, status;
  try {
    const response = await fetch('/api/plan', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(query()) });
    status = response.status;
    answer = await response.json();
  } catch (e) {
    answer = { error: 'the server did not answer: ' + e.message };
  }
  if (ticket !== pending) return; // a newer request is on its way
  if (answer.error) {
    $('error').textContent = answer.error;
    $('error').hidden = false;
    $('status').textContent = status ? `the server refused the input (${status})` : '';
    document.body.dataset.state = 'error';
    return;
  }
  $('error').hidden = true;
  window.__plan = answer.document;
  render(answer);
  $('status').textContent = '';
  document.body.dataset.state = 'ready';
}

function table(doc, key) { return doc.tables.find(t => t.key === key); }

// A held-out band as the choice table gives it (low and high), or nothing where the framework and mode have none.
function band(cell, digits) { return Array.isArray(cell) ? ` (80% band ${cell[0].toFixed(digits)} to ${cell[1].toFixed(digits)})` : ''; }

function render(answer) {
  const doc = answer.document;
  $('result').hidden = false;
  $('command').textContent = answer.command;
  const chosen = table(doc, 'choice').rows[0];
  $('chosen').textContent = `${chosen.mode} on ${chosen['GPUs per replica']} x ${chosen.GPU}: ${chosen.layout}, concurrency ${chosen.concurrency}; ` +
    `TTFT ${chosen['TTFT (ms)'].toFixed(1)} ms${band(chosen['TTFT band, low / high (ms)'], 1)}, TPOT ${chosen['TPOT (ms)'].toFixed(2)} ms${band(chosen['TPOT band, low / high (ms)'], 2)}, ` +
    `${chosen['tokens/s per user'].toFixed(1)} tokens/s per user, ${chosen['output tokens/s per GPU'].toFixed(1)} output tokens/s per GPU; limited by ${chosen['limited by']}.`;
  $('chosen').title = table(doc, 'choice').notes.filter(n => n.startsWith('Band') || n.startsWith('No band')).join('\n');
  $('chosen').dataset.layout = chosen.layout;
  $('chosen').dataset.mode = chosen.mode;
  drawFrontier(doc, chosen);
  drawBreakdown(table(doc, 'breakdown').rows);
  const commands = table(doc, 'commands').rows;
  $('commands').replaceChildren(...commands.map(c => {
    const pre = document.createElement('pre');
    pre.dataset.framework = c.framework;
    pre.textContent = `# ${c.framework}, ${c.role} x ${c.instances}${c.note !== '-' ? ': ' + c.note : ''}\n${c.command}`;
    return pre;
  }));
  const cost = table(doc, 'cost').rows[0];
  $('cost').textContent = cost['USD per GPU-hour'] === '-' ? cost['price source']
    : `$${cost['USD per million input tokens'].toFixed(3)} per million input tokens, $${cost['USD per million output tokens'].toFixed(3)} per million output tokens at $${cost['USD per GPU-hour'].toFixed(2)} per GPU-hour (${cost['price source']}).`;
}

function inputsText(doc) {
  const v = k => doc.inputs[k];
  return `${v('model')}, ${v('workload')}, ${v('precisions')}`;
}

function ticks(lo, hi, n) {
  const step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
  const nice = [1, 2, 5, 10].map(m => m * step).find(s => (hi - lo) / s <= n) || step * 10;
  const out = [];
  for (let t = Math.ceil(lo / nice) * nice; t <= hi + 1e-9; t += nice) out.push(t);
  return out;
}

function drawFrontier(doc, chosen) {
  const svg = $('frontier');
  svg.replaceChildren();
  const rows = table(doc, 'frontier').rows;
  const W = 800, H = 460, L = 70, R = 190, T = 40, B = 50;
  const xs = rows.map(r => r['tokens/s per user']), ys = rows.map(r => r['output tokens/s per GPU']);
  const xMax = Math.max(...xs) * 1.05, yMax = Math.max(...ys) * 1.08;
  const x = v => L + (v / xMax) * (W - L - R), y = v => H - B - (v / yMax) * (H - T - B);
  svg.append(el('text', { x: L, y: 20, 'font-weight': '600' }, `Frontier: ${inputsText(doc)}`));
  for (const t of ticks(0, xMax, 8)) {
    svg.append(el('line', { class: 'grid', x1: x(t), x2: x(t), y1: T, y2: H - B }));
    svg.append(el('text', { x: x(t), y: H - B + 16, 'text-anchor': 'middle' }, String(Math.round(t))));
  }
  for (const t of ticks(0, yMax, 6)) {
    svg.append(el('line', { class: 'grid', x1: L, x2: W - R, y1: y(t), y2: y(t) }));
    svg.append(el('text', { x: L - 6, y: y(t) + 4, 'text-anchor': 'end' }, String(Math.round(t))));
  }
  svg.append(el('text', { x: (L + W - R) / 2, y: H - 10, 'text-anchor': 'middle' }, 'tokens/s per user'));
  svg.append(el('text', { x: 16, y: (T + H - B) / 2, transform: `rotate(-90 16 ${(T + H - B) / 2})`, 'text-anchor': 'middle' }, 'output tokens/s per GPU'));
  const series = [...new Set(rows.map(r => `${r.GPU} ${r.mode}`))];
  series.forEach((s, i) => {
    const colour = colours[i % colours.length];
    const pts = rows.filter(r => `${r.GPU} ${r.mode}` === s).sort((a, b) => a['tokens/s per user'] - b['tokens/s per user']);
    svg.append(el('polyline', { points: pts.map(r => `${x(r['tokens/s per user'])},${y(r['output tokens/s per GPU'])}`).join(' '), fill: 'none', stroke: colour, 'stroke-width': 1.5 }));
    for (const r of pts) {
      svg.append(el('circle', { class: 'point', cx: x(r['tokens/s per user']), cy: y(r['output tokens/s per GPU']), r: 3, fill: colour,
        'data-series': s, 'data-user': r['tokens/s per user'], 'data-gpu': r['output tokens/s per GPU'], 'data-layout': r.layout }));
    }
    svg.append(el('rect', { x: W - R + 15, y: T + i * 20, width: 12, height: 12, fill: colour }));
    svg.append(el('text', { x: W - R + 33, y: T + i * 20 + 10 }, s));
  });
  const cx = x(chosen['tokens/s per user']), cy = y(chosen['output tokens/s per GPU']);
  svg.append(el('circle', { id: 'chosen-point', cx, cy, r: 8, fill: 'none', stroke: '#1b1f24', 'stroke-width': 2 }));
  svg.append(el('text', { x: cx + 10, y: cy - 10 }, 'chosen'));
}

function drawBreakdown(rows) {
  const svg = $('breakdown');
  svg.replaceChildren();
  const W = 800, L = 60, R = 20;
  const groups = [['TTFT', rows.filter(r => r.part.startsWith('TTFT'))], ['TPOT', rows.filter(r => r.part.startsWith('TPOT'))]];
  groups.forEach(([name, parts], g) => {
    const total = parts.reduce((s, p) => s + p.ms, 0) || 1;
    let at = L;
    const top = 20 + g * 70;
    svg.append(el('text', { x: 4, y: top + 16 }, name));
    parts.forEach((p, i) => {
      const w = (p.ms / total) * (W - L - R);
      if (w <= 0) return;
      const rect = el('rect', { class: 'part', x: at, y: top, width: w, height: 24, fill: colours[i % colours.length], 'data-part': p.part, 'data-ms': p.ms });
      rect.append(el('title', {}, `${p.part}: ${p.ms.toFixed(3)} ms`));
      svg.append(rect);
      if (w > 70) svg.append(el('text', { x: at + 4, y: top + 40 }, p.part.replace(/^T\w+: /, '').slice(0, Math.floor(w / 7))));
      at += w;
    });
    svg.append(el('text', { x: W - R, y: top - 4, 'text-anchor': 'end' }, `${total.toFixed(2)} ms`));
  });
}

async function start() {
  const catalog = await (await fetch('/api/catalog')).json();
  fill($('model'), catalog.models);
  fill($('gpu'), catalog.gpus);
  fill($('framework'), catalog.frameworks);
  $('model').value = 'deepseek-r1';
  $('gpu').value = 'H200';
  $('framework').value = 'sglang';
  readUrl();
  for (const f of [...fields, 'modelConfig', 'gpuFile']) $(f).addEventListener('change', schedule);
  document.body.dataset.state = 'loading';
  plan();
}

start();
