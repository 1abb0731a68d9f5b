// The web interface: the playground (#/), the gateway's operator dashboard (#/dashboard) and the
// reports folder (#/reports/<file>). The playground stays mounted when another page shows, so
// that an answer streaming in is not lost.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Dashboard } from './dashboard.jsx';
import { Header } from './nav.jsx';
import { Playground } from './playground.jsx';
import { Reports } from './reports.jsx';
import './style.css';

function route(hash) {
  const h = decodeURIComponentSafe(hash.replace(/^#\/?/, ''));
  if (h === 'dashboard') return { page: 'dashboard' };
  if (h === 'reports' || h.startsWith('reports/')) return { page: 'reports', file: h.slice(8) };
  return { page: 'chat' };
}

function decodeURIComponentSafe(s) {
  try { return decodeURIComponent(s); } catch { return s; }
}

function Root() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const f = () => setHash(location.hash);
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  const r = route(hash);
  useEffect(() => {
    document.title = `junction ${r.page === 'chat' ? 'playground' : r.page}`;
  }, [r.page]);
  return (
    <>
      <Playground hidden={r.page !== 'chat'} />
      {r.page !== 'chat' && (
        <div class="app doc">
          <Header page={r.page} />
          <main>
            {r.page === 'dashboard' ? <Dashboard /> : <Reports chosen={r.file} />}
          </main>
        </div>
      )}
    </>
  );
}

render(<Root />, document.getElementById('app'));
