// Model output is hostile: it is rendered as Markdown with any raw HTML in it shown as text, and
// the result goes through DOMPurify (no scripts, handlers or javascript: links) before it
// reaches innerHTML. The CSP forbids inline script and foreign images besides.
import { Marked } from 'marked';
import DOMPurify from 'dompurify';

const escapeHtml = (s) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html({ text }) {
      return escapeHtml(text);
    },
    // An image the model names is not fetched (its URL could carry the conversation away; the
    // CSP would block it anyway): it becomes a link the reader may follow.
    image({ href, text }) {
      return `<a href="${escapeHtml(href ?? '')}">${escapeHtml(`image: ${text || href || ''}`)}</a>`;
    },
  },
});

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

export function renderMarkdown(text) {
  return DOMPurify.sanitize(marked.parse(text), { FORBID_TAGS: ['style', 'form', 'input'] });
}
