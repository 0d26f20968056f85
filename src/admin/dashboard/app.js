// worldtick dashboard: polls the admin API (bearer token from the URL fragment #token=... or the
// login form; the fragment never reaches the server) and draws worlds, step cost, tiers and
// the world map. No framework; everything below is plain DOM and canvas.

(() => {
  // Canvas drawings and the cluster panel (panels.js, loaded before this script).
  const {
    drawCost: drawCostOf,
    drawMap,
    renderCluster,
    renderNotStarted,
    renderTriggers,
    renderTransactions,
    kv,
    renderSessions,
    renderTiers,
    renderPeriodic,
  } = window.worldtickPanels;
  const $ = (id) => document.getElementById(id);
  // Wall ms after which the selected world's map (with its trigger history and ledger) and the cluster view are polled again.
  let mapDue = 0;
  // The world that map was polled for: a click while a poll of the world before was on its way reset `mapDue`, and that
  // poll then spent it on the old world — the clicked one got its map up to a second late (dashboard-errors.test.ts).
  let mapOf = null;
  let clusterDue = 0;
  const state = { token: '', selected: null, costSteps: [], costMs: [], budgetMs: 16, lastStep: -1, busy: false };

  const readToken = () => {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      const t = decodeURIComponent(m[1]);
      sessionStorage.setItem('worldtick-token', t);
      history.replaceState(null, '', location.pathname + location.search);
      return t;
    }
    return sessionStorage.getItem('worldtick-token') || '';
  };

  // An API refusal keeps its status and code ({code, message} bodies): shown as `409 WT_ERR_…: message`.
  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }
  const describeError = (err) => (err.code ? `${err.status} ${err.code}: ${err.message}` : err.message);
  const api = async (method, path, body) => {
    const headers = { Authorization: `Bearer ${state.token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new ApiError(0, '', `server unreachable (${err.message})`);
    }
    const type = res.headers.get('content-type') || '';
    const data = type.startsWith('application/json') ? await res.json().catch(() => null) : await res.arrayBuffer();
    if (res.ok) return data;
    const err = new ApiError(res.status, data?.code || `HTTP ${res.status}`, data?.message || res.statusText || 'request failed');
    if (res.status === 401) {
      // A rejected token stays rejected: stop polling with it until the operator gives another one.
      state.token = '';
      sessionStorage.removeItem('worldtick-token');
      showLogin(`token rejected: ${describeError(err)}`);
      err.unauthorized = true;
    }
    throw err;
  };

  const showLogin = (msg) => {
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = msg || '';
    setConn(false, 'no token');
  };
  // ok: true (green), false (red), null (neither: polling paused while the tab is hidden).
  const setConn = (ok, text) => {
    const b = $('conn');
    b.textContent = text;
    b.className = ok === null ? 'badge' : `badge ${ok ? 'ok' : 'bad'}`;
  };

  const fmtTime = (s) => {
    const d = Math.floor(s / 86400);
    const h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = Math.floor(s % 60);
    const p = (x) => String(x).padStart(2, '0');
    return `day ${d} ${p(h)}:${p(m)}:${p(sec)}`;
  };
  // The worlds table is one page of GET /api/v1/worlds?limit=…: with hundreds of worlds the whole list
  // (~310 bytes a world) polled twice a second was ~190 KB/s per open tab (docs/ADMIN.md "Sizing --max-worlds").
  const WORLDS_PAGE = 25;
  const pager = { afters: [], next: undefined, total: 0 }; // `after` of the pages before the one shown; the next's
  const fetchWorlds = async () => {
    const after = pager.afters.at(-1);
    const list = await api('GET', `/api/v1/worlds?limit=${WORLDS_PAGE}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`);
    // Every world of this page and after it is gone: back to the first page.
    if (list.worlds.length === 0 && pager.afters.length > 0) {
      pager.afters = [];
      return fetchWorlds();
    }
    pager.next = list.next;
    pager.total = list.total ?? list.worlds.length;
    return list;
  };
  const renderPager = (shown) => {
    const first = pager.afters.length * WORLDS_PAGE;
    $('worlds-range').textContent = pager.total > WORLDS_PAGE || first > 0 ? `${first + 1}–${first + shown} of ${pager.total} worlds` : '';
    $('worlds-pager').hidden = pager.total <= WORLDS_PAGE && first === 0;
    $('worlds-prev').disabled = pager.afters.length === 0;
    $('worlds-next').disabled = pager.next === undefined;
  };
  const turnPage = (after) => {
    if (after === undefined) pager.afters.pop();
    else pager.afters.push(after);
    mapDue = 0;
    tick();
  };
  $('worlds-prev').addEventListener('click', () => turnPage(undefined));
  $('worlds-next').addEventListener('click', () => pager.next !== undefined && turnPage(pager.next));

  const WAITING = 'waiting for the first sample';
  const select = (id) => {
    state.selected = id;
    mapDue = 0; // the new world's map, triggers and ledger with its first stats
    state.costSteps = [];
    state.costMs = [];
    state.lastStep = -1; // the next stats are asked for whole (no `since`)
    $('cost-info').textContent = WAITING;
    drawCostOf(state);
  };
  // No world (none yet, or the last one deleted): the world's panels are hidden, not left showing a deleted world's figures.
  const showWorldPanels = (any) => {
    $('worlds-empty').hidden = any;
    for (const el of document.querySelectorAll('.world-panel')) el.hidden = !any;
  };
  // Rows are kept by world id and only their changed cells rewritten: a table rebuilt twice a second lost
  // the clicks whose press and release straddled a poll, and any text selection of an id.
  const worldRow = () => {
    const tr = document.createElement('tr');
    for (let i = 0; i < 8; i++) tr.append(document.createElement('td'));
    tr.addEventListener('click', () => {
      select(tr.dataset.world);
      tick();
    });
    return tr;
  };
  const renderWorlds = (worlds) => {
    const tbody = $('worlds').tBodies[0];
    const old = new Map([...tbody.rows].map((tr) => [tr.dataset.world, tr]));
    // The selected world is on the page shown, or the page's first is.
    if (!state.selected || !worlds.some((w) => w.id === state.selected)) select(worlds.length ? worlds[0].id : null);
    const rows = worlds.map((w) => {
      const tr = old.get(w.id) ?? worldRow();
      tr.dataset.world = w.id;
      tr.className = w.id === state.selected ? 'sel' : '';
      // Cluster: a world another instance owns is shown by its owner only (a local standby copy does not step).
      const remote = w.owner !== undefined && !w.ownedHere;
      const where = w.owner === undefined ? '' : ' (here)';
      const cells = remote
        ? [w.id, '—', '—', '—', w.owner ? `on ${w.owner}` : 'no owner', '—', '—', '—']
        : [
            w.id,
            fmtTime(w.worldTime),
            `${w.timeScale}×`,
            w.step,
            (w.fault ? 'faulted' : w.paused ? 'paused' : 'running') + where,
            w.entities,
            `${w.lastStepMs} ms`,
            w.sessions ?? '—',
          ];
      cells.forEach((c, i) => {
        const td = tr.cells[i];
        if (td && td.textContent !== String(c)) td.textContent = String(c);
      });
      return tr;
    });
    const same = rows.length === tbody.rows.length && rows.every((tr, i) => tbody.rows[i] === tr);
    if (!same) tbody.replaceChildren(...rows);
  };

  const renderStats = (s) => {
    if (s.id !== state.selected) return; // another world was clicked while these were on their way
    $('sel-id').textContent = s.id;
    const wt = $('world-time');
    wt.textContent = fmtTime(s.worldTime);
    wt.dataset.seconds = String(s.worldTime);
    $('world-speed').textContent = String(s.timeScale);
    $('world-state').textContent = s.fault ? `faulted (${s.fault.code})` : s.paused ? 'paused' : 'running';
    if (document.activeElement !== $('time-scale')) $('time-scale').value = String(s.timeScale);
    state.budgetMs = s.cost.frameBudgetMs;
    // Steps went back (the world was deleted and created again, or restored from an older checkpoint): a new chart.
    // (Polls ask `?since=<last step charted>`: the server then answers the whole history, the newest step below it.)
    if (s.history.steps.length && s.history.steps[s.history.steps.length - 1] < state.lastStep) select(s.id);
    for (let i = 0; i < s.history.steps.length; i++) {
      const step = s.history.steps[i];
      if (step <= state.lastStep) continue;
      state.costSteps.push(step);
      state.costMs.push(s.history.totalMs[i]);
      state.lastStep = step;
    }
    if (state.costMs.length > 600) {
      state.costMs.splice(0, state.costMs.length - 600);
      state.costSteps.splice(0, state.costSteps.length - 600);
    }
    // The costliest system of the last step (a game's own system by its name): which one to look at first.
    const slowest = (s.cost.systems ?? []).reduce((a, b) => (b.lastMs > (a?.lastMs ?? -1) ? b : a), null);
    $('cost-info').textContent = !state.costMs.length
      ? `${WAITING}${s.paused ? ' (paused: Step or Resume it)' : ''}`
      : `last ${s.cost.lastStepMs} ms, avg ${s.cost.avgStepMs} ms, budget ${s.cost.frameBudgetMs} ms, overruns ${s.counters.overruns}` +
        (slowest ? `, slowest system ${slowest.name} (${slowest.phase}) ${slowest.lastMs} ms` : '');
    $('cost').dataset.lastStep = String(state.lastStep);
    $('cost').dataset.samples = String(state.costMs.length);
    drawCostOf(state);
    renderTiers(s.tiers);
    const status = s.controller?.status;
    $('ctl-mode').textContent = status?.mode || '—';
    $('maint-state').textContent = s.maintenance?.periodicHeld ? 'on' : 'off';
    const ov = status?.override;
    $('override-state').textContent = ov ? `${ov.mode} for ${Math.round(ov.remainingSeconds)} s` : 'none';
    kv($('controller'), status ? { mode: status.mode, ...s.budgets } : s.budgets);
    const hist = $('mode-history');
    hist.replaceChildren();
    for (const h of (s.controller?.modeHistory || []).slice(-10).reverse()) {
      const li = document.createElement('li');
      li.textContent = `step ${h.step}: ${h.from ?? '—'} → ${h.to} (${new Date(h.atMs).toLocaleTimeString()})`;
      hist.append(li);
    }
    kv($('jobs'), s.jobs);
    const ck = s.checkpoint;
    kv(
      $('checkpoint'),
      ck
        ? {
            at: ck.lastAt ? new Date(ck.lastAt).toLocaleTimeString() : 'none yet',
            step: ck.lastStep,
            worldTime: ck.lastWorldTime,
            durationMs: ck.lastDurationMs,
            copyMs: ck.lastCopyMs,
            kB: Math.round(ck.lastBytes / 1024),
            saved: ck.saved,
            failed: ck.failed,
            restoredFromStep: ck.restored ? ck.restored.fromStep : 'no',
          }
        : null,
    );
    renderSessions(s);
    renderPeriodic(s.periodic);
    kv(
      $('ingest'),
      s.ingest ? { pending: s.ingest.pending, dropped: s.ingest.dropped, rejected: s.ingest.rejected, types: s.ingest.types.length } : null,
    );
  };

  const tick = async () => {
    if (state.busy || !state.token || hidden()) return;
    state.busy = true;
    try {
      const { worlds, notStarted } = await fetchWorlds();
      renderWorlds(worlds);
      renderPager(worlds.length);
      showWorldPanels(worlds.length > 0);
      renderNotStarted(notStarted);
      if (Date.now() >= clusterDue) {
        clusterDue = Date.now() + 2000;
        renderCluster(await api('GET', '/api/v1/cluster?view=summary'));
      }
      if (state.selected) {
        const selected = state.selected;
        const id = encodeURIComponent(selected);
        // After the first stats of a world, only the cost samples newer than the last one charted.
        const since = state.lastStep >= 0 ? `?since=${state.lastStep}` : '';
        renderStats(await api('GET', `/api/v1/worlds/${id}/stats${since}`));
        if (Date.now() >= mapDue || mapOf !== selected) {
          mapDue = Date.now() + 1000;
          mapOf = selected;
          drawMap(await api('GET', `/api/v1/worlds/${id}/map?max=20000`));
          renderTriggers((await api('GET', `/api/v1/worlds/${id}/periodic/history?topic=task&limit=10`)).events);
          renderTransactions(await api('GET', `/api/v1/worlds/${id}/ledger`).catch(() => null));
        }
      }
      if (hidden())
        setConn(null, PAUSED); // hidden while this poll was on its way
      else setConn(true, 'live');
      $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      if (!err.unauthorized) setConn(false, `error: ${describeError(err)}`);
    } finally {
      state.busy = false;
    }
  };

  // `ask`: a question to confirm first (actions that stop or change a world for its players), naming the world:
  // the selected world can change under the pointer (a page turned, a world deleted).
  const act = async (label, fn, ask) => {
    const msg = $('action-msg');
    if (ask && !window.confirm(ask)) {
      msg.textContent = `${label}: cancelled`;
      msg.className = 'muted';
      return;
    }
    try {
      await fn();
      msg.textContent = `${label}: ok`;
      msg.className = 'muted';
      mapDue = 0;
      await tick();
    } catch (err) {
      msg.textContent = `${label}: ${describeError(err)}`;
      msg.className = 'error';
    }
  };
  const base = () => `/api/v1/worlds/${encodeURIComponent(state.selected)}`;
  $('pause').addEventListener('click', () =>
    act('pause', () => api('POST', `${base()}/scheduler/pause`), `Pause world ${state.selected}? Its world time stops for its players.`),
  );
  $('resume').addEventListener('click', () => act('resume', () => api('POST', `${base()}/scheduler/resume`)));
  $('step').addEventListener('click', () => act('step', () => api('POST', `${base()}/scheduler/step`, { n: Number($('step-n').value) })));
  $('apply-scale').addEventListener('click', () =>
    act('timeScale', () => api('PUT', `${base()}/scheduler/config`, { simulation: { timeScale: Number($('time-scale').value) } })),
  );
  $('maint-on').addEventListener('click', () =>
    act(
      'maintenance',
      () => api('PUT', `${base()}/maintenance`, { on: true, reason: 'dashboard' }),
      `Enter maintenance on world ${state.selected}? New players are refused, jobs and periodic tasks held until you exit.`,
    ),
  );
  $('maint-off').addEventListener('click', () => act('maintenance', () => api('PUT', `${base()}/maintenance`, { on: false })));
  $('override-set').addEventListener('click', () =>
    act(
      'override',
      () =>
        api('PUT', `${base()}/controller/override`, {
          mode: $('override-mode').value,
          seconds: Number($('override-seconds').value),
          reason: 'dashboard',
        }),
      `Force controller mode ${$('override-mode').value} on world ${state.selected} for ${$('override-seconds').value} s?`,
    ),
  );
  $('override-reset').addEventListener('click', () => act('reset', () => api('DELETE', `${base()}/controller/override`)));
  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = $('token-input').value.trim();
    sessionStorage.setItem('worldtick-token', state.token);
    start();
  });

  const start = () => {
    $('login').hidden = true;
    $('app').hidden = false;
    tick();
  };
  // A hidden tab (another tab in front, the window minimised) polls nothing; shown again, it polls at once.
  const hidden = () => document.visibilityState === 'hidden';
  const PAUSED = 'paused: tab hidden';
  let timer = 0;
  const poll = () => {
    clearInterval(timer);
    timer = hidden() ? 0 : setInterval(tick, 500);
    if (!hidden()) tick();
    else if (state.token) setConn(null, PAUSED);
  };
  document.addEventListener('visibilitychange', poll);
  state.token = readToken();
  if (state.token) start();
  else showLogin('');
  poll();
})();
