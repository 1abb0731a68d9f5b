// The reports folder (`--reports-dir`): the files GET /reports/ lists, newest first, and the one
// chosen shown in a sandboxed frame; the newest HTML report (a `junction compare` page, its
// comparison table first) is what opens by default.
import { useEffect, useState } from 'preact/hooks';
import { callJson } from './api.js';

const size = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} B`);
const href = (path) => `/reports/${path.split('/').map(encodeURIComponent).join('/')}`;

/** @param {{ chosen: string }} props  the file named in the URL (#/reports/<path>), or '' */
export function Reports({ chosen }) {
  const [files, setFiles] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    callJson('/reports/').then((r) => setFiles(Array.isArray(r.data) ? r.data : []), (e) => setError(e.message));
  }, []);
  if (error) return <div class="page"><p class="error" role="alert">Reports: {error}</p></div>;
  if (!files) return <div class="page"><p class="muted">Loading…</p></div>;
  const shown = files.find((f) => f.path === chosen) ?? files.find((f) => f.type.startsWith('text/html')) ?? files[0];
  return (
    <div class="page reports">
      <nav class="report-list" aria-label="Report files">
        <h2>Reports</h2>
        {files.length === 0 && <p class="empty">The reports folder is empty: write <code>junction compare --html</code> output there.</p>}
        <ul>
          {files.map((f) => (
            <li key={f.path}>
              <a href={`#/reports/${f.path}`} aria-current={f === shown ? 'page' : undefined}>{f.path}</a>
              <span class="muted"> {size(f.size)} · {new Date(f.modified_ms).toLocaleString()}</span>
            </li>
          ))}
        </ul>
      </nav>
      {shown && (
        <section class="report-view" aria-label={shown.path}>
          <div class="row">
            <strong class="mono">{shown.path}</strong>
            <a href={href(shown.path)} target="_blank" rel="noopener noreferrer">Open on its own</a>
          </div>
          {/* The server's CSP sandboxes the file too; the attribute keeps the frame from this origin. */}
          <iframe key={shown.path} src={href(shown.path)} title={shown.path} sandbox="allow-scripts" />
        </section>
      )}
    </div>
  );
}
