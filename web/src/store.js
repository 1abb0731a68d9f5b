// Conversations and settings kept in the browser (localStorage); nothing leaves it but the
// requests the user sends. A corrupt or foreign value is ignored, not trusted.
const CONVERSATIONS = 'junction.conversations';
const SETTINGS = 'junction.settings';

export const defaultSettings = {
  apiKey: '',
  model: '',
  system: '',
  temperature: 0.7,
  top_p: 1,
  max_tokens: 1024,
  extra: '',
};

function read(key, fallback) {
  try {
    const v = JSON.parse(localStorage.getItem(key));
    return v ?? fallback;
  } catch {
    return fallback;
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Full or disabled storage: the page keeps working, without memory.
  }
}

export function loadSettings() {
  const s = read(SETTINGS, {});
  return { ...defaultSettings, ...(typeof s === 'object' && !Array.isArray(s) ? s : {}) };
}

export const saveSettings = (s) => write(SETTINGS, s);

export function loadConversations() {
  const list = read(CONVERSATIONS, []);
  if (!Array.isArray(list)) return [];
  return list.filter((c) => c && typeof c.id === 'string' && Array.isArray(c.messages));
}

export const saveConversations = (list) => write(CONVERSATIONS, list);

export function newConversation() {
  return { id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`, title: 'New chat', messages: [] };
}
