// The operator dashboard (the gateway's, `junction serve --config`): keys, usage and spend,
// the request log, provider health and the money audit, all from the admin API with the admin
// key. The key is kept in sessionStorage (this tab, until it closes), not localStorage: it
// moves money.
import { useEffect, useState } from 'preact/hooks';
import { callJson } from './api.js';
import { formatUsd } from './catalogue.js';
import { StackedBars } from './charts.jsx';
import { measures, stackedSeries, totalsBy, withErrorRate } from './usage.js';

const ADMIN_KEY = 'junction.adminKey';
const readAdminKey = () => { try { return sessionStorage.getItem(ADMIN_KEY) ?? ''; } catch { return ''; } };
const writeAdminKey = (k) => { try { sessionStorage.setItem(ADMIN_KEY, k); } catch { /* private mode */ } };

const windows = {
  hour: { label: 'Last hour', ms: 3600e3, bins: 12 },
  day: { label: 'Last 24 hours', ms: 86400e3, bins: 24 },
  week: { label: 'Last 7 days', ms: 7 * 86400e3, bins: 28 },
};
const POLL_MS = 3000;
// The records a refresh reads: past this many in the period, the charts cover its latest part.
const USAGE_CAP = 10000;

const when = (ms) => new Date(ms).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const ms = (v) => (v == null ? '—' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);
const limit = (v, unit = '') => (v ? `${v}${unit}` : '—');
const numberOr = (text, fallback) => (text.trim() === '' ? fallback : Number(text));

function Field({ label, value, onInput, type = 'text', ...rest }) {
  return (
    <label>
      {label}
      <input type={type} value={value} onInput={(e) => onInput(e.currentTarget.value)} {...rest} />
    </label>
  );
}

function AdminKeyForm({ onKey, error }) {
  const [value, setValue] = useState('');
  return (
    <form class="card admin-key" onSubmit={(e) => { e.preventDefault(); onKey(value.trim()); }}>
      <h2>Admin key</h2>
      <p>The dashboard calls the gateway's admin API (<code>admin_key</code> in its config). The key stays in this tab.</p>
      {error && <p class="error" role="alert">{error}</p>}
      <Field label="Admin key" type="password" autocomplete="off" value={value} onInput={setValue} />
      <button type="submit" disabled={!value.trim()}>Open the dashboard</button>
    </form>
  );
}

function CreateKey({ adminKey, models, onCreated }) {
  const blank = { name: '', credits: '10', rpm: '', tpm: '', daily_limit: '', monthly_limit: '', models: '' };
  const [f, setF] = useState(blank);
  const [error, setError] = useState('');
  const set = (k) => (v) => setF((x) => ({ ...x, [k]: v }));
  async function create(e) {
    e.preventDefault();
    const body = { name: f.name.trim() };
    for (const k of ['credits', 'rpm', 'tpm', 'daily_limit', 'monthly_limit']) body[k] = numberOr(f[k], 0);
    const list = f.models.split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length) body.models = list;
    try {
      const created = await callJson('/admin/keys', { apiKey: adminKey, method: 'POST', body });
      setF(blank);
      setError('');
      onCreated(created);
    } catch (err) {
      setError(err.message);
    }
  }
  return (
    <form class="card create-key" onSubmit={create} aria-label="Create a key">
      <h3>Create a key</h3>
      <div class="fields">
        <Field label="Name" value={f.name} onInput={set('name')} />
        <Field label="Credits (USD)" type="number" min="0" step="any" value={f.credits} onInput={set('credits')} />
        <Field label="Requests per minute" type="number" min="0" step="1" value={f.rpm} onInput={set('rpm')} placeholder="no limit" />
        <Field label="Tokens per minute" type="number" min="0" step="1" value={f.tpm} onInput={set('tpm')} placeholder="no limit" />
        <Field label="Daily limit (USD)" type="number" min="0" step="any" value={f.daily_limit} onInput={set('daily_limit')} placeholder="no limit" />
        <Field label="Monthly limit (USD)" type="number" min="0" step="any" value={f.monthly_limit} onInput={set('monthly_limit')} placeholder="no limit" />
        <Field label="Models (comma-separated; empty: all)" value={f.models} onInput={set('models')}
          placeholder={models.slice(0, 3).join(', ')} />
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit">Create key</button>
    </form>
  );
}

