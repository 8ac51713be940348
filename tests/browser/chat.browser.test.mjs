// Browser test of examples/chat in a real headless Chromium (Debian's chromium, driven
// by npm playwright-core): two users in two browser contexts log in through the page,
// join a room and chat; one receives a notice pushed by POST /notify/:name. Run once
// with the default transports (polling, then upgrade to WebSocket) and once with the
// client forced to HTTP long-polling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';

const CHAT_BIN = process.env.DUET_CHAT_BIN;
const CHROMIUM = process.env.DUET_CHROMIUM || '/usr/bin/chromium';

function startChat() {
  return new Promise((resolve, reject) => {
    const proc = spawn(CHAT_BIN, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('chat did not start: ' + out)), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/localhost:(\d+)/);
      if (m) { clearTimeout(timer); resolve({ proc, port: Number(m[1]) }); }
    });
    proc.on('exit', (code) => reject(new Error('chat exited early with ' + code)));
  });
}

async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

async function logIn(browser, base, name, query) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/${query}`);
  await page.fill('#name', name);
  await page.click('#login');
  await page.waitForSelector('#chat-box:not([hidden])');
  await page.waitForFunction(() => document.getElementById('status').textContent === 'connected');
  assert.equal(await page.textContent('#me'), name);
  return { context, page };
}

async function join(page, room) {
  await page.fill('#room', room);
  await page.click('#join');
  await page.waitForFunction((r) => document.getElementById('rooms').textContent.split(' ').includes(r), room);
}

for (const [label, query, expected] of [['default transports (upgrade to WebSocket)', '', 'websocket'],
                                       ['HTTP long-polling only', '?transport=polling', 'polling']]) {
  test(`two users chat in a room and one gets an HTTP-pushed notice — ${label}`, async () => {
    const { proc, port } = await startChat();
    const base = `http://localhost:${port}`;
    const browser = await launch();
    try {
      const ada = await logIn(browser, base, 'ada', query);
      const bob = await logIn(browser, base, 'bob', query);
      await join(ada.page, 'lobby');
      await join(bob.page, 'lobby');

      await ada.page.fill('#text', 'hello from ada');
      await ada.page.click('#send');
      for (const p of [ada.page, bob.page]) {
        await p.waitForFunction(() => [...document.querySelectorAll('#messages li')]
          .some((li) => li.textContent === '[lobby] ada: hello from ada'));
      }
      await bob.page.fill('#text', 'hi ada');
      await bob.page.click('#send');
      await ada.page.waitForFunction(() => [...document.querySelectorAll('#messages li')]
        .some((li) => li.textContent === '[lobby] bob: hi ada'));

      // Input the server refuses is reported on the page, the connection stays up.
      await bob.page.fill('#room', 'not-joined');
      await bob.page.fill('#text', 'lost?');
      await bob.page.click('#send');
      await bob.page.waitForFunction(() => document.getElementById('chat-error').textContent.includes('unknown room'));

      // The HTTP side pushes to every socket of bob's session (the page's socket).
      const r = await fetch(`${base}/notify/bob`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'deploy at 5' }),
      });
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), { delivered: 1 });
      await bob.page.waitForFunction(() => [...document.querySelectorAll('#notices li')]
        .some((li) => li.textContent === 'deploy at 5'));
      assert.equal(await ada.page.locator('#notices li').count(), 0);

      // The transport the page ended up on is the one asked for.
      await bob.page.waitForFunction((t) => document.body.dataset.transport === t, expected);
      assert.equal(await ada.page.evaluate(() => document.body.dataset.transport), expected);

      // Logging out ends the session: the page reloads to the login form.
      await bob.page.click('#logout');
      await bob.page.waitForSelector('#login-box:not([hidden])');
      const me = await bob.page.evaluate(async () => (await fetch('/me')).status);
      assert.equal(me, 401);
    } finally {
      await browser.close();
      proc.kill('SIGKILL');
    }
  });
}
