// Model output is hostile: it is rendered as Markdown with any raw HTML in it shown as text, and
// the result goes through DOMPurify (no scripts, handlers or javascript: links) before it
// reaches innerHTML. The CSP forbids inline script and foreign images besides.
import { Marked } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

// The languages a model writes most; a block in another (or none) stays plain text. Only these
// are bundled: the whole set would triple the page's size.
for (const [name, lang] of Object.entries({
  bash, c, cpp, go, java, javascript, json, python, rust, sql, typescript, xml, yaml,
})) hljs.registerLanguage(name, lang);

const escapeHtml = (s) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    // highlight.js escapes the code it returns (its spans carry only hljs-* classes).
    code({ text, lang }) {
      const name = (lang ?? '').trim().split(/\s+/)[0].toLowerCase();
      const known = name && hljs.getLanguage(name);
      const body = known ? hljs.highlight(text, { language: name, ignoreIllegals: true }).value : escapeHtml(text);
      const cls = known ? ` class="hljs language-${escapeHtml(name)}"` : '';
      return `<pre><code${cls}>${body}</code></pre>\n`;
    },
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