function NewKey({ created, onDone }) {
  return (
    <div class="card new-key" role="status">
      <h3>Key {created.id} created</h3>
      <p>Copy it now: the gateway keeps only its hash and will not show it again.</p>
      <input class="mono secret" readOnly value={created.key} aria-label="The new key"
        onFocus={(e) => e.currentTarget.select()} />
      <div class="row">
        <button type="button" class="ghost" onClick={() => navigator.clipboard?.writeText(created.key).catch(() => {})}>Copy</button>
        <button type="button" onClick={onDone}>I have saved it</button>
      </div>
    </div>
  );
}

// The key's four limits, changed in place (POST /admin/keys/{id}/limits); 0 or empty: none.
function LimitsForm({ k, act, adminKey }) {
  const [f, setF] = useState({ rpm: k.rpm, tpm: k.tpm, daily_limit: k.daily_limit, monthly_limit: k.monthly_limit });
  const set = (name) => (v) => setF((x) => ({ ...x, [name]: v }));
  const save = (e) => {
    e.preventDefault();
    const body = {};
    for (const [name, v] of Object.entries(f)) body[name] = numberOr(String(v), 0);
    act(() => callJson(`/admin/keys/${encodeURIComponent(k.id)}/limits`, { apiKey: adminKey, method: 'POST', body }));
  };
  return (
    <details class="limits">
      <summary>Limits</summary>
      <form onSubmit={save} class="fields">
        <Field label="RPM" type="number" min="0" step="1" value={f.rpm} onInput={set('rpm')} />
        <Field label="TPM" type="number" min="0" step="1" value={f.tpm} onInput={set('tpm')} />
        <Field label="USD a day" type="number" min="0" step="any" value={f.daily_limit} onInput={set('daily_limit')} />
        <Field label="USD a month" type="number" min="0" step="any" value={f.monthly_limit} onInput={set('monthly_limit')} />
        <button type="submit">Save limits</button>
      </form>
    </details>
  );
}

function KeyRow({ k, adminKey, onChange }) {
  const [amount, setAmount] = useState('');
  const [error, setError] = useState('');
  async function act(f) {
    try {
      await f();
      setError('');
      onChange();
    } catch (e) {
      setError(e.message);
    }
  }
  // One Idempotency-Key per click: a resend of this top-up (lost answer) applies once.
  const topUp = (e) => {
    e.preventDefault();
    act(async () => {
      await callJson(`/admin/keys/${encodeURIComponent(k.id)}/credits`, {
        apiKey: adminKey, method: 'POST', body: { amount: Number(amount), note: 'dashboard top-up' },
        headers: { 'idempotency-key': `dash-${Date.now()}-${Math.random().toString(36).slice(2)}` },
      });
      setAmount('');
    });
  };
  const disable = () => {
    if (confirm(`Disable ${k.id}${k.name ? ` (${k.name})` : ''}? Requests with it are refused from now on.`)) {
      act(() => callJson(`/admin/keys/${encodeURIComponent(k.id)}`, { apiKey: adminKey, method: 'DELETE' }));
    }
  };
  return (
    <tr data-key={k.id} class={k.disabled ? 'disabled' : ''}>
      <td class="mono">{k.id}</td>
      <td>{k.name || '—'}</td>
      <td class="num credits">{formatUsd(k.credits)}</td>
      <td>{limit(k.rpm)} / {limit(k.tpm)}</td>
      <td>{k.daily_limit ? formatUsd(k.daily_limit) : '—'} / {k.monthly_limit ? formatUsd(k.monthly_limit) : '—'}</td>
      <td>{k.models.length ? k.models.join(', ') : 'all'}</td>
      <td>{k.disabled ? 'disabled' : 'active'}</td>
      <td>
        {!k.disabled && (
          <div class="actions">
            <form class="top-up" onSubmit={topUp}>
              <label class="sr-only" for={`topup-${k.id}`}>Credits to add to {k.id} (USD)</label>
              <input id={`topup-${k.id}`} type="number" step="any" placeholder="USD" value={amount}
                onInput={(e) => setAmount(e.currentTarget.value)} />
              <button type="submit" disabled={amount === '' || !Number.isFinite(Number(amount))}>Top up</button>
            </form>
            <button type="button" class="ghost danger" onClick={disable}>Disable</button>
          </div>
        )}
        {!k.disabled && <LimitsForm k={k} act={act} adminKey={adminKey} />}
        {error && <div class="error" role="alert">{error}</div>}
      </td>
    </tr>
  );
}

