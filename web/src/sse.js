// Server-sent events from a fetch body: the `data:` payload of each event, in order. EventSource
// cannot POST or send an Authorization header, hence this. Feed text as it arrives, split
// anywhere; events end at a blank line (LF or CRLF).
export function createSseParser(onData) {
  let buffer = '';
  let data = [];
  const line = (l) => {
    if (l === '') {
      if (data.length) onData(data.join('\n'));
      data = [];
    } else if (l.startsWith('data:')) {
      data.push(l.slice(l[5] === ' ' ? 6 : 5));
    }
    // Comments (":"), event:, id: and retry: carry nothing the chat stream uses.
  };
  return {
    feed(text) {
      buffer += text;
      let i;
      while ((i = buffer.indexOf('\n')) >= 0) {
        let l = buffer.slice(0, i);
        if (l.endsWith('\r')) l = l.slice(0, -1);
        buffer = buffer.slice(i + 1);
        line(l);
      }
    },
    end() {
      if (buffer) line(buffer.endsWith('\r') ? buffer.slice(0, -1) : buffer);
      buffer = '';
      line('');
    },
  };
}
