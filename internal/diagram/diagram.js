// The message diagram of one test run, drawn from labrpc's journal.
//
// One lane (column) per node; time runs down. Each row is one journal event,
// in the order the network recorded them, and the axis on the left gives the
// (virtual) time of the rows where the clock moved. The page draws at most
// MAX_CALLS calls at a time: a window of the run, chosen with the controls or
// by clicking the overview strip.
'use strict';

const MAX_CALLS = 1500; // calls drawn at once
const ROW = 16; // pixels per row
const TOP = 14; // space above the first row
const AXIS = 92; // the time axis
const VIEWCOL = 96; // the view column
// Method colours stay clear of the reds, orange and purple of the fault marks.
const PALETTE = ['#1f6fd1', '#2a9d55', '#00838f', '#9c6b30', '#3949ab', '#5d6d00', '#37474f', '#00695c', '#827717', '#5d4037'];
const PING_COLOR = '#9aa3ad';
const GROUP_FILL = ['#fff1c9', '#dff3e4', '#e5ecfb', '#f8e1ec', '#e6f4f1'];
const DROP_REQ = '#d32f2f';
const DROP_REP = '#ef6c00';
const FAIL = '#7b1fa2';
const CUT = '#c62828';
const MEND = '#2e7d32';
const DELAY = '#b26a00';

const body = document.body;

function fail(msg) {
  body.setAttribute('data-render', 'error');
  body.setAttribute('data-error', String(msg));
  const box = document.getElementById('error');
  if (box) {
    box.textContent = 'The diagram could not be drawn: ' + msg;
    box.hidden = false;
  }
}
window.addEventListener('error', (e) => fail(e.message || String(e)));

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// fmtTime renders nanoseconds since midnight as HH:MM:SS.mmm, or with
// microseconds when micro is set: the journal's and the topic logs' format.
function fmtTime(ns, micro) {
  const us = Math.floor(ns / 1000);
  const s = Math.floor(us / 1e6);
  const pad = (n, w) => String(n).padStart(w, '0');
  let out = pad(Math.floor(s / 3600), 2) + ':' + pad(Math.floor(s / 60) % 60, 2) + ':' + pad(s % 60, 2) + '.';
  out += micro ? pad(us % 1e6, 6) : pad(Math.floor((us % 1e6) / 1000), 3);
  return out;
}
const secs = (ns) => (ns / 1e9).toFixed(3);

