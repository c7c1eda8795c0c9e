// The dashboard page: reads the run's snapshot from the server (JSON), then follows it with
// Server-Sent Events. Plain browser JavaScript, no build step; every text from the run's
// records goes into the page as text (never as HTML).
/* global document, location, Node, EventSource, uPlot */
'use strict';
(function () {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') || '';
  const runId = params.get('run');
  const $ = (id) => document.getElementById(id);

  function api(path, extra) {
    const q = new URLSearchParams(Object.assign({ token }, extra || {}));
    return `${path}?${q}`;
  }
  function pageUrl(run) {
    return `/?${new URLSearchParams(run === undefined ? { token } : { token, run })}`;
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'class') node.className = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
    return node;
  }
  function svg(tag, attrs) {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }
  function fmtMs(ms) {
    if (ms === undefined || ms === null || !isFinite(ms)) return '–';
    if (ms < 1) return `${ms.toFixed(2)} ms`;
    if (ms < 1000) return `${ms.toFixed(0)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
    const m = Math.floor(ms / 60000);
    return m < 60 ? `${m} min ${Math.round((ms % 60000) / 1000)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
  }
  function fmtBytes(n) {
    if (!n) return '–';
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let k = 0;
    while (n >= 1000 && k < units.length - 1) {
      n /= 1000;
      k++;
    }
    return `${n.toFixed(k ? 1 : 0)} ${units[k]}`;
  }
  function show(id) {
    for (const m of ['runs', 'run', 'problem']) $(m).hidden = m !== id;
  }
  function problem(text) {
    show('problem');
    $('problem-text').textContent = text;
  }

  // --- the list of runs -------------------------------------------------------------------
  async function showRuns() {
    const res = await fetch(api('/api/runs'));
    if (!res.ok) return problem(await res.text());
    const data = await res.json();
    if (data.single) return showRun('.', false);
    show('runs');
    $('title').textContent = 'runs';
    $('runs-root').textContent = data.root;
    const body = $('run-list').tBodies[0];
    body.replaceChildren(
      ...data.runs.map((r) =>
        el(
          'tr',
          { class: 'run-entry' },
          el('td', {}, el('a', { href: pageUrl(r.id) }, r.id)),
          el('td', {}, r.function),
          el('td', {}, r.nInputs),
          el('td', {}, new Date(r.createdAt).toLocaleString()),
        ),
      ),
    );
    $('runs-empty').hidden = data.runs.length > 0;
    setTimeout(showRuns, 5000);
  }

  // --- one run --------------------------------------------------------------------------------
  let histogramPlot, progressPlot;

  function showRun(id, fromList) {
    show('run');
    if (fromList) {
      $('back').hidden = false;
      $('back-link').href = pageUrl();
    }
    fetch(api('/api/run', { run: id }))
      .then((r) => (r.ok ? r.json() : r.text().then((t) => Promise.reject(new Error(t)))))
      .then(render, (e) => problem(e.message));
    const source = new EventSource(api('/api/events', { run: id }));
    source.addEventListener('snapshot', (e) => {
      $('connection').textContent = `live · updated ${new Date().toLocaleTimeString()}`;
      render(JSON.parse(e.data));
    });
    source.addEventListener('problem', (e) => ($('connection').textContent = `cannot read the run: ${JSON.parse(e.data).message}`));
    source.onerror = () => {
      $('connection').textContent = 'disconnected: the dashboard server stopped (acme-ts dashboard <folder> shows the run again); retrying…';
    };
  }

  const RUNNING_NOTES = {
    workers: ' — running = its busy workers (this backend does not report call starts)',
    unknown: ' — running calls are not known: the client was started without --dashboard (its calls still count as pending)',
  };

  function render(s) {
    document.body.dataset.state = s.state;
    document.title = `${s.function} · acme-ts`;
    $('title').textContent = `${s.function} — ${s.nInputs} calls`;
    const badge = $('state');
    badge.textContent = s.state;
    badge.className = `badge ${s.state}`;
    const c = s.counts;
    const pct = (n) => `${s.nInputs ? (100 * n) / s.nInputs : 0}%`;
    const segs = $('bar').children;
    segs[0].style.width = pct(c.done);
    segs[1].style.width = pct(c.failed);
    segs[2].style.width = pct(c.running || 0);
    $('count-done').textContent = c.done;
    $('count-failed').textContent = c.failed;
    $('count-failed').classList.toggle('nonzero', c.failed > 0);
    $('count-running').textContent = c.running === null ? '?' : c.running;
    $('count-pending').textContent = c.pending;
    $('count-missing').textContent = c.missing;
    $('count-total').textContent = s.nInputs;
    const rate = s.throughput.recent ?? s.throughput.overall;
    $('throughput').textContent = rate ? `${rate >= 10 ? rate.toFixed(0) : rate.toFixed(2)} calls/s` : '–';
    $('eta').textContent = s.etaSeconds === null ? '–' : fmtMs(s.etaSeconds * 1000);
    const who = s.client || s.deadClient;
    $('client-line').textContent = s.client
      ? `client: process ${who.pid} on ${who.host} (${who.backend} backend) since ${new Date(who.since).toLocaleString()}, heartbeat ${new Date(who.heartbeat).toLocaleTimeString()}${RUNNING_NOTES[s.runningSource] || ''}`
      : s.state === 'finished'
        ? 'finished: every call has a result'
        : s.deadClient
          ? `stopped: its client (process ${who.pid} on ${who.host}) ended without finishing the run (killed?); last heartbeat ${new Date(who.heartbeat).toLocaleString()}`
          : 'no client is running this run';
    renderWorkers(s);
    renderTimeline(s.timeline);
    renderHistogram(s.histogram);
    renderProgress(s.progress);
    renderFailures(s);
    renderInfo(s);
  }

  function renderWorkers(s) {
    const body = $('workers').tBodies[0];
    body.replaceChildren(
      ...s.workers.map((w) =>
        el(
          'tr',
          { class: 'worker' },
          el('td', {}, w.name),
          el('td', { class: `state-${String(w.state).split(' ')[0]}` }, w.state),
          el('td', {}, w.reason || ''),
          el('td', {}, w.node || ''),
          el('td', {}, w.jobId || ''),
          el('td', {}, w.calls ?? ''),
          el('td', {}, w.memory || ''),
          el('td', {}, w.logPath ? el('a', { href: api('/api/file', { run: runId || '.', which: 'worker', name: w.name }), target: '_blank' }, w.logPath) : ''),
        ),
      ),
    );
    const memory = s.live
      ? ` Client process memory: ${fmtBytes(s.live.memory.rss)} RSS, ${fmtBytes(s.live.memory.heapUsed)} heap (local worker threads share it).`
      : '';
    $('workers-note').textContent = (s.workersNote || (s.workers.length ? '' : 'No calls have settled yet.')) + memory;
  }

  function renderTimeline(t) {
    const root = $('timeline');
    const width = Math.max(600, $('timeline-box').clientWidth || 900);
    const laneH = 16;
    const left = 90;
    const top = 18;
    const height = top + Math.max(1, t.lanes.length) * (laneH + 4) + 6;
    root.setAttribute('viewBox', `0 0 ${width} ${height}`);
    root.setAttribute('height', String(height));
    const nodes = [];
    const span = Math.max(t.span, 1);
    const x = (ms) => left + ((width - left - 10) * ms) / span;
    for (let k = 0; k <= 5; k++) {
      const ms = (span * k) / 5;
      nodes.push(svg('line', { class: 'grid', x1: x(ms), x2: x(ms), y1: top - 4, y2: height }));
      const label = svg('text', { x: x(ms), y: 11, 'text-anchor': k === 0 ? 'start' : k === 5 ? 'end' : 'middle' });
      label.textContent = fmtMs(ms);
      nodes.push(label);
    }
    let count = 0;
    t.lanes.forEach((lane, k) => {
      const y = top + k * (laneH + 4);
      const name = svg('text', { x: 4, y: y + 12 });
      name.textContent = lane.name;
      nodes.push(name);
      for (const call of lane.calls) {
        const r = svg('rect', {
          class: `call ${call.ok ? 'ok' : 'failed'}`,
          x: x(call.start),
          y,
          width: Math.max(1, x(call.end) - x(call.start)),
          height: laneH,
          'data-task': call.taskID,
        });
        const tip = svg('title');
        tip.textContent = `call ${call.taskID}: ${fmtMs(call.end - call.start)}${call.ok ? '' : ' (failed)'}`;
        r.append(tip);
        nodes.push(r);
        count++;
      }
    });
    root.replaceChildren(...nodes);
    root.dataset.calls = String(count);
    $('timeline-caption').textContent = t.lanes.length
      ? `${count} calls on ${t.lanes.length} lanes over ${fmtMs(t.span)}${t.omitted ? ` (the latest ${count}; ${t.omitted} earlier calls not drawn)` : ''}`
      : 'no calls have settled yet';
  }

  function chartWidth(id) {
    return Math.max(280, $(id).clientWidth || 400);
  }

  /** A uPlot chart in element `id`, made on the first data and updated after. */
  function chart(plot, id, xLabel, yLabel, series, data) {
    if (typeof uPlot === 'undefined') return plot;
    if (plot) {
      plot.setData(data);
      return plot;
    }
    const options = {
      width: chartWidth(id),
      height: 200,
      scales: { x: { time: false } },
      axes: [{ label: xLabel }, { label: yLabel }],
      series,
      legend: { show: false },
    };
    return new uPlot(options, data, $(id));
  }

  function renderHistogram(h) {
    const xs = h.counts.map((_, k) => (h.edges[k] + h.edges[k + 1]) / 2);
    const bars = typeof uPlot === 'undefined' ? undefined : uPlot.paths.bars({ size: [0.9, 100] });
    const series = [
      { label: 'duration', value: (_, v) => fmtMs(v) },
      { label: 'calls', fill: 'rgba(46,125,50,0.5)', stroke: '#2e7d32', paths: bars },
    ];
    histogramPlot = chart(histogramPlot, 'histogram', 'duration (ms)', 'calls', series, [xs, h.counts]);
  }

  function renderProgress(p) {
    const series = [{ label: 's' }, { label: 'settled', stroke: '#1565c0', width: 2 }];
    progressPlot = chart(progressPlot, 'progress-chart', 'seconds since the first call', 'settled calls', series, p);
  }

  function renderFailures(s) {
    const box = $('failures');
    if (s.failed.length === 0) box.replaceChildren(el('p', { class: 'muted' }, 'none'));
    else
      box.replaceChildren(
        ...s.failed.map((f) =>
          el(
            'div',
            { class: 'failure', 'data-task': f.taskID },
            el('div', { class: 'head' }, `call ${f.taskID} — ${f.reason}${f.durationMs !== undefined ? `, after ${fmtMs(f.durationMs)}` : ''}`),
            el('div', { class: 'message' }, `${f.name}: ${f.message}`),
            f.stack ? el('details', {}, el('summary', {}, 'stack'), el('pre', {}, f.stack)) : null,
            f.logPath
              ? el('p', {}, 'log: ', el('a', { href: api('/api/file', { run: runId || '.', which: 'call', task: f.taskID }), target: '_blank' }, f.logPath))
              : null,
          ),
        ),
      );
    $('failed-caption').textContent = s.failedOmitted ? `(the first ${s.failed.length}; ${s.failedOmitted} more: acme-ts status --json)` : '';
    $('rerun').hidden = !s.rerunCommand;
    $('rerun-command').textContent = s.rerunCommand || '';
  }

  function renderInfo(s) {
    const rows = [
      ['function', s.function],
      ['defined by', s.functionRef],
      ['backend', s.backend],
      ['output folder', s.outputDir],
      ['container', s.container || '(none: serialized results)'],
      ['started', new Date(s.createdAt).toLocaleString()],
      ['options', JSON.stringify(s.options)],
    ];
    const body = $('run-info').tBodies[0];
    const tr = rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, el('code', {}, v))));
    if (s.logFile)
      tr.push(
        el(
          'tr',
          {},
          el('th', {}, 'log file'),
          el('td', {}, el('a', { href: api('/api/file', { run: runId || '.', which: 'log' }), target: '_blank' }, s.logFile)),
        ),
      );
    if (s.functionSource) tr.push(el('tr', {}, el('th', {}, 'source'), el('td', {}, el('pre', {}, s.functionSource))));
    body.replaceChildren(...tr);
  }

  if (runId !== null) showRun(runId, true);
  else showRuns().catch((e) => problem(e.message));
})();