function Keys({ keys, adminKey, models, onChange }) {
  const [created, setCreated] = useState(null);
  return (
    <section aria-labelledby="keys-h">
      <h2 id="keys-h">Keys</h2>
      {created
        ? <NewKey created={created} onDone={() => setCreated(null)} />
        : <CreateKey adminKey={adminKey} models={models} onCreated={(c) => { setCreated(c); onChange(); }} />}
      <div class="table-wrap">
        <table class="keys">
          <thead><tr><th>Id</th><th>Name</th><th class="num">Credits</th><th>RPM / TPM</th><th>Day / month limit</th><th>Models</th><th>State</th><th>Actions</th></tr></thead>
          <tbody>{keys.map((k) => <KeyRow key={k.id} k={k} adminKey={adminKey} onChange={onChange} />)}</tbody>
        </table>
      </div>
      {keys.length === 0 && <p class="empty">No keys yet.</p>}
    </section>
  );
}

function Usage({ usage, span, setSpan, now }) {
  const [by, setBy] = useState('key');
  const [measure, setMeasure] = useState('spend');
  const w = windows[span];
  const data = stackedSeries(usage, { by, measure, from: now - w.ms, to: now + 1, bins: w.bins });
  const format = measure === 'spend' ? formatUsd : (v) => String(Math.round(v));
  const totals = totalsBy(usage, by);
  return (
    <section aria-labelledby="usage-h">
      <h2 id="usage-h">Usage and spend</h2>
      <div class="row controls">
        <label>Period <select value={span} onChange={(e) => setSpan(e.currentTarget.value)}>
          {Object.entries(windows).map(([k, v]) => <option key={k} value={k}>{v.label}</option>)}
        </select></label>
        <label>Show <select value={measure} onChange={(e) => setMeasure(e.currentTarget.value)}>
          {Object.entries(measures).map(([k, v]) => <option key={k} value={k}>{v.label}</option>)}
        </select></label>
        <label>By <select value={by} onChange={(e) => setBy(e.currentTarget.value)}>
          <option value="key">key</option><option value="model">model</option><option value="provider">provider</option>
        </select></label>
      </div>
      {usage.length >= USAGE_CAP && (
        <p class="muted" role="note">
          More than {USAGE_CAP} requests in this period: the chart and totals sum the latest {USAGE_CAP}, since {when(usage[usage.length - 1].created_ms)}.
        </p>
      )}
      <StackedBars data={data} format={format} label={measures[measure].label} />
      <div class="table-wrap">
        <table class="totals">
          <thead><tr><th>{by}</th><th class="num">Requests</th><th class="num">Tokens</th><th class="num">Spend</th><th class="num">Errors</th></tr></thead>
          <tbody>
            {totals.map((r) => (
              <tr key={r.name}><td class="mono">{r.name}</td><td class="num">{r.requests}</td><td class="num">{r.tokens}</td>
                <td class="num">{formatUsd(r.spend)}</td><td class="num">{r.errors}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function RequestLog({ usage }) {
  const latest = usage.slice(0, 50);
  return (
    <section aria-labelledby="log-h">
      <h2 id="log-h">Request log <span class="muted">(live, newest first)</span></h2>
      <div class="table-wrap">
        <table class="log">
          <thead><tr><th>Time</th><th>Request</th><th>Key</th><th>Model</th><th>Provider</th><th>Status</th>
            <th class="num">Tokens in / out</th><th class="num">Cost</th><th class="num">Latency</th><th class="num">First token</th></tr></thead>
          <tbody>
            {latest.map((u) => (
              <tr key={u.id} data-request={u.id} class={u.status === 'ok' ? '' : 'failed'}>
                <td>{when(u.created_ms)}</td><td class="mono">{u.id}</td><td class="mono">{u.key_id}</td>
                <td>{u.model}</td><td>{u.provider ?? '—'}</td><td class="status">{u.status} {u.http_status}</td>
                <td class="num">{u.tokens_prompt} / {u.tokens_completion}</td><td class="num cost">{formatUsd(u.total_cost)}</td>
                <td class="num">{ms(u.latency_ms)}</td><td class="num">{ms(u.ttft_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {latest.length === 0 && <p class="empty">No requests in this period.</p>}
    </section>
  );
}

function Providers({ providers }) {
  return (
    <section aria-labelledby="providers-h">
      <h2 id="providers-h">Provider health</h2>
      <div class="table-wrap">
        <table class="providers">
          <thead><tr><th>Provider</th><th>Model</th><th>Circuit</th><th class="num">Latency</th><th class="num">Throughput</th>
            <th class="num">Error rate</th><th class="num">In flight</th></tr></thead>
          <tbody>
            {providers.map(withErrorRate).map((p) => (
              <tr key={`${p.provider}/${p.model}`} class={p.healthy ? '' : 'failed'}>
                <td>{p.provider} <span class="muted">({p.kind})</span></td><td>{p.model}</td>
                <td class="circuit">{p.circuit}{p.healthy ? '' : ' · unavailable'}</td>
                <td class="num">{ms(p.latency_ms)}</td>
                <td class="num">{p.tokens_per_s == null ? '—' : `${p.tokens_per_s.toFixed(1)} tokens/s`}</td>
                <td class="num">{p.error_rate == null ? '—' : `${(100 * p.error_rate).toFixed(1)} % of ${p.successes + p.failures}`}</td>
                <td class="num">{p.outstanding}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Audit({ audit }) {
  if (!audit) return null;
  const usd = (nano) => formatUsd(nano / 1e9);
  return (
    <section aria-labelledby="audit-h">
      <h2 id="audit-h">Money audit</h2>
      <p class={audit.ok ? 'ok' : 'error'} role="status">
        {audit.ok ? 'The ledger adds up' : `${audit.keys_drifting} key(s) drift`}: {audit.rule}
        {' '}({audit.keys_checked} keys, {audit.open_reservations} open reservations).
      </p>
      <div class="table-wrap">
        <table class="audit">
          <thead><tr><th>Key</th><th class="num">Granted</th><th class="num">Balance</th><th class="num">Settled</th><th class="num">Reserved</th><th class="num">Drift</th></tr></thead>
          <tbody>
            {audit.data.map((a) => (
              <tr key={a.key_id} class={a.ok ? '' : 'failed'}>
                <td class="mono">{a.key_id}</td><td class="num">{usd(a.granted_nano)}</td><td class="num">{usd(a.balance_nano)}</td>
                <td class="num">{usd(a.settled_nano)}</td><td class="num">{usd(a.reserved_nano)}</td>
                <td class="num">{a.drift_nano == null ? 'overflow' : usd(a.drift_nano)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function Dashboard() {
  const [adminKey, setAdminKey] = useState(readAdminKey);
  const [state, setState] = useState(null);
  const [error, setError] = useState('');
  const [span, setSpan] = useState('day');
  const [tick, setTick] = useState(0);
  const refresh = () => setTick((t) => t + 1);

  useEffect(() => {
    if (!adminKey) return undefined;
    let live = true;
    const now = Date.now();
    const get = (path) => callJson(path, { apiKey: adminKey });
    Promise.all([
      get('/admin/keys?limit=500'),
      // The latest records of the period, newest first (the log's order); the charts sum these.
      get(`/admin/usage?since=${now - windows[span].ms}&limit=${USAGE_CAP}&order=newest`),
      get('/admin/providers'),
      get('/admin/audit'),
    ]).then(([keys, usage, providers, audit]) => {
      if (!live) return;
      setState({ keys: keys.data, usage: usage.data, providers: providers.data, audit, now });
      setError('');
    }, (e) => {
      if (!live) return;
      if (e.status === 401 || e.status === 429) { setAdminKey(''); writeAdminKey(''); }
      setError(e.status === 404 ? 'This server has no admin API: the dashboard is the gateway\'s (junction serve --config).' : e.message);
    });
    const timer = setTimeout(refresh, POLL_MS);
    return () => { live = false; clearTimeout(timer); };
  }, [adminKey, span, tick]);

  if (!adminKey) {
    return <div class="page"><AdminKeyForm error={error} onKey={(k) => { writeAdminKey(k); setAdminKey(k); setError(''); }} /></div>;
  }
  const models = [...new Set((state?.providers ?? []).map((p) => p.model))];
  return (
    <div class="page dashboard">
      <div class="row">
        <span class="muted">{state ? `Updated ${new Date(state.now).toLocaleTimeString()}` : 'Loading…'}</span>
        <button type="button" class="ghost" onClick={() => { writeAdminKey(''); setAdminKey(''); setState(null); }}>Forget the admin key</button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {state && (
        <>
          <Keys keys={state.keys} adminKey={adminKey} models={models} onChange={refresh} />
          <Usage usage={state.usage} span={span} setSpan={setSpan} now={state.now} />
          <RequestLog usage={state.usage} />
          <Providers providers={state.providers} />
          <Audit audit={state.audit} />
        </>
      )}
    </div>
  );
}
