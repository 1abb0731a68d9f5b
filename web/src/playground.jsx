// The playground: chat with a model of the server that served this page (the engine's one, or
// any of the gateway's catalogue).
import { useEffect, useRef, useState } from 'preact/hooks';
import { listModels, streamChat } from './api.js';
import { describeModel, formatTokens, formatUsd, modelFacts } from './catalogue.js';
import { renderMarkdown } from './markdown.js';
import { Header } from './nav.jsx';
import {
  loadConversations, loadSettings, newConversation, saveConversations, saveSettings,
} from './store.js';
import { splitThink } from './think.js';

const seconds = (ms) => `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;

// What the reasoning and the answer of an assistant message are: the server's
// reasoning_content when it split them, else any <think> block in the content.
function parts(m) {
  if (m.reasoning) return { reasoning: m.reasoning, answer: m.content, thinking: !m.content && m.streaming };
  const s = splitThink(m.content);
  return { ...s, thinking: s.thinking && m.streaming };
}

function Reasoning({ text, thinking, stats }) {
  const [open, setOpen] = useState(thinking);
  // Open while the model thinks, folded once it answers (or stops); the user's toggle wins after.
  useEffect(() => setOpen(thinking), [thinking]);
  const label = thinking ? 'Thinking…' : 'Thought';
  const facts = [];
  if (stats?.thinkMs != null) facts.push(seconds(stats.thinkMs));
  if (stats?.reasoningTokens) facts.push(`${stats.reasoningTokens} tokens`);
  return (
    <details class="reasoning" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        {label}
        {facts.length > 0 && <span class="facts"> · {facts.join(' · ')}</span>}
      </summary>
      <div class="reasoning-text">{text}</div>
    </details>
  );
}

function Stats({ s, stopped }) {
  if (!s) return null;
  const items = [];
  if (s.ttftMs != null) items.push(`first token ${seconds(s.ttftMs)}`);
  if (s.tokensPerSecond != null) items.push(`${s.tokensPerSecond.toFixed(1)} tokens/s`);
  if (s.completionTokens != null) items.push(`${s.completionTokens} tokens`);
  if (s.finishReason) items.push(s.finishReason);
  if (stopped) items.push('stopped');
  return <div class="stats">{items.join(' · ')}</div>;
}

function Message({ m }) {
  if (m.role === 'user') {
    return (
      <article class="msg user" aria-label="You">
        <div class="text plain">{m.content}</div>
      </article>
    );
  }
  const p = parts(m);
  return (
    <article class="msg assistant" aria-label="Assistant" aria-busy={m.streaming ? 'true' : 'false'}>
      {p.reasoning && <Reasoning text={p.reasoning} thinking={p.thinking} stats={m.stats} />}
      {p.answer && <div class="text markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(p.answer) }} />}
      {(m.toolCalls ?? []).map((t, i) => (
        <div class="tool-call" key={i}>
          <div>Tool call <code>{t.name}</code></div>
          <pre>{t.arguments}</pre>
        </div>
      ))}
      {m.error && <div class="error" role="alert">{m.error}</div>}
      <Stats s={m.stats} stopped={m.stopped} />
    </article>
  );
}

// The picker's line for a model: its name, context window and prices, short.
function optionLabel(m) {
  const facts = [];
  if (m.context) facts.push(`${formatTokens(m.context)} context`);
  if (m.inputPerM != null && m.outputPerM != null) facts.push(`${formatUsd(m.inputPerM)} / ${formatUsd(m.outputPerM)} per M`);
  return facts.length ? `${m.id} (${facts.join(', ')})` : m.id;
}

function NumberField({ label, value, onInput, min, max, step }) {
  return (
    <label>
      {label}
      <input type="number" value={value} min={min} max={max} step={step}
        onInput={(e) => onInput(e.currentTarget.value === '' ? '' : Number(e.currentTarget.value))} />
    </label>
  );
}

function Settings({ settings, update }) {
  return (
    <section class="settings" aria-label="Settings">
      <label class="wide">
        System prompt
        <textarea rows="3" value={settings.system} onInput={(e) => update({ system: e.currentTarget.value })} />
      </label>
      <NumberField label="Temperature" value={settings.temperature} min="0" max="2" step="0.1"
        onInput={(v) => update({ temperature: v })} />
      <NumberField label="Top p" value={settings.top_p} min="0" max="1" step="0.05"
        onInput={(v) => update({ top_p: v })} />
      <NumberField label="Max tokens" value={settings.max_tokens} min="1" step="1"
        onInput={(v) => update({ max_tokens: v })} />
      <label>
        API key
        <input type="password" autocomplete="off" value={settings.apiKey}
          onInput={(e) => update({ apiKey: e.currentTarget.value.trim() })} />
      </label>
      <label class="wide">
        More request fields (JSON object, e.g. {'{"seed": 1}'})
        <input type="text" class="mono" value={settings.extra} spellcheck={false}
          onInput={(e) => update({ extra: e.currentTarget.value })} />
      </label>
    </section>
  );
}

function extraFields(text) {
  if (!text.trim()) return {};
  const v = JSON.parse(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
  return v;
}

/** @param {{ hidden: boolean }} props */
export function Playground({ hidden }) {
  const [settings, setSettings] = useState(loadSettings);
  const [conversations, setConversations] = useState(() => {
    const list = loadConversations();
    return list.length ? list : [newConversation()];
  });
  const [currentId, setCurrentId] = useState(() => conversations[0].id);
  const [models, setModels] = useState([]);
  const [modelError, setModelError] = useState('');
  const [draft, setDraft] = useState('');
  const [showSettings, setShowSettings] = useState(false);
  const [formError, setFormError] = useState('');
  const [showList, setShowList] = useState(false);
  const abort = useRef(null);
  const [busy, setBusy] = useState(false);
  const bottom = useRef(null);

  const current = conversations.find((c) => c.id === currentId) ?? conversations[0];

  useEffect(() => saveSettings(settings), [settings]);
  // Saved when no answer streams (not at every token), and once more when it ends.
  useEffect(() => { if (!busy) saveConversations(conversations); }, [conversations, busy]);
  useEffect(() => {
    listModels(settings.apiKey).then(
      (list) => { setModels(list.map(modelFacts)); setModelError(list.length ? '' : 'The server lists no model.'); },
      (e) => { setModels([]); setModelError(e.message); },
    );
  }, [settings.apiKey]);
  // The model picked before, while the server still lists it; else its first.
  const picked = models.find((m) => m.id === settings.model) ?? models[0] ?? null;
  const model = picked?.id ?? null;
  useEffect(() => bottom.current?.scrollIntoView({ block: 'end' }), [current.messages]);

  const update = (patch) => setSettings((s) => ({ ...s, ...patch }));
  const patchConversation = (id, f) => setConversations((list) => list.map((c) => (c.id === id ? f(c) : c)));
  const patchLast = (id, f) => patchConversation(id, (c) => {
    const messages = c.messages.slice();
    messages[messages.length - 1] = f(messages[messages.length - 1]);
    return { ...c, messages };
  });

  async function send() {
    const text = draft.trim();
    if (!text || busy) return;
    let extra;
    try {
      extra = extraFields(settings.extra);
    } catch (e) {
      setShowSettings(true);
      setFormError(`More request fields: ${e.message}`);
      return;
    }
    setFormError('');
    const id = current.id;
    const history = [...current.messages, { role: 'user', content: text }];
    const messages = [
      ...(settings.system.trim() ? [{ role: 'system', content: settings.system }] : []),
      ...history.map((m) => ({ role: m.role, content: m.role === 'assistant' ? parts(m).answer : m.content })),
    ];
    setDraft('');
    patchConversation(id, (c) => ({
      ...c,
      title: c.messages.length ? c.title : text.slice(0, 60),
      messages: [...history, { role: 'assistant', content: '', reasoning: '', streaming: true, stats: {} }],
    }));
    const body = { model, messages, stream_options: { include_usage: true }, ...extra };
    for (const k of ['temperature', 'top_p', 'max_tokens']) if (settings[k] !== '') body[k] = settings[k];

    const controller = new AbortController();
    abort.current = controller;
    setBusy(true);
    const t0 = performance.now();
    let first = null;
    let thinkStart = null;
    let thinkEnd = null;
    let pieces = 0;
    let reasoningPieces = 0;
    let usage = null;
    let finishReason = null;
    let content = '';
    let reasoning = '';
    // Tool calls as the model writes them (the playground runs no tools): by index, their
    // arguments arriving in pieces.
    const toolCalls = [];
    const stats = (now) => {
      const tokens = usage?.completion_tokens ?? pieces;
      const s = { ttftMs: first == null ? null : first - t0, completionTokens: tokens, finishReason };
      if (first != null && tokens > 1 && now > first) s.tokensPerSecond = (tokens - 1) / ((now - first) / 1000);
      const split = reasoning ? null : splitThink(content);
      if (reasoning || split?.reasoning) {
        if (thinkStart == null) thinkStart = first;
        s.thinkMs = (thinkEnd ?? now) - thinkStart;
        s.reasoningTokens = usage?.completion_tokens_details?.reasoning_tokens ?? reasoningPieces;
      }
      return s;
    };
    try {
      await streamChat(body, {
        apiKey: settings.apiKey,
        signal: controller.signal,
        onChunk(chunk) {
          const now = performance.now();
          if (chunk.usage) usage = chunk.usage;
          for (const c of chunk.choices ?? []) {
            const d = c.delta ?? {};
            if (c.finish_reason) finishReason = c.finish_reason;
            if (d.reasoning_content) {
              if (thinkStart == null) thinkStart = now;
              reasoning += d.reasoning_content;
              reasoningPieces++;
            }
            if (d.content) {
              content += d.content;
              const s = reasoning ? null : splitThink(content);
              if (s?.thinking || (s && s.reasoning && !s.answer)) reasoningPieces++;
              if (reasoning && thinkEnd == null) thinkEnd = now;
              if (s && s.answer && s.reasoning && thinkEnd == null) thinkEnd = now;
            }
            for (const t of d.tool_calls ?? []) {
              // A hostile index cannot make a huge sparse array.
              const i = Number.isInteger(t.index) && t.index >= 0 && t.index <= toolCalls.length ? t.index : toolCalls.length;
              toolCalls[i] ??= { name: '', arguments: '' };
              toolCalls[i].name += t.function?.name ?? '';
              toolCalls[i].arguments += t.function?.arguments ?? '';
              pieces++;
              if (first == null) first = now;
            }
            if (d.reasoning_content || d.content) {
              pieces++;
              if (first == null) first = now;
            }
          }
          patchLast(id, (m) => ({ ...m, content, reasoning, toolCalls: toolCalls.map((t) => ({ ...t })), stats: stats(now) }));
        },
      });
      patchLast(id, (m) => ({ ...m, streaming: false, stats: stats(performance.now()) }));
    } catch (e) {
      const stopped = e.name === 'AbortError';
      patchLast(id, (m) => ({
        ...m, streaming: false, stopped, error: stopped ? undefined : e.message, stats: stats(performance.now()),
      }));
    } finally {
      abort.current = null;
      setBusy(false);
    }
  }

  const stop = () => abort.current?.abort();

  function startNew() {
    if (busy) return;
    const c = newConversation();
    setConversations((list) => [c, ...list]);
    setCurrentId(c.id);
    setShowList(false);
  }

  function remove(id) {
    if (busy && id === current.id) return;
    setConversations((list) => {
      const rest = list.filter((c) => c.id !== id);
      const next = rest.length ? rest : [newConversation()];
      if (id === current.id) setCurrentId(next[0].id);
      return next;
    });
  }

  return (
    <div class="app" hidden={hidden}>
      <Header page="chat" before={
        <button type="button" class="ghost list-toggle" aria-expanded={showList}
          onClick={() => setShowList(!showList)}>Chats</button>
      }>
        <label class="sr-only" for="model">Model</label>
        <select id="model" class="model" value={model ?? ''} disabled={!models.length}
          onChange={(e) => update({ model: e.currentTarget.value })}>
          {models.length === 0 && <option value="">—</option>}
          {models.map((m) => <option key={m.id} value={m.id}>{optionLabel(m)}</option>)}
        </select>
        <button type="button" class="ghost settings-toggle" aria-expanded={showSettings}
          onClick={() => setShowSettings(!showSettings)}>Settings</button>
      </Header>
      {picked && describeModel(picked) && <div class="model-facts">{picked.id}: {describeModel(picked)}</div>}
      {modelError && <div class="banner" role="alert">Models: {modelError}{/401/.test(modelError) ? ' Set the API key in Settings.' : ''}</div>}
      {formError && <div class="banner" role="alert">{formError}</div>}
      {showSettings && <Settings settings={settings} update={update} />}
      <div class="body">
        <nav class={showList ? 'conversations shown' : 'conversations'} aria-label="Conversations">
          <button type="button" onClick={startNew} disabled={busy}>New chat</button>
          <ul>
            {conversations.map((c) => (
              <li key={c.id} class={c.id === current.id ? 'current' : ''}>
                <button type="button" class="ghost title" aria-current={c.id === current.id ? 'true' : undefined}
                  disabled={busy && c.id !== current.id}
                  onClick={() => { setCurrentId(c.id); setShowList(false); }}>{c.title || 'New chat'}</button>
                <button type="button" class="ghost delete" aria-label={`Delete ${c.title}`}
                  onClick={() => remove(c.id)}>×</button>
              </li>
            ))}
          </ul>
        </nav>
        <main>
          <div class="messages" aria-live="off">
            {current.messages.length === 0 && <p class="empty">Ask something. Enter sends, Shift+Enter starts a new line.</p>}
            {current.messages.map((m, i) => <Message key={i} m={m} />)}
            <div ref={bottom} />
          </div>
          <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
            <label class="sr-only" for="prompt">Message</label>
            <textarea id="prompt" rows="2" value={draft} placeholder="Message"
              onInput={(e) => setDraft(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
                if (e.key === 'Escape' && busy) stop();
              }} />
            {busy
              ? <button type="button" class="stop" onClick={stop}>Stop</button>
              : <button type="submit" class="send" disabled={!model || !draft.trim()}>Send</button>}
          </form>
        </main>
      </div>
    </div>
  );
}
