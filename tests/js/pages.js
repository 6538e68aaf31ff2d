// Drives example pages in headless Chromium as a user would: open, type,
// click, read. Same stdin/stdout protocol as driver.js; commands name a
// page (tab) with "page".
'use strict';

const readline = require('readline');
const { launch } = require('./chromium');

process.stdout.on('error', () => process.exit(0));
function report(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function main() {
  const browser = await launch();
  const pages = {};
  const run = {
    async open(c) {
      // Tests open pages with self-signed certificates (the TLS example).
      const page = await browser.newPage({ viewport: { width: c.width || 900, height: c.height || 560 }, ignoreHTTPSErrors: true });
      page.on('pageerror', (err) => report({ ev: 'exception', message: 'page: ' + String(err) }));
      pages[c.page] = page;
      // Not 'load': a jsonp long-poll is a pending <script> that can hold it for the whole poll.
      await page.goto(c.url, { waitUntil: 'domcontentloaded' });
    },
    async close(c) { await pages[c.page].close({ runBeforeUnload: true }); delete pages[c.page]; },
    async fill(c) { await pages[c.page].fill(c.selector, c.text); },
    async click(c) { await pages[c.page].click(c.selector); },
    async press(c) { await pages[c.page].press(c.selector, c.key); },
    async wait_text(c) {
      await pages[c.page].waitForFunction(
        ([selector, text]) => { const el = document.querySelector(selector); return el && el.textContent.includes(text); },
        [c.selector, c.text], { timeout: 20000 });
    },
    async text(c) { return { text: await pages[c.page].textContent(c.selector) }; },
    async eval(c) { return { value: await pages[c.page].evaluate(c.script) }; },
    async screenshot(c) { await pages[c.page].screenshot({ path: c.path }); },
  };
  const queue = [];
  let busy = false;
  async function pump() {
    if (busy) return;
    busy = true;
    while (queue.length) {
      const c = queue.shift();
      if (c.op === 'exit') { await browser.close().catch(() => {}); process.exit(0); }
      try {
        const result = await run[c.op](c);
        report(Object.assign({ ev: 'done', id: c.id }, result || {}));
      } catch (err) {
        report({ ev: 'failed', id: c.id, message: String((err && err.message) || err) });
      }
    }
    busy = false;
  }
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    try { queue.push(JSON.parse(line)); } catch (err) { report({ ev: 'exception', message: String(err) }); return; }
    pump();
  });
  lines.on('close', async () => { await browser.close().catch(() => {}); process.exit(0); });
  report({ ev: 'ready' });
}

main().catch((err) => { report({ ev: 'exception', message: String((err && err.stack) || err) }); process.exit(1); });