function main() {
  const D = JSON.parse(document.getElementById('pblab-data').textContent);
  const nodes = D.nodes, calls = D.calls, events = D.events, views = D.views, methods = D.methods;
  const $ = (id) => document.getElementById(id);

  // ---- header ----
  const verdict = D.failed ? '<span class="failed">FAILED</span>' : '<span class="passed">passed</span>';
  $('title').innerHTML = esc(D.test) + ' — ' + verdict + ' — seed ' + esc(D.seed) + (D.realtime ? ' (wall clock)' : ' (virtual time)');
  if (D.replay) $('replay').innerHTML = 'replay: <code>' + esc(D.replay) + '</code>';
  let scope = 'The network recorded ' + D.recorded + ' events (' + calls.length + ' calls on this page).';
  if (D.omitted > 0) scope += ' Its journal kept only the last ' + (D.recorded - D.omitted) + ': the first ' + D.omitted + ' are lost.';
  if (D.cutCalls > 0) scope += ' To stay small, this page keeps only the calls of the last ' + D.maxEvents +
    ' call events (PBLAB_TRACE_EVENTS changes it): ' + D.cutCalls + ' earlier calls are left out; crashes, partitions, link faults, notes and views are all kept.';
  scope += ' At most ' + MAX_CALLS + ' calls are drawn at a time: pick a window with the controls or by clicking the overview.';
  $('scope').textContent = scope;

  // ---- methods: short labels, colours, filters ----
  const shortName = methods.map((m) => m.slice(m.lastIndexOf('.') + 1));
  const ambiguous = {};
  shortName.forEach((s) => { ambiguous[s] = (ambiguous[s] || 0) + 1; });
  const label = methods.map((m, i) => {
    if (ambiguous[shortName[i]] < 2) return shortName[i];
    const svc = m.slice(0, m.lastIndexOf('.'));
    const initials = svc.replace(/[^A-Z]/g, '') || svc.slice(0, 2);
    return initials + '.' + shortName[i];
  });
  let next = 0;
  const color = methods.map((m) => (/\.Ping$/.test(m) ? PING_COLOR : PALETTE[next++ % PALETTE.length]));
  const enabled = methods.map(() => true);
  const perMethod = methods.map(() => 0);
  calls.forEach((c) => { perMethod[c.m]++; });
  $('methods').innerHTML = methods.map((m, i) =>
    '<label title="' + esc(m) + '"><input type="checkbox" data-m="' + i + '" checked>' +
    '<span class="swatch" style="background:' + color[i] + '"></span>' + esc(label[i]) + ' (' + perMethod[i] + ')</label>').join('');

  // ---- the run's extent ----
  // A call's points: its send, delivery, late or second delivery, and end.
  const points = (c) => [c.s, c.d, c.l, c.g, c.e];
  const firstSeq = (c) => (c.s || c.d || c.e)[0];
  calls.sort((a, b) => firstSeq(a) - firstSeq(b));
  let t0 = Infinity, t1 = -Infinity;
  const see = (p) => { if (p) { t0 = Math.min(t0, p[1]); t1 = Math.max(t1, p[1]); } };
  calls.forEach((c) => points(c).forEach(see));
  events.forEach((e) => see(e.p));
  if (t0 === Infinity) { t0 = 0; t1 = 0; }
  const callTime = (c) => (c.s || c.d || c.e)[1];
  const callIndex = new Map(), eventIndex = new Map(), viewIndex = new Map();
  calls.forEach((c, i) => callIndex.set(c, i));
  events.forEach((e, i) => eventIndex.set(e, i));
  views.forEach((v, i) => viewIndex.set(v, i));

  // ---- window ----
  // The window is typed in seconds: of virtual time, which starts at zero
  // with the test, or on the wall clock since the first event.
  const inputOrigin = D.realtime ? t0 : 0;
  if (D.realtime) {
    $('from').title = $('to').title = 'seconds since the first event (wall clock)';
    $('unit').textContent = 's after the first event';
  }
  let win = { from: t0, to: t1 };
  function lastWindow() {
    if (calls.length <= MAX_CALLS) return { from: t0, to: t1 };
    return { from: callTime(calls[calls.length - MAX_CALLS]), to: t1 };
  }
  win = lastWindow();

  const svg = $('diagram');
  const lanesDiv = $('lanes');
  const tip = $('tip');
  let selected = null; // {type, i}
  let drawn = null; // what the last draw put on the page

  function laneWidth() {
    const avail = $('scroller').clientWidth - AXIS - VIEWCOL - 8;
    return Math.max(120, Math.min(240, Math.floor(avail / Math.max(1, nodes.length))));
  }

  function draw() {
    const LANE = laneWidth();
    const x = (i) => AXIS + VIEWCOL + LANE * i + LANE / 2;
    const inWin = (p) => p && p[1] >= win.from && p[1] <= win.to;

    // The calls to draw.
    let vis = calls.filter((c) => enabled[c.m] && points(c).some(inWin));
    const inWindow = vis.length;
    if (vis.length > MAX_CALLS) vis = vis.slice(vis.length - MAX_CALLS);
    const visEvents = events.filter((e) => inWin(e.p));
    const visViews = views.filter((v) => inWin(v.p));

    // Rows: one per distinct journal position among the points drawn.
    const seqs = new Set();
    const add = (p) => { if (p) seqs.add(p[0]); };
    vis.forEach((c) => points(c).forEach(add));
    visEvents.forEach((e) => add(e.p));
    visViews.forEach((v) => add(v.p));
    const sorted = Array.from(seqs).sort((a, b) => a - b);
    const rowOf = new Map();
    sorted.forEach((s, i) => rowOf.set(s, i));
    const timeOf = new Map();
    const note = (p) => { if (p) timeOf.set(p[0], p[1]); };
    vis.forEach((c) => points(c).forEach(note));
    visEvents.forEach((e) => note(e.p));
    visViews.forEach((v) => note(v.p));
    const nRows = Math.max(sorted.length, 1);
    const y = (p) => TOP + rowOf.get(p[0]) * ROW + ROW / 2;
    const yEnd = TOP + nRows * ROW + 8;
    const width = AXIS + VIEWCOL + LANE * nodes.length + 8;
    const startSeq = sorted.length ? sorted[0] : Infinity;

    // The state at the top of the window: who is down, the partition, the
    // cut links, the view.
    const down = new Map(); // node -> seq it crashed at (-1: before the window)
    let partition = null; // {p, groups} in force
    const cuts = new Map(); // "from → to" of each cut link
    for (const e of events) {
      if (e.p[0] >= startSeq) break;
      if (e.k === 'crash') down.set(e.n, -1);
      else if (e.k === 'start' || e.k === 'restart') down.delete(e.n);
      else if (e.k === 'partition') partition = { p: null, e: e };
      else if (e.k === 'heal') { partition = null; cuts.clear(); }
      else if (e.k === 'cut') cuts.set(e.n + ' ' + e.t, nodeName(e.n) + ' → ' + nodeName(e.t));
      else if (e.k === 'mend') cuts.delete(e.n + ' ' + e.t);
    }
    let view = null;
    for (const v of views) { if (v.p[0] < startSeq) view = v; }

    const out = [];
    out.push('<defs>');
    const arrowColors = color.concat([DROP_REQ, DROP_REP, FAIL, CUT, MEND, DELAY]);
    arrowColors.forEach((c, i) => {
      out.push('<marker id="arr' + i + '" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto-start-reverse">' +
        '<path d="M0,0 L10,5 L0,10 z" fill="' + c + '"/></marker>');
    });
    out.push('<pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
      '<rect width="8" height="8" fill="#f4f5f7"/><line x1="0" y1="0" x2="0" y2="8" stroke="#c9ced6" stroke-width="3"/></pattern>');
    out.push('</defs>');

    // Partition bands, then crash bands, under everything else.
    const bands = [];
    const partBand = (from, to, e) => {
      const yTop = from === null ? 0 : y(from) - ROW / 2;
      const yBot = to === null ? yEnd : y(to) - ROW / 2;
      const parts = [];
      (e.g || []).forEach((g, gi) => g.forEach((n) => {
        parts.push('<rect x="' + (x(n) - LANE / 2 + 3) + '" y="' + yTop + '" width="' + (LANE - 6) + '" height="' + Math.max(2, yBot - yTop) +
          '" fill="' + GROUP_FILL[gi % GROUP_FILL.length] + '"/>');
      }));
      bands.push('<g class="mark band-part" data-e="' + eventIndex.get(e) + '">' + parts.join('') +
        '<text class="partlabel halo" x="' + (AXIS + VIEWCOL + 4) + '" y="' + (yTop + 11) + '">partition ' + esc(e.d || '') + '</text></g>');
    };
    let openPart = partition ? { from: null, e: partition.e } : null;
    for (const e of visEvents) {
      if (e.k === 'partition' || e.k === 'heal') {
        if (openPart) partBand(openPart.from, e.p, openPart.e);
        openPart = e.k === 'partition' ? { from: e.p, e: e } : null;
      }
    }
    if (openPart) partBand(openPart.from, null, openPart.e);

    const crashBand = (n, from, to) => {
      const yTop = from === null ? 0 : y(from);
      const yBot = to === null ? yEnd : y(to);
      bands.push('<rect class="band-crash" x="' + (x(n) - LANE / 2 + 10) + '" y="' + yTop + '" width="' + (LANE - 20) + '" height="' + Math.max(2, yBot - yTop) + '"/>');
    };
    const crashed = new Map();
    down.forEach((_, n) => crashed.set(n, null));
    for (const e of visEvents) {
      if (e.n < 0) continue;
      if (e.k === 'crash') crashed.set(e.n, e.p);
      else if ((e.k === 'start' || e.k === 'restart') && crashed.has(e.n)) {
        crashBand(e.n, crashed.get(e.n), e.p);
        crashed.delete(e.n);
      }
    }
    crashed.forEach((from, n) => crashBand(n, from, null));
    out.push(bands.join(''));

    // Lanes and the time axis.
    nodes.forEach((_, i) => out.push('<line class="lane" x1="' + x(i) + '" y1="0" x2="' + x(i) + '" y2="' + yEnd + '"/>'));
    let lastLabelRow = -10, lastT = null;
    sorted.forEach((s, r) => {
      const t = timeOf.get(s);
      if (t === lastT) return;
      lastT = t;
      const yy = TOP + r * ROW + ROW / 2;
      if (r - lastLabelRow >= 2) {
        out.push('<line class="grid" x1="' + AXIS + '" y1="' + (yy - ROW / 2) + '" x2="' + width + '" y2="' + (yy - ROW / 2) + '"/>');
        out.push('<text class="axis" x="4" y="' + (yy + 3) + '">' + fmtTime(t, false) + '</text>');
        lastLabelRow = r;
      } else {
        out.push('<line class="lane" x1="' + (AXIS - 8) + '" y1="' + (yy - ROW / 2) + '" x2="' + (AXIS - 2) + '" y2="' + (yy - ROW / 2) + '"/>');
      }
    });

    // The view column: the latest view seen, row by row.
    const viewSegs = [];
    let vFrom = null, vCur = view;
    const viewSeg = (v, from, to) => {
      if (!v) return;
      const yTop = from === null ? 0 : y(from) - ROW / 2;
      const yBot = to === null ? yEnd : y(to) - ROW / 2;
      const vi = viewIndex.get(v);
      let labels = '';
      // The label repeats down a long segment, so that it is always in sight.
      for (let ly = yTop; ly === yTop || ly + 24 < yBot; ly += 40 * ROW) {
        labels += '<text class="viewlabel" x="' + (AXIS + 6) + '" y="' + (ly + 11) + '">view ' + v.v + '</text>' +
          '<text class="axis" x="' + (AXIS + 6) + '" y="' + (ly + 22) + '">P ' + esc(v.pr || '—') + ' · B ' + esc(v.b || '—') + '</text>';
      }
      viewSegs.push('<g class="mark" data-v="' + vi + '"><rect class="viewcol" x="' + (AXIS + 2) + '" y="' + yTop + '" width="' + (VIEWCOL - 8) +
        '" height="' + Math.max(2, yBot - yTop) + '"/>' + labels + '</g>');
    };
    for (const v of visViews) {
      viewSeg(vCur, vFrom, v.p);
      vCur = v;
      vFrom = v.p;
      out.push('<line class="viewline" x1="' + (AXIS + VIEWCOL - 6) + '" y1="' + (y(v.p) - ROW / 2) + '" x2="' + width + '" y2="' + (y(v.p) - ROW / 2) + '"/>');
    }
    viewSeg(vCur, vFrom, null);
    out.push(viewSegs.join(''));

    // The calls.
    const cross = (cx, cy, c) => '<path class="dropx" stroke="' + c + '" d="M' + (cx - 4) + ',' + (cy - 4) + ' L' + (cx + 4) + ',' + (cy + 4) +
      ' M' + (cx - 4) + ',' + (cy + 4) + ' L' + (cx + 4) + ',' + (cy - 4) + '"/>';
    const nope = (cx, cy) => '<circle cx="' + cx + '" cy="' + cy + '" r="4.5" fill="#fff" stroke="' + FAIL + '" stroke-width="1.6"/>' +
      '<path stroke="' + FAIL + '" stroke-width="1.6" d="M' + (cx - 3) + ',' + (cy + 3) + ' L' + (cx + 3) + ',' + (cy - 3) + '"/>';
    const line = (cls, x1, y1, x2, y2, c, marker) => '<path class="' + cls + '" stroke="' + c + '" d="M' + x1 + ',' + y1 + ' L' + x2 + ',' + y2 + '"' +
      (marker === undefined ? '' : ' marker-end="url(#arr' + marker + ')"') + '/>';
    const linkArrow = { cut: color.length + 3, mend: color.length + 4, 'link-delay': color.length + 5 };
    for (const c of vis) {
      const ci = callIndex.get(c);
      const col = color[c.m];
      let xs = x(c.f), xt = x(c.t);
      const self = c.f === c.t;
      if (self) xt = xs + LANE / 3;
      // Where a lost message stops: halfway, but off any lane in between,
      // so that the mark is not read as that node's.
      let mid = (xs + xt) / 2;
      if (nodes.some((_, i) => Math.abs(x(i) - mid) < 14)) mid += xs < xt ? -26 : 26;
      const parts = [];
      const hit = [];
      const ys = c.s ? y(c.s) : null, yd = c.d ? y(c.d) : null, ye = c.e ? y(c.e) : null;
      if (c.s && c.d) {
        parts.push(line('req', xs, ys, xt, yd, col, c.m));
        const lx = xs + (xt - xs) * 0.3, ly = ys + (yd - ys) * 0.3 - 3;
        parts.push('<text class="halo" x="' + lx + '" y="' + ly + '" text-anchor="middle" fill="' + col + '">' + esc(label[c.m]) + '</text>');
        hit.push([xs, ys], [xt, yd]);
      } else if (c.s) {
        hit.push([xs, ys]);
      } else if (c.d) {
        parts.push('<circle cx="' + xt + '" cy="' + yd + '" r="2.5" fill="' + col + '"/>');
        hit.push([xt, yd]);
      }
      if (c.e) {
        const from = c.d ? [xt, Math.max(yd, ye - ROW * 0.7)] : (c.s ? [xs, ys] : null);
        switch (c.o) {
          case 'reply':
            if (c.d) parts.push(line('rep', from[0], from[1], xs, ye, col, c.m));
            hit.push(from || [xs, ye], [xs, ye]);
            break;
          case 'drop-request':
            parts.push(line('req', xs, ys === null ? ye : ys, mid, ye, DROP_REQ));
            parts.push(cross(mid, ye, DROP_REQ));
            parts.push('<text class="halo" x="' + (mid + 7) + '" y="' + (ye + 3) + '" fill="' + DROP_REQ + '">' + esc(label[c.m]) + '</text>');
            hit.push([mid, ye]);
            break;
          case 'drop-reply':
            if (from) parts.push(line('rep', from[0], from[1], mid, ye, DROP_REP));
            parts.push(cross(mid, ye, DROP_REP));
            hit.push([mid, ye]);
            break;
          default: // fail
            if (from) {
              parts.push(line('lost', from[0], from[1], mid, ye, FAIL));
              parts.push(nope(mid, ye));
              if (!c.d) parts.push('<text class="halo" x="' + (mid + 7) + '" y="' + (ye + 3) + '" fill="' + FAIL + '">' + esc(label[c.m]) + '</text>');
              hit.push([mid, ye]);
            } else {
              parts.push(nope(xs, ye));
              hit.push([xs, ye]);
            }
        }
      } else if (c.d) {
        parts.push('<text class="halo" x="' + (xt + 5) + '" y="' + (yd + 3) + '" fill="' + col + '">… no reply yet</text>');
      }
      // A late or second delivery: a dash-dot arrow from the send to the
      // server, labelled; its reply goes nowhere.
      const resends = [];
      for (const [p, what] of [[c.l, 'late'], [c.g, 'again']]) {
        if (!p) continue;
        const yr = y(p), y0 = ys === null ? yr : ys;
        parts.push(line('resend ' + what, xs, y0, xt, yr, col, c.m));
        parts.push('<text class="halo" x="' + (xt + (xs <= xt ? -6 : 6)) + '" y="' + (yr - 4) + '" text-anchor="' +
          (xs <= xt ? 'end' : 'start') + '" fill="' + col + '">' + what + '</text>');
        resends.push('<path class="hit" d="M' + xs + ',' + y0 + ' L' + xt + ',' + yr + '"/>');
      }
      if (hit.length === 1) hit.push([hit[0][0] + 1, hit[0][1]]);
      out.push('<g class="call" data-i="' + ci + '">' + parts.join('') +
        '<path class="hit" d="M' + hit.map((p) => p[0] + ',' + p[1]).join(' L') + '"/>' + resends.join('') + '</g>');
    }

    // A cut, mend or delay of a link: a line from the link's start to its
    // end, labelled; a cut is crossed by a bar.
    function linkMark(e, x1, yy) {
      const x2 = e.t >= 0 ? x(e.t) : x1 + LANE / 2;
      const c = e.k === 'cut' ? CUT : e.k === 'mend' ? MEND : DELAY;
      const text = e.k === 'link-delay' ? (e.d === '0s' ? 'no delay' : 'delay +' + e.d) : e.k;
      const mx = (x1 + x2) / 2;
      let m = line('linkmark ' + e.k, x1, yy, x2, yy, c, linkArrow[e.k]);
      if (e.k === 'cut') m += '<path stroke="' + c + '" stroke-width="2.4" d="M' + (mx - 3) + ',' + (yy - 6) + ' L' + (mx - 3) + ',' + (yy + 6) +
        ' M' + (mx + 3) + ',' + (yy - 6) + ' L' + (mx + 3) + ',' + (yy + 6) + '"/>';
      return m + '<text class="halo" x="' + (mx + 7) + '" y="' + (yy - 4) + '" fill="' + c + '" font-weight="600">' + esc(text) + '</text>';
    }

    // Starts, restarts, crashes, heals, notes, and cuts, mends and delays.
    for (const e of visEvents) {
      const ei = eventIndex.get(e);
      const yy = y(e.p);
      const xx = e.n >= 0 ? x(e.n) : AXIS + VIEWCOL + 4;
      let mark = '';
      switch (e.k) {
        case 'start':
        case 'restart':
          mark = '<path d="M' + (xx - 5) + ',' + (yy - 5) + ' L' + (xx + 5) + ',' + yy + ' L' + (xx - 5) + ',' + (yy + 5) + ' z" fill="#2a9d55"/>' +
            '<text class="halo" x="' + (xx + 8) + '" y="' + (yy + 3) + '" fill="#1e7d32">' + e.k + '</text>';
          break;
        case 'crash':
          mark = '<rect x="' + (xx - 5) + '" y="' + (yy - 5) + '" width="10" height="10" fill="#b3261e"/>' +
            '<text class="halo" x="' + (xx + 8) + '" y="' + (yy + 3) + '" fill="#b3261e" font-weight="600">crash</text>';
          break;
        case 'heal':
          mark = '<text class="partlabel halo" x="' + xx + '" y="' + (yy + 3) + '">heal</text>';
          break;
        case 'cut':
        case 'mend':
        case 'link-delay':
          mark = linkMark(e, xx, yy);
          break;
        case 'partition':
          break; // drawn as a band
        default: {
          const text = (e.d || '').length > 36 ? e.d.slice(0, 35) + '…' : (e.d || '');
          mark = '<g class="note"><rect x="' + (xx - 4) + '" y="' + (yy - 6) + '" width="' + (text.length * 5.6 + 12) + '" height="12" rx="2"/>' +
            '<text x="' + (xx + 2) + '" y="' + (yy + 3) + '">' + esc(text) + '</text></g>';
        }
      }
      if (mark) out.push('<g class="mark" data-e="' + ei + '">' + mark + '</g>');
    }

    svg.setAttribute('width', width);
    svg.setAttribute('height', yEnd + 10);
    svg.innerHTML = out.join('');
    lanesDiv.style.width = width + 'px';
    lanesDiv.innerHTML = '<div class="lane-label" style="left:0;width:' + AXIS + 'px">time<small>' + (D.realtime ? 'wall clock' : 'virtual') + '</small></div>' +
      '<div class="lane-label" style="left:' + AXIS + 'px;width:' + VIEWCOL + 'px">view<small>as seen</small></div>' +
      nodes.map((n, i) => '<div class="lane-label" data-lane="' + esc(n.name) + '" style="left:' + (x(i) - LANE / 2) + 'px;width:' + LANE + 'px">' +
        esc(n.name === '' ? '(anonymous)' : n.name) + '<small>' + esc(n.role === 'viewservice' ? 'view service' : n.role) + '</small></div>').join('');

    let status = 'Window ' + fmtTime(win.from, false) + ' – ' + fmtTime(win.to, false) + ': ' + vis.length + ' calls drawn';
    if (inWindow > vis.length) status = '<span class="warn">' + status + ', the last ' + MAX_CALLS + ' of the ' + inWindow +
      ' in this window: narrow the window to see the others.</span>';
    else status += '.';
    if (cuts.size > 0) status += ' Links cut when the window starts: ' + esc(Array.from(cuts.values()).join(', ')) + '.';
    $('status').innerHTML = status;
    $('from').value = secs(win.from - inputOrigin);
    $('to').value = secs(win.to - inputOrigin);
    drawn = { vis: vis };
    applyFind();
    drawOverview();
    if (selected && selected.type === 'call') {
      const g = svg.querySelector('[data-i="' + selected.i + '"]');
      if (g) g.classList.add('sel');
    }
  }

  // ---- overview ----
  const ov = $('overview');
  function drawOverview() {
    const W = ov.clientWidth || 800, H = 44;
    const span = Math.max(1, t1 - t0);
    const ox = (t) => 4 + ((t - t0) / span) * (W - 8);
    const bins = new Array(Math.max(1, Math.floor((W - 8) / 3))).fill(0);
    calls.forEach((c) => {
      const b = Math.min(bins.length - 1, Math.floor(((callTime(c) - t0) / span) * bins.length));
      bins[b]++;
    });
    const peak = Math.max(1, ...bins);
    const out = [];
    let open = null;
    const partRect = (a, b) => out.push('<rect x="' + ox(a) + '" y="0" width="' + Math.max(1, ox(b) - ox(a)) + '" height="' + H + '" fill="#fff1c9"/>');
    for (const e of events) {
      if (e.k === 'partition') { if (open !== null) partRect(open, e.p[1]); open = e.p[1]; }
      if (e.k === 'heal' && open !== null) { partRect(open, e.p[1]); open = null; }
    }
    if (open !== null) partRect(open, t1);
    bins.forEach((n, i) => {
      if (n) out.push('<rect x="' + (4 + i * 3) + '" y="' + (H - 4 - (n / peak) * (H - 14)) + '" width="2" height="' + ((n / peak) * (H - 14)) + '" fill="#9fb3c8"/>');
    });
    for (const v of views) out.push('<line x1="' + ox(v.p[1]) + '" x2="' + ox(v.p[1]) + '" y1="0" y2="10" stroke="#2f6db5" stroke-width="2"/>');
    for (const e of events) {
      if (e.k === 'crash') out.push('<line x1="' + ox(e.p[1]) + '" x2="' + ox(e.p[1]) + '" y1="0" y2="' + H + '" stroke="#b3261e"/>');
      if (e.k === 'restart' || e.k === 'start') out.push('<line x1="' + ox(e.p[1]) + '" x2="' + ox(e.p[1]) + '" y1="' + (H - 10) + '" y2="' + H + '" stroke="#2a9d55"/>');
      if (e.k === 'cut' || e.k === 'mend' || e.k === 'link-delay') {
        out.push('<line x1="' + ox(e.p[1]) + '" x2="' + ox(e.p[1]) + '" y1="12" y2="22" stroke="' + (e.k === 'cut' ? CUT : e.k === 'mend' ? MEND : DELAY) + '" stroke-width="2"/>');
      }
    }
    out.push('<rect x="' + ox(win.from) + '" y="1" width="' + Math.max(2, ox(win.to) - ox(win.from)) + '" height="' + (H - 2) +
      '" fill="rgba(47,109,181,.12)" stroke="#2f6db5"/>');
    out.push('<text x="6" y="' + (H - 4) + '" class="axis">' + fmtTime(t0, false) + '</text>');
    out.push('<text x="' + (W - 6) + '" y="' + (H - 4) + '" class="axis" text-anchor="end">' + fmtTime(t1, false) + '</text>');
    ov.innerHTML = out.join('');
    ov.onclick = (ev) => {
      const r = ov.getBoundingClientRect();
      const t = t0 + ((ev.clientX - r.left - 4) / (W - 8)) * span;
      const half = (win.to - win.from) / 2;
      let from = t - half, to = t + half;
      if (from < t0) { to += t0 - from; from = t0; }
      if (to > t1) { from -= to - t1; to = t1; from = Math.max(from, t0); }
      win = { from: from, to: to };
      draw();
    };
  }

  // ---- find ----
  function applyFind() {
    const q = $('find').value.trim().toLowerCase();
    svg.classList.toggle('finding', q !== '');
    if (!q || !drawn) return;
    let n = 0;
    svg.querySelectorAll('.call').forEach((g) => {
      const c = calls[+g.getAttribute('data-i')];
      const hay = ('#' + c.id + ' ' + methods[c.m] + ' ' + (c.a || '') + ' ' + (c.r || '')).toLowerCase();
      const m = hay.includes(q);
      g.classList.toggle('match', m);
      if (m) n++;
    });
    $('status').insertAdjacentHTML('beforeend', ' ' + n + ' drawn calls match “' + esc(q) + '”.');
  }

  // ---- hover and click ----
  function nodeName(i) { return i < 0 ? '' : (nodes[i].name === '' ? '(anonymous)' : nodes[i].name); }
  function outcome(c) {
    switch (c.o) {
      case 'reply': return 'replied at ' + fmtTime(c.e[1], true) + ' (' + (c.rz || 0) + ' B)';
      case 'drop-request': return 'request DROPPED by the network at ' + fmtTime(c.e[1], true) + ' (the handler never ran)';
      case 'drop-reply': return 'reply DROPPED at ' + fmtTime(c.e[1], true) + ' (the handler ran)' + (c.r ? ': ' + c.r : '');
      case 'fail': return 'FAILED at ' + fmtTime(c.e[1], true) + ': ' + (c.r || '');
      default: return 'no end recorded (still in flight when the journal was read)';
    }
  }
  function callText(c) {
    let s = '#' + c.id + ' ' + methods[c.m] + '  ' + nodeName(c.f) + ' → ' + nodeName(c.t) + '\n';
    if (c.s) s += 'sent ' + fmtTime(c.s[1], true) + ' (' + (c.z || 0) + ' B): ' + (c.a || '') + '\n';
    if (c.d) s += 'delivered ' + fmtTime(c.d[1], true) + '\n';
    if (c.l) s += 'delivered LATE at ' + fmtTime(c.l[1], true) + ', after the call ended; its reply went nowhere\n';
    if (c.g) s += 'delivered AGAIN at ' + fmtTime(c.g[1], true) + '; that reply went nowhere\n';
    s += outcome(c);
    if (c.o === 'reply') s += ': ' + (c.r || '');
    return s;
  }
  function eventText(e) {
    return e.k + (e.n >= 0 ? ' ' + nodeName(e.n) : '') + (e.t >= 0 ? ' → ' + nodeName(e.t) : '') + ' at ' + fmtTime(e.p[1], true) +
      (e.d ? '\n' + e.d : '');
  }
  function viewText(v) {
    return 'view ' + v.v + ': primary ' + (v.pr || '(none)') + ', backup ' + (v.b || '(none)') + '\nfirst seen at ' +
      fmtTime(v.p[1], true) + ' by ' + nodeName(v.n) + ' (a reply of the view service or a note)';
  }
  function target(el) {
    const g = el.closest ? el.closest('[data-i],[data-e],[data-v]') : null;
    if (!g) return null;
    if (g.hasAttribute('data-i')) return { type: 'call', i: +g.getAttribute('data-i'), g: g };
    if (g.hasAttribute('data-e')) return { type: 'event', i: +g.getAttribute('data-e'), g: g };
    return { type: 'view', i: +g.getAttribute('data-v'), g: g };
  }
  function textOf(t) {
    if (t.type === 'call') return callText(calls[t.i]);
    if (t.type === 'event') return eventText(events[t.i]);
    return viewText(views[t.i]);
  }
  svg.addEventListener('mousemove', (ev) => {
    const t = target(ev.target);
    if (!t) { tip.hidden = true; return; }
    tip.textContent = textOf(t);
    tip.hidden = false;
    const w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - w - 4) + 'px';
    tip.style.top = Math.min(ev.clientY + 14, window.innerHeight - h - 4) + 'px';
  });
  svg.addEventListener('mouseleave', () => { tip.hidden = true; });
  svg.addEventListener('click', (ev) => {
    const t = target(ev.target);
    svg.querySelectorAll('.sel').forEach((g) => g.classList.remove('sel'));
    selected = t;
    if (!t) return;
    if (t.type === 'call') {
      t.g.classList.add('sel');
      history.replaceState(null, '', '#call=' + calls[t.i].id);
    }
    showDetails(t);
  });

  // selectCall shows the call with the given id, moving the window to it if
  // needed: the page opened as diagram.html#call=123 starts there.
  function selectCall(id) {
    const i = calls.findIndex((c) => c.id === id);
    if (i < 0) return false;
    const c = calls[i];
    const t = callTime(c);
    if (t < win.from || t > win.to || !enabled[c.m]) {
      enabled[c.m] = true;
      const cb = document.querySelector('#methods input[data-m="' + c.m + '"]');
      if (cb) cb.checked = true;
      win = { from: t, to: Math.min(t1, t + (win.to - win.from)) };
    }
    selected = { type: 'call', i: i };
    draw();
    const g = svg.querySelector('[data-i="' + i + '"]');
    if (g) {
      const r = g.getBoundingClientRect(), sc = $('scroller');
      sc.scrollTop += r.top - sc.getBoundingClientRect().top - sc.clientHeight / 3;
    }
    showDetails(selected);
    return true;
  }
  function showDetails(t) {
    const box = $('detail-body');
    if (t.type !== 'call') { box.innerHTML = '<pre>' + esc(textOf(t)) + '</pre>'; return; }
    const c = calls[t.i];
    const row = (k, v) => '<dt>' + k + '</dt><dd>' + v + '</dd>';
    let h = '<dl>' + row('call', '#' + c.id) + row('method', '<code>' + esc(methods[c.m]) + '</code>') +
      row('from', esc(nodeName(c.f))) + row('to', esc(nodeName(c.t)));
    if (c.s) h += row('sent', fmtTime(c.s[1], true)) + row('size', (c.z || 0) + ' B');
    h += row('delivered', c.d ? fmtTime(c.d[1], true) : '—');
    if (c.l) h += row('delivered late', fmtTime(c.l[1], true) + ' (the reply went nowhere)');
    if (c.g) h += row('delivered again', fmtTime(c.g[1], true) + ' (the reply went nowhere)');
    h += row('outcome', esc(outcome(c))) + '</dl>';
    if (c.s) h += '<h2>Arguments</h2><pre>' + esc(c.a || '') + '</pre>';
    if (c.o === 'reply') h += '<h2>Reply</h2><pre>' + esc(c.r || '') + '</pre>';
    box.innerHTML = h;
  }

  // ---- legend ----
  (function legend() {
    const items = [
      ['<path d="M4,6 L40,14" stroke="#1f6fd1" stroke-width="1.4" marker-end="url(#lg0)"/>', 'request delivered (label: method)'],
      ['<path d="M40,6 L4,14" stroke="#1f6fd1" stroke-width="1.2" stroke-dasharray="5 3" marker-end="url(#lg0)"/>', 'reply delivered'],
      ['<path d="M4,6 L22,14" stroke="' + DROP_REQ + '" stroke-width="1.4"/>' + cross(22, 14, DROP_REQ), 'request dropped by the network'],
      ['<path d="M40,6 L22,14" stroke="' + DROP_REP + '" stroke-width="1.2" stroke-dasharray="5 3"/>' + cross(22, 14, DROP_REP), 'reply dropped (the handler ran)'],
      ['<path d="M4,6 L22,14" stroke="' + FAIL + '" stroke-width="1.2" stroke-dasharray="2 3"/>' + nope(22, 14), 'call failed (unreachable, crashed, timed out; hover for why)'],
      ['<rect x="4" y="3" width="36" height="14" fill="url(#lghatch)"/><rect x="2" y="5" width="8" height="8" fill="#b3261e"/>', 'crashed until restart'],
      ['<rect x="4" y="3" width="16" height="14" fill="' + GROUP_FILL[0] + '"/><rect x="22" y="3" width="16" height="14" fill="' + GROUP_FILL[1] + '"/>', 'partition: one colour per group'],
      ['<path d="M4,6 L40,14" stroke="#1f6fd1" stroke-width="1.6" stroke-dasharray="8 3 2 3" marker-end="url(#lg0)"/>',
        'request delivered late or again (label: late, again; LateRequests): the handler ran, its reply went nowhere'],
      ['<path d="M4,10 L40,10" stroke="' + CUT + '" stroke-width="1.6"/><path stroke="' + CUT + '" stroke-width="2.4" d="M19,4 L19,16 M25,4 L25,16"/>',
        'link cut, one direction: calls from the left lane to the right fail (a line without bars: mended)'],
      ['<path d="M4,10 L40,10" stroke="' + DELAY + '" stroke-width="1.6"/>', 'link delay set (LinkDelay)'],
      ['<rect x="4" y="3" width="36" height="14" fill="#e8f0fa" stroke="#b8cde8"/><line x1="4" y1="3" x2="40" y2="3" stroke="#2f6db5" stroke-dasharray="6 4"/>', 'a new view, first seen'],
    ];
    function cross(cx, cy, c) {
      return '<path stroke="' + c + '" stroke-width="2" d="M' + (cx - 4) + ',' + (cy - 4) + ' L' + (cx + 4) + ',' + (cy + 4) + ' M' + (cx - 4) + ',' + (cy + 4) + ' L' + (cx + 4) + ',' + (cy - 4) + '"/>';
    }
    function nope(cx, cy) {
      return '<circle cx="' + cx + '" cy="' + cy + '" r="4.5" fill="#fff" stroke="' + FAIL + '" stroke-width="1.6"/><path stroke="' + FAIL + '" stroke-width="1.6" d="M' + (cx - 3) + ',' + (cy + 3) + ' L' + (cx + 3) + ',' + (cy - 3) + '"/>';
    }
    const defs = '<defs><marker id="lg0" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1f6fd1"/></marker>' +
      '<pattern id="lghatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#f4f5f7"/><line x1="0" y1="0" x2="0" y2="8" stroke="#c9ced6" stroke-width="3"/></pattern></defs>';
    $('legend').innerHTML = items.map((it, i) => '<div style="display:flex;align-items:center;gap:6px"><svg width="46" height="20">' + (i === 0 ? defs : '') + it[0] + '</svg>' + it[1] + '</div>').join('') +
      '<p>Each row is one event, in the order the network recorded it; the axis gives the time of the rows where the clock moved. ' +
      'A call on a reliable network takes no virtual time, so many rows share one time.</p>';
  })();

  // ---- controls ----
  document.querySelectorAll('#methods input').forEach((cb) => {
    cb.addEventListener('change', () => { enabled[+cb.getAttribute('data-m')] = cb.checked; draw(); });
  });
  const parseSecs = (s, dflt) => { const v = parseFloat(s); return isNaN(v) ? dflt : inputOrigin + Math.round(v * 1e9); };
  $('apply').onclick = () => {
    const from = parseSecs($('from').value, t0), to = parseSecs($('to').value, t1);
    win = { from: Math.min(from, to), to: Math.max(from, to) };
    draw();
  };
  ['from', 'to'].forEach((id) => $(id).addEventListener('keydown', (ev) => { if (ev.key === 'Enter') $('apply').onclick(); }));
  $('last').onclick = () => { win = lastWindow(); draw(); };
  $('all').onclick = () => { win = { from: t0, to: t1 }; draw(); };
  $('find').addEventListener('input', () => { draw(); });
  window.addEventListener('resize', () => draw());

  draw();
  const want = /^#call=(\d+)$/.exec(location.hash);
  if (want) selectCall(+want[1]);
  body.setAttribute('data-lanes', nodes.map((n) => n.name).join(' '));
  body.setAttribute('data-calls-drawn', String(drawn.vis.length));
  if (body.getAttribute('data-render') !== 'error') body.setAttribute('data-render', 'ok');
}

try {
  main();
} catch (e) {
  fail(e && e.stack ? e.stack : e);
}
