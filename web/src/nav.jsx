// The header every page shares: the name, the three pages (hash routes, so that the server
// needs one path), and whatever the page adds.
const pages = [['chat', '#/', 'Chat'], ['dashboard', '#/dashboard', 'Dashboard'], ['reports', '#/reports', 'Reports']];

/** @param {{ page: string, children?: any, before?: any }} props */
export function Header({ page, children, before }) {
  return (
    <header>
      {before}
      <h1>junction</h1>
      <nav class="pages" aria-label="Pages">
        {pages.map(([id, href, label]) => (
          <a key={id} href={href} aria-current={id === page ? 'page' : undefined}>{label}</a>
        ))}
      </nav>
      {children}
    </header>
  );
}
