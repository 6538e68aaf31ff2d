// Drives one real modern socket.io-client (4.x, or 2.x with version: 2) in
// node for the Rust tests, with the command/report protocol of driver.js
// (see modern-core.js).
'use strict';

const readline = require('readline');
const { makeModernClient } = require('./modern-core');

process.stdout.on('error', () => process.exit(0));

function report(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
  if (obj.ev === 'exit') process.exit(0);
}

process.on('uncaughtException', (err) => report({ ev: 'exception', message: String((err && err.stack) || err) }));

const handle = makeModernClient(
  (version) => require(version === 2 ? 'socket.io-client-2' : 'socket.io-client-4'),
  (hex) => Buffer.from(hex, 'hex'),
  report,
  (name) => {
    if (name !== 'msgpack') throw new Error('unknown parser ' + name);
    return require('socket.io-msgpack-parser');
  },
);
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  try {
    handle(JSON.parse(line));
  } catch (err) {
    report({ ev: 'exception', message: String((err && err.stack) || err) });
  }
});
lines.on('close', () => process.exit(0));
report({ ev: 'ready' });
