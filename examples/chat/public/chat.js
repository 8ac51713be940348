// The chat page: log in over HTTP (the session cookie), then Socket.IO with that cookie.
// ?transport=polling forces HTTP long-polling (used by the browser test).
(() => {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  let socket = null;
  let current = null;

  async function api(method, path, body) {
    const r = await fetch(path, {
      method, credentials: 'include',
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  }

  function item(list, text) {
    const li = document.createElement('li');
    li.textContent = text;
    $(list).appendChild(li);
  }

  async function connect() {
    const cfg = (await api('GET', '/config')).body;
    const url = cfg.socketPort ? `${location.protocol}//${location.hostname}:${cfg.socketPort}` : undefined;
    const opts = { withCredentials: true };
    if (params.get('transport') === 'polling') opts.transports = ['polling'];
    socket = url ? io(url, opts) : io(opts);
    socket.on('connect', () => {
      $('status').textContent = 'connected';
      // Which transport carries the connection (shown for people, read by the browser test).
      document.body.dataset.transport = socket.io.engine.transport.name;
      socket.io.engine.on('upgrade', (t) => { document.body.dataset.transport = t.name; });
    });
    socket.on('connect_error', (e) => { $('status').textContent = 'refused: ' + e.message; });
    socket.on('disconnect', (reason) => { $('status').textContent = 'disconnected: ' + reason; });
    socket.on('chat', (m) => item('messages', `[${m.room}] ${m.from}: ${m.text}`));
    socket.on('notice', (n) => item('notices', n.text));
  }

  function showChat(name) {
    current = name;
    $('me').textContent = name;
    $('login-box').hidden = true;
    $('chat-box').hidden = false;
    connect();
  }

  $('login').onclick = async () => {
    const r = await api('POST', '/login', { name: $('name').value });
    if (r.status !== 200) { $('login-error').textContent = r.body.error; return; }
    showChat(r.body.name);
  };
  $('logout').onclick = async () => {
    await api('POST', '/logout');
    if (socket) socket.disconnect();
    location.reload();
  };
  $('join').onclick = () => {
    const room = $('room').value;
    socket.emit('join', room, (ok) => {
      if (ok === true) $('rooms').textContent = ($('rooms').textContent + ' ' + room).trim();
      else $('chat-error').textContent = ok.error;
    });
  };
  $('send').onclick = () => {
    socket.emit('chat', { room: $('room').value, text: $('text').value }, (ok) => {
      $('chat-error').textContent = ok === true ? '' : ok.error;
      if (ok === true) $('text').value = '';
    });
  };

  api('GET', '/me').then((r) => { if (r.status === 200) showChat(r.body.name); });
})();
