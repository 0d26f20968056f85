// worldtick dashboard panels (loaded before app.js): the step-cost chart, the world map, the
// cluster table, the not-started table, the sessions, the trigger history and the transactions, drawn from what app.js fetched. Exposed as `window.worldtickPanels`.

(() => {
  const TIER_NAMES = ['detailed', 'active', 'ambient', 'dormant'];
  const TIER_COLORS = ['#ff3b30', '#ff9500', '#34a0ff', '#5a6472'];
  const PLAYER_COLOR = '#39ff14';
  const $ = (id) => document.getElementById(id);

  /** Step cost chart of `state.costMs` against the dashed `state.budgetMs` line; without a sample yet, says so. */
  const drawCost = (state) => {
    const c = $('cost');
    const g = c.getContext('2d');
    const W = c.width;
    const H = c.height;
    g.fillStyle = '#0b0e13';
    g.fillRect(0, 0, W, H);
    const data = state.costMs.slice(-W);
    const top = Math.max(state.budgetMs * 1.5, ...data) || 1;
    const y = (v) => H - 4 - (v / top) * (H - 12);
    g.strokeStyle = '#ff5c5c';
    g.setLineDash([6, 4]);
    g.beginPath();
    g.moveTo(0, y(state.budgetMs));
    g.lineTo(W, y(state.budgetMs));
    g.stroke();
    g.setLineDash([]);
    g.fillStyle = '#ff5c5c';
    g.fillText(`budget ${state.budgetMs} ms`, 4, y(state.budgetMs) - 3);
    if (!data.length) {
      g.fillStyle = '#8b96a5';
      g.textAlign = 'center';
      g.fillText('waiting for the first sample', W / 2, H / 2);
      g.textAlign = 'start';
      return;
    }
    g.strokeStyle = '#4fa3ff';
    g.beginPath();
    const dx = data.length > 1 ? W / (data.length - 1) : W;
    data.forEach((v, i) => {
      if (i) g.lineTo(i * dx, y(v));
      else g.moveTo(0, y(v));
    });
    g.stroke();
  };

  const drawMap = (buf) => {
    const dv = new DataView(buf);
    if (buf.byteLength < 32 || dv.getUint32(0, true) !== 0x314d5457) return;
    const n = dv.getUint32(4, true);
    const total = dv.getUint32(8, true);
    const p = dv.getUint32(12, true);
    const xs = new Uint16Array(buf.slice(32, 32 + 2 * n));
    const ys = new Uint16Array(buf.slice(32 + 2 * n, 32 + 4 * n));
    const pxs = new Uint16Array(buf.slice(32 + 4 * n, 32 + 4 * n + 2 * p));
    const pys = new Uint16Array(buf.slice(32 + 4 * n + 2 * p, 32 + 4 * n + 4 * p));
    const tiers = new Uint8Array(buf, 32 + 4 * n + 4 * p, n);
    // Spectators (cameras, seen by no client but their own): drawn as rings. Absent in older maps.
    const base = 32 + 5 * n + 4 * p;
    const spect = buf.byteLength >= base + p ? new Uint8Array(buf, base, p) : new Uint8Array(p);
    const c = $('map');
    const g = c.getContext('2d');
    const W = c.width;
    const H = c.height;
    g.fillStyle = '#0b0e13';
    g.fillRect(0, 0, W, H);
    const sx = (W - 1) / 65535;
    const sy = (H - 1) / 65535;
    // Dormant first so nearer tiers draw on top.
    for (let tier = 3; tier >= 0; tier--) {
      g.fillStyle = TIER_COLORS[tier];
      const r = tier <= 1 ? 3 : 2;
      for (let i = 0; i < n; i++) {
        if (tiers[i] !== tier) continue;
        g.fillRect(Math.round(xs[i] * sx) - 1, Math.round(H - 1 - ys[i] * sy) - 1, r, r);
      }
    }
    g.fillStyle = PLAYER_COLOR;
    g.strokeStyle = '#ffffff';
    let spectators = 0;
    for (let i = 0; i < p; i++) {
      g.beginPath();
      g.arc(pxs[i] * sx, H - 1 - pys[i] * sy, 5, 0, Math.PI * 2);
      if (spect[i] === 1) spectators++;
      else g.fill();
      g.stroke();
    }
    $('map-info').textContent = `${n} of ${total} NPCs drawn, ${p - spectators} players, ${spectators} spectators`;
    c.dataset.drawn = String(n);
  };

  /** Cluster panel: one row per live instance, its worlds and load bars (cpu; sessions of capacity). */
  const loadBar = (fraction, text) => {
    const wrap = document.createElement('div');
    wrap.className = 'bar';
    const fill = document.createElement('span');
    fill.className = 'fill';
    const f = Math.max(0, Math.min(1, Number(fraction) || 0));
    fill.style.width = `${Math.round(f * 120)}px`;
    fill.style.background = f > 0.85 ? '#ff5c5c' : f > 0.6 ? '#ff9500' : '#4fa3ff';
    const lbl = document.createElement('span');
    lbl.textContent = text;
    wrap.append(fill, lbl);
    return wrap;
  };
  // An instance is marked draining by the flag of its record (`draining`; this one's: its own flag,
  // worldtick_cluster_draining) — not by capacity 0, which a stopping instance announces too (docs/CLUSTER.md
  // "Draining an instance"). A record without the flag (an older build's) is not marked.
  const drainMark = () => {
    const m = document.createElement('span');
    m.className = 'badge bad drain';
    m.textContent = 'draining';
    m.title = 'draining: capacity 0, it takes no world and moves its own away';
    return m;
  };
  // The summary view (GET /api/v1/cluster?view=summary) lists an instance's first worlds and counts them all.
  const worldsCell = (i) => {
    const count = i.worldCount ?? i.worlds.length;
    const more = count > i.worlds.length ? ` +${count - i.worlds.length} more` : '';
    return i.worlds.join(', ') + more || '—';
  };
  const renderCluster = (c) => {
    $('drain').hidden = c.draining !== true;
    $('cluster-card').hidden = c.mode !== 'cluster';
    if (c.mode !== 'cluster') return;
    $('cluster-info').textContent =
      `${c.instances.length} instances, ${c.worldCount ?? c.leases.length} worlds owned; this is ${c.instance}${c.reachable ? '' : ' — coordinator unreachable'}`;
    const tbody = $('cluster').querySelector('tbody');
    tbody.replaceChildren();
    for (const i of c.instances) {
      const tr = document.createElement('tr');
      tr.dataset.instance = i.id;
      const draining = i.id === c.instance ? c.draining === true : i.draining === true;
      tr.dataset.draining = String(draining);
      const cells = [i.id + (i.id === c.instance ? ' (this)' : ''), i.gameUrl, worldsCell(i)];
      for (const v of cells) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.append(td);
      }
      if (draining) tr.firstChild.append(' ', drainMark());
      const bars = [
        loadBar(i.capacity ? i.load.sessions / i.capacity : 0, `${i.load.sessions} / ${i.capacity}`),
        loadBar(i.load.stepCostMs / 1000, `${i.load.stepCostMs} ms/s`),
        loadBar(i.load.cpu, `${Math.round(i.load.cpu * 100)} %`),
      ];
      for (const b of bars) {
        const td = document.createElement('td');
        td.append(b);
        tr.append(td);
      }
      const hb = document.createElement('td');
      hb.textContent = `${Math.round(i.ttlRemainingMs / 100) / 10} s left`;
      tr.append(hb);
      tbody.append(tr);
    }
  };

  // Stored worlds this instance does not run (GET /api/v1/worlds `notStarted`): why, the refused checkpoint, when.
  // A short sentence per reason; the raw code stays visible beside it (and as the cell's title).
  const NOT_STARTED_WHY = {
    'checkpoint-too-new': 'A newer build of the server wrote its checkpoint; this build cannot read it.',
    'game-incompatible':
      'Its saved game data does not fit the game this instance runs (another game, a newer game version, or a field narrowed).',
    'record-unusable': 'Its stored record is damaged: the world can be neither restored nor built from it.',
  };
  const NOT_STARTED_AT = {
    start: 'left out at start',
    failover: 'declined at failover',
    migration: 'refused when handed over',
  };
  const renderNotStarted = (list) => {
    $('not-started-card').hidden = !list || list.length === 0;
    const rows = (list || []).map((w) => {
      const c = w.checkpoint;
      const why = document.createElement('td');
      why.className = 'why';
      why.title = `reason: ${w.reason}, at: ${w.at}`;
      const sentence = document.createElement('span');
      sentence.textContent = `${NOT_STARTED_WHY[w.reason] ?? `Not started: ${w.reason}.`} (${NOT_STARTED_AT[w.at] ?? w.at})`;
      const code = document.createElement('code');
      code.className = 'muted';
      code.textContent = w.reason;
      why.append(sentence, ' ', code);
      const checkpoint =
        typeof w.problem === 'string'
          ? w.problem
          : Array.isArray(w.problems) && w.problems.length
            ? w.problems.join('; ')
            : `${c.what} ${c.found}, this build knows ${c.known}`;
      const tr = document.createElement('tr');
      const text = (v) => {
        const td = document.createElement('td');
        td.textContent = String(v);
        return td;
      };
      tr.append(text(w.worldId), why, text(checkpoint), text(fmtAgo(w.sinceMs)), text(w.owner ?? '—'));
      return tr;
    });
    $('not-started')
      .querySelector('tbody')
      .replaceChildren(...rows);
  };
  const fmtAgo = (ms) => `${Math.max(0, Math.round((Date.now() - ms) / 1000))} s ago`;

  /** A row of `key value` pairs of an object's plain fields, or 'not available'. */
  const kv = (el, obj) => {
    el.replaceChildren();
    if (!obj) {
      el.textContent = 'not available';
      return;
    }
    for (const [k, v] of Object.entries(obj)) {
      if (v !== null && typeof v === 'object') continue;
      const s = document.createElement('span');
      s.append(`${k} `);
      const b = document.createElement('b');
      // Budgets use MAX_SAFE_INTEGER for "no limit" (e.g. the ingest drain before the controller acts).
      b.textContent = typeof v !== 'number' ? String(v) : v >= Number.MAX_SAFE_INTEGER ? 'unlimited' : String(Math.round(v * 1000) / 1000);
      s.append(b);
      el.append(s);
    }
  };

  /** The Sessions panel of a world's stats: its own figures, then the whole server's on their own line. */
  const renderSessions = (s) => {
    // This world's figures (the game server's per-world report), then the whole server's on their own line.
    const server = s.sessions?.server;
    const mine = server?.worlds?.[s.id];
    kv(
      $('sessions'),
      server
        ? {
            inWorld: s.sessions.inWorld,
            parked: mine?.parked ?? 0,
            snapshotsSent: mine?.snapshotsSent ?? 0,
            snapshotBytes: mine?.snapshotBytes ?? 0,
            skippedBackpressure: mine?.skippedBackpressure ?? 0,
            kicks: (mine?.kicks?.game ?? 0) + (mine?.kicks?.admin ?? 0),
            leaves: mine?.leaves ?? 0,
          }
        : null,
    );
    if (server) {
      kv($('sessions-server'), server);
      $('sessions-server').prepend('whole server: ');
    } else $('sessions-server').replaceChildren();
  };

  /** NPCs per tier (bars, with ticks per step) of a world's stats `tiers`, or 'tiering not available'. */
  const renderTiers = (t) => {
    const tiers = $('tiers');
    tiers.replaceChildren();
    const per = t?.npcsPerTier;
    if (!per) {
      tiers.textContent = 'tiering not available';
      return;
    }
    const max = Math.max(1, ...Object.values(per));
    TIER_NAMES.forEach((name, i) => {
      const row = document.createElement('div');
      row.className = 'bar';
      const lbl = document.createElement('span');
      lbl.className = 'lbl';
      lbl.textContent = name;
      const fill = document.createElement('span');
      fill.className = 'fill';
      fill.style.width = `${Math.max(1, (per[name] / max) * 300)}px`;
      fill.style.background = TIER_COLORS[i];
      const ticks = t.ticksLastStep ? ` · ${t.ticksLastStep[name]} ticks/step` : '';
      row.append(lbl, fill, `${per[name]}${ticks}`);
      tiers.append(row);
    });
  };

  /** The periodic task schedule of a world's stats (`periodic`: one row a task; declared tasks marked). */
  const renderPeriodic = (tasks) => {
    const ptb = $('periodic').querySelector('tbody');
    ptb.replaceChildren();
    for (const t of Array.isArray(tasks) ? tasks : []) {
      const tr = document.createElement('tr');
      for (const c of [
        t.declared ? `${t.name} (declared)` : t.name,
        t.clock,
        `${t.intervalSeconds} s`,
        Math.round(t.next * 10) / 10,
        t.runs,
        t.missed,
        t.held,
        t.skipped,
      ]) {
        const td = document.createElement('td');
        td.textContent = String(c);
        tr.append(td);
      }
      ptb.append(tr);
    }
  };

  // The last triggers of the bus history (GET …/periodic/history?topic=task), newest first.
  const renderTriggers = (events) => {
    const ol = $('trigger-history');
    ol.replaceChildren();
    for (const e of events.slice().reverse()) {
      const li = document.createElement('li');
      const p = e.payload;
      li.textContent = `#${e.seq} ${p.name}: ${p.outcome}${p.injected ? ' (injected)' : ''}${p.missed ? `, ${p.missed} missed` : ''}`;
      ol.append(li);
    }
    if (!events.length) ol.textContent = 'no trigger yet';
  };

  // Recent ledger transactions of the selected world (GET /api/v1/worlds/{id}/ledger).
  const renderTransactions = (ledger) => {
    const body = $('transactions').tBodies[0];
    body.replaceChildren();
    if (!ledger) {
      $('tx-info').textContent = 'no durable store (--data-dir)';
      return;
    }
    const r = ledger.stats.results;
    const ok = Object.entries(r)
      .filter(([k]) => k.endsWith(':ok'))
      .reduce((n, [, v]) => n + v, 0);
    const all = Object.values(r).reduce((n, v) => n + v, 0);
    const mean = ledger.stats.latencyCount ? ledger.stats.latencySumMs / ledger.stats.latencyCount : 0;
    $('tx-info').textContent = `${ok} ok / ${all} results, mean commit ${mean.toFixed(1)} ms`;
    for (const t of ledger.recent.slice(0, 20)) {
      const tr = document.createElement('tr');
      const cells = [
        new Date(t.at).toLocaleTimeString(),
        t.playerId.slice(0, 12),
        t.key.slice(0, 28),
        t.kind,
        t.status === 'ok' ? (t.replayed ? 'ok (replay)' : 'ok') : t.code,
        t.item ? `${t.item}×${t.quantity}` : '',
        String(t.coinsDelta),
        t.seq === null ? '' : String(t.seq),
      ];
      // Player id and key are cut short in the cell; its title keeps them whole (to copy).
      const whole = [undefined, t.playerId, t.key];
      cells.forEach((c, i) => {
        const td = document.createElement('td');
        td.textContent = c;
        if (whole[i] !== undefined) td.title = whole[i];
        tr.append(td);
      });
      body.append(tr);
    }
  };

  window.worldtickPanels = {
    drawCost,
    drawMap,
    renderCluster,
    renderNotStarted,
    renderTriggers,
    renderTransactions,
    kv,
    renderSessions,
    renderTiers,
    renderPeriodic,
  };
})();
