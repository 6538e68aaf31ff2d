// Drives one real socket.io-client 0.9.16 (node build) for the Rust tests.
// Commands arrive as JSON lines on stdin; every observation leaves as a JSON
// line on stdout. See tests/src/node_client.rs for the Rust side.
'use strict';

const readline = require('readline');
const io = require('socket.io-client');

function report(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

process.on('uncaughtException', (err) => report({ ev: 'exception', message: String(err && err.stack || err) }));

// Count server heartbeats: the transport answers them itself, so hook it.
const onPacket = io.Transport.prototype.onPacket;
io.Transport.prototype.onPacket = function (packet) {
  if (packet && packet.type === 'heartbeat') report({ ev: 'heartbeat' });
  return onPacket.apply(this, arguments);
};

let main = null; // the main namespace object
const namespaces = {}; // name -> namespace object
const replies = {}; // event name -> args to answer its callback with

function hook(ns, name) {
  namespaces[name] = ns;
  const emit = ns.$emit;
  ns.$emit = function (event, ...rest) {
    let callback = null;
    if (rest.length && typeof rest[rest.length - 1] === 'function') callback = rest.pop();
    switch (event) {
      case 'connect':
        report({ ev: 'connect', ns: name });
        break;
      case 'disconnect':
        report({ ev: 'disconnect', ns: name, reason: rest[0] === undefined ? null : String(rest[0]) });
        break;
      case 'connect_failed':
        report({ ev: 'connect_failed', ns: name, reason: rest[0] === undefined ? null : String(rest[0]) });
        break;
      case 'error':
        report({ ev: 'error', ns: name, reason: rest[0] === undefined ? null : String(rest[0]) });
        break;
      case 'message':
        report({ ev: 'message', ns: name, data: rest[0] === undefined ? null : rest[0] });
        break;
      case 'connecting': case 'reconnecting': case 'reconnect': case 'reconnect_failed': case 'connect_timeout':
        report({ ev: event, ns: name });
        break;
      default:
        report({ ev: 'event', ns: name, name: event, args: rest, has_callback: callback !== null });
        if (callback && replies[event]) callback.apply(null, replies[event]);
    }
    return emit.apply(this, arguments);
  };
  return ns;
}

function nsObject(name) {
  const ns = namespaces[name || ''];
  if (!ns) throw new Error('namespace not opened: ' + name);
  return ns;
}

const commands = {
  connect(cmd) {
    const options = {
      transports: [cmd.transport],
      'force new connection': true,
      reconnect: false,
      'try multiple transports': false,
      'connect timeout': 5000,
    };
    if (cmd.query) options.query = cmd.query;
    if (cmd.resource) options.resource = cmd.resource;
    main = hook(io.connect(cmd.url, options), '');
  },
  of(cmd) {
    hook(main.socket.of(cmd.ns), cmd.ns);
  },
  emit(cmd) {
    const args = [cmd.name].concat(cmd.args || []);
    if (cmd.ack !== undefined) {
      args.push(function () {
        report({ ev: 'ack', tag: cmd.ack, ns: cmd.ns || '', args: Array.prototype.slice.call(arguments) });
      });
    }
    const ns = nsObject(cmd.ns);
    ns.emit.apply(ns, args);
  },
  send(cmd) {
    const ns = nsObject(cmd.ns);
    if (cmd.ack !== undefined) {
      ns.send(cmd.data, () => report({ ev: 'ack', tag: cmd.ack, ns: cmd.ns || '', args: [] }));
    } else {
      ns.send(cmd.data);
    }
  },
  json(cmd) {
    nsObject(cmd.ns).json.send(cmd.data);
  },
  reply(cmd) {
    replies[cmd.name] = cmd.args || [];
  },
  disconnect(cmd) {
    nsObject(cmd.ns).disconnect();
  },
  exit() {
    process.exit(0);
  },
};

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  try {
    const cmd = JSON.parse(line);
    const run = commands[cmd.op];
    if (!run) throw new Error('unknown op ' + cmd.op);
    run(cmd);
  } catch (err) {
    report({ ev: 'exception', message: String(err && err.stack || err) });
  }
});
lines.on('close', () => process.exit(0));
report({ ev: 'ready' });
