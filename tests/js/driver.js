// Drives one real socket.io-client 0.9.16 (node build) for the Rust tests.
// Commands arrive as JSON lines on stdin; every observation leaves as a JSON
// line on stdout. See tests/src/node_client.rs for the Rust side.
'use strict';

const readline = require('readline');
const io = require('socket.io-client');
const { makeClient } = require('./client-core');

// The test that read us has finished: leave quietly.
process.stdout.on('error', () => process.exit(0));

function report(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
  if (obj.ev === 'exit') process.exit(0);
}

process.on('uncaughtException', (err) => report({ ev: 'exception', message: String((err && err.stack) || err) }));

const handle = makeClient(io, report);
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
