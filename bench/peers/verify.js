#!/usr/bin/env node
// Checks that a benchmark peer serves the bench workload, with the real
// Socket.IO clients of tests/js (run `npm ci` in tests/js first).
//
//   node bench/peers/verify.js legacy http://127.0.0.1:4000   # socket.io 0.9 protocol
//   node bench/peers/verify.js modern http://127.0.0.1:4000   # socket.io 4 protocol
//
// Over each transport (websocket, then polling) it checks, on namespace `/`:
//  - `echo` with an ack answers the very arguments: 3 mixed ones, none, one,
//    an array and a number;
//  - `join` with an ack answers `true`;
//  - `publish` [room, payload] with an ack answers `true`, and `news` with the
//    payload reaches every member of the room (the sender when a member),
//    and no socket outside it.
// Exits 0 only when every check passed.
'use strict';

const path = require('path');
const assert = require('assert');

const [kind, url] = process.argv.slice(2);
if (!['legacy', 'modern'].includes(kind) || !url) {
  console.error('usage: node verify.js <legacy|modern> <url>');
  process.exit(2);
}

const modules = path.join(__dirname, '..', '..', 'tests', 'js', 'node_modules');
const STEP_MS = 10000;

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out: ' + what)), STEP_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// One client of either kind behind the same small interface.
function legacyClient(transport) {
  const io = require(path.join(modules, 'socket.io-client'));
  // The 0.9 client merges `transports` into its default list index by index:
  // repeat the transport to really restrict the choice to it.
  const socket = io.connect(url, {
    transports: [transport, transport, transport, transport, transport],
    'force new connection': true,
    reconnect: false,
    'try multiple transports': false,
    'connect timeout': 5000,
  });
  return {
    socket,
    connected: () => withTimeout(new Promise((resolve, reject) => {
      socket.on('connect', resolve);
      socket.on('connect_failed', () => reject(new Error('connect_failed')));
      socket.on('error', (e) => reject(new Error('error: ' + e)));
    }), 'connect'),
    transportName: () => socket.socket.transport && socket.socket.transport.name,
    close: () => socket.disconnect(),
  };
}

function modernClient(transport) {
  const { io } = require(path.join(modules, 'socket.io-client-4'));
  const socket = io(url, {
    transports: [transport],
    upgrade: false,
    forceNew: true,
    reconnection: false,
    timeout: 5000,
  });
  return {
    socket,
    connected: () => withTimeout(new Promise((resolve, reject) => {
      socket.on('connect', resolve);
      socket.on('connect_error', (e) => reject(new Error('connect_error: ' + e.message)));
    }), 'connect'),
    transportName: () => socket.io.engine && socket.io.engine.transport.name,
    close: () => socket.disconnect(),
  };
}

function emitWithAck(client, event, ...args) {
  return withTimeout(new Promise((resolve) => {
    client.socket.emit(event, ...args, (...reply) => resolve(reply));
  }), 'ack of ' + event);
}

async function checkTransport(transport) {
  const make = kind === 'legacy' ? legacyClient : modernClient;
  const a = make(transport);
  await a.connected();
  const b = make(transport);
  await b.connected();
  const clients = [a, b];
  try {
    for (const c of clients) {
      assert.strictEqual(c.transportName(), transport, 'transport in use');
    }

    // echo: the very arguments back.
    const mixed = [1, 'x', { a: 1, nested: [true, null, 'é'] }];
    assert.deepStrictEqual(await emitWithAck(a, 'echo', ...mixed), mixed, 'echo of 3 mixed args');
    assert.deepStrictEqual(await emitWithAck(a, 'echo'), [], 'echo of no args');
    assert.deepStrictEqual(await emitWithAck(b, 'echo', 'only'), ['only'], 'echo of one arg');
    assert.deepStrictEqual(await emitWithAck(b, 'echo', ['a', 'b'], 3), [['a', 'b'], 3], 'echo of an array arg');

    // join.
    const room = 'room-' + transport + '-' + process.pid;
    assert.deepStrictEqual(await emitWithAck(a, 'join', room), [true], 'join ack');

    const news = { a: [], b: [] };
    a.socket.on('news', (...args) => news.a.push(args));
    b.socket.on('news', (...args) => news.b.push(args));

    // publish from outside the room: only the member gets it.
    const p1 = { n: 1, s: 'first', list: [1, 2, 3] };
    assert.deepStrictEqual(await emitWithAck(b, 'publish', room, p1), [true], 'publish ack (non-member)');
    // publish from inside the room: the sender gets it too.
    const p2 = ['second', 2]; // an array payload stays one argument
    assert.deepStrictEqual(await emitWithAck(a, 'publish', room, p2), [true], 'publish ack (member)');
    // b joins: now both get it.
    assert.deepStrictEqual(await emitWithAck(b, 'join', room), [true], 'join ack (b)');
    const p3 = { n: 3 };
    assert.deepStrictEqual(await emitWithAck(a, 'publish', room, p3), [true], 'publish ack (both members)');
    // a publish to a room nobody is in reaches nobody.
    assert.deepStrictEqual(await emitWithAck(a, 'publish', room + '-empty', 'lost'), [true], 'publish ack (empty room)');

    await withTimeout((async () => {
      while (news.a.length < 3 || news.b.length < 1) await sleep(10);
    })(), 'news delivery');
    await sleep(200); // let anything unexpected arrive
    assert.deepStrictEqual(news.a, [[p1], [p2], [p3]], 'news seen by the member');
    assert.deepStrictEqual(news.b, [[p3]], 'news seen by the late member');
  } finally {
    for (const c of clients) c.close();
  }
}

(async () => {
  const transports = kind === 'legacy' ? ['websocket', 'xhr-polling'] : ['websocket', 'polling'];
  let failed = 0;
  for (const transport of transports) {
    try {
      await checkTransport(transport);
      console.log(`ok   ${kind} ${transport}: echo-ack (3 mixed args), join, publish->news`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${kind} ${transport}: ${err && err.stack || err}`);
    }
  }
  console.log(`${transports.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
