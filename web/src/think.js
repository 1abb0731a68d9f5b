// Splits a model's text into its reasoning and its answer, for models whose reasoning arrives
// inside the content as <think>...</think> (a server without a reasoning parser for the
// template, or a raw completion) rather than as `reasoning_content` deltas. Called on the whole
// text so far at every delta: a block still open is reasoning in progress.
const OPEN = '<think>';
const CLOSE = '</think>';

export function splitThink(text) {
  const start = text.trimStart();
  if (start.startsWith(OPEN)) {
    const rest = start.slice(OPEN.length);
    const end = rest.indexOf(CLOSE);
    if (end < 0) return { reasoning: rest.trimStart(), answer: '', thinking: true };
    return {
      reasoning: rest.slice(0, end).trim(),
      answer: rest.slice(end + CLOSE.length).trimStart(),
      thinking: false,
    };
  }
  // The first characters of "<think>" while it streams in: nothing to show yet.
  if (start.length > 0 && OPEN.startsWith(start)) return { reasoning: '', answer: '', thinking: true };
  // A template whose generation prompt opened the block itself (DeepSeek-R1, QwQ): the model
  // writes only the closing tag.
  const end = text.indexOf(CLOSE);
  if (end >= 0 && !text.slice(0, end).includes(OPEN)) {
    return {
      reasoning: text.slice(0, end).trim(),
      answer: text.slice(end + CLOSE.length).trimStart(),
      thinking: false,
    };
  }
  return { reasoning: '', answer: text, thinking: false };
}
