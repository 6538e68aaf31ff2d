// Drives one real socket.io-client *browser build* in headless Chromium,
// with the same stdin/stdout protocol as driver.js: 0.9.16 by default, or
// 4.x with the argument `modern` (the protocol of modern-driver.js). The
// page is served from its own origin (this process, another port), so the
// Socket.IO server is cross-origin: CORS and JSONP are exercised for real.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const readline = require('readline');
const { launch } = require('./chromium');

// The test that read us has finished: leave quietly.
process.stdout.on('error', () => process.exit(0));

function report(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const modern = process.argv[2] === 'modern';
const files = modern
  ? {
      '/socket.io.js': path.join(__dirname, 'node_modules/socket.io-client-4/dist/socket.io.js'),
      '/core.js': path.join(__dirname, 'modern-core.js'),
    }
  : {
      '/socket.io.js': path.join(__dirname, 'node_modules/socket.io-client/dist/socket.io.js'),
      '/core.js': path.join(__dirname, 'client-core.js'),
    };
const start = modern
  ? `window.handle = modernCore.makeModernClient(() => io,
       (hex) => Uint8Array.from(hex.match(/../g) || [], (h) => parseInt(h, 16)),
       (r) => window.__report(r));`
  : 'window.handle = clientCore.makeClient(io, (r) => window.__report(r));';
const page = `<!doctype html><html><head><meta charset="utf-8"><title>socket.io ${modern ? '4' : '0.9.16'} test page</title>
<script src="/socket.io.js"></script><script src="/core.js"></script></head>
<body><script>${start}</script></body></html>`;

function serve() {
  const server = http.createServer((req, res) => {
    const file = files[req.url];
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(page);
    } else if (file) {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
      fs.createReadStream(file).pipe(res);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const server = await serve();
  const browser = await launch();
  const tab = await browser.newPage();
  tab.on('pageerror', (err) => report({ ev: 'exception', message: 'page: ' + String(err) }));
  await tab.exposeFunction('__report', (r) => report(r));
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  const shutdown = async () => {
    await browser.close().catch(() => {});
    server.close();
    process.exit(0);
  };
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch (err) {
      report({ ev: 'exception', message: String(err) });
      return;
    }
    if (cmd.op === 'exit') {
      shutdown();
      return;
    }
    if (cmd.op === 'screenshot') {
      tab.screenshot({ path: cmd.path }).then(() => report({ ev: 'screenshot', path: cmd.path }));
      return;
    }
    tab.evaluate((c) => window.handle(c), cmd).catch((err) => report({ ev: 'exception', message: String(err) }));
  });
  lines.on('close', shutdown);
  report({ ev: 'ready' });
}

main().catch((err) => {
  report({ ev: 'exception', message: String((err && err.stack) || err) });
  process.exit(1);
});
