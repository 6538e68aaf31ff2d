// The command/report protocol of the modern test clients (socket.io-client
// 4.x and 2.x), shared by the node driver (modern-driver.js) and the browser
// page (browser.js modern). Buffers cross the JSON lines as
// {"$bytes": "<hex>"} both ways.
(function (exports) {
  'use strict';

  // ioFor(version) gives the client library; fromHex builds the platform's
  // bytes; parserFor(name) gives a packet parser (`msgpack`) where the
  // platform has one.
  exports.makeModernClient = function (ioFor, fromHex, report, parserFor) {
    // JSON lines cannot carry bytes: mark them.
    function toHex(value) {
      const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      let hex = '';
      for (const byte of bytes) hex += (byte < 16 ? '0' : '') + byte.toString(16);
      return hex;
    }

    function toWire(value) {
      if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return { $bytes: toHex(value) };
      if (Array.isArray(value)) return value.map(toWire);
      if (value && typeof value === 'object') {
        const out = {};
        for (const key of Object.keys(value)) out[key] = toWire(value[key]);
        return out;
      }
      return value;
    }

    function fromWire(value) {
      if (Array.isArray(value)) return value.map(fromWire);
      if (value && typeof value === 'object') {
        if (typeof value.$bytes === 'string' && Object.keys(value).length === 1) return fromHex(value.$bytes);
        const out = {};
        for (const key of Object.keys(value)) out[key] = fromWire(value[key]);
        return out;
      }
      return value;
    }

    let io = null;
    let version = 4;
    let manager = null;
    const sockets = {}; // namespace ('' is the main one) -> socket
    const replies = {}; // event name -> args to answer its callback with

    function nsName(ns) {
      return ns ? ns : '/';
    }

    function transportName() {
      return manager && manager.engine && manager.engine.transport ? manager.engine.transport.name : null;
    }

    // The Engine.IO session id: namespaces multiplexed on one connection share it.
    function engineId() {
      return manager && manager.engine ? manager.engine.id : null;
    }

    function hook(name, socket) {
      sockets[name] = socket;
      // `recovered`: socket.io-client 4.6+ came back under connection state recovery.
      socket.on('connect', () =>
        report({ ev: 'connect', ns: name, transport: transportName(), engine: engineId(), id: socket.id, recovered: !!socket.recovered }),
      );
      socket.on('disconnect', (reason) => report({ ev: 'disconnect', ns: name, reason: String(reason) }));
      socket.on('connect_error', (err) => report({ ev: 'connect_error', ns: name, message: String(err && err.message) }));
      // socket.io-client 2 reports a namespace refusal as an `error` event.
      if (version === 2) socket.on('error', (err) => report({ ev: 'connect_error', ns: name, message: String(err && err.message ? err.message : err) }));
      const onevent = socket.onevent;
      socket.onevent = function (packet) {
        const args = (packet.data || []).slice();
        const event = args.shift();
        const callback = packet.id != null;
        report({ ev: 'event', ns: name, name: event, args: toWire(args), has_callback: callback });
        return onevent.call(this, packet);
      };
      socket.onAny && socket.onAny(() => {});
      return socket;
    }

    function answerCallbacks(socket) {
      // Every event with a callback is answered with the configured reply.
      const onevent = socket.onevent;
      socket.onevent = function (packet) {
        const args = (packet.data || []).slice();
        const event = args[0];
        if (packet.id != null && replies[event]) {
          const ack = this.ack(packet.id);
          ack.apply(null, fromWire(replies[event]));
          packet = Object.assign({}, packet, { id: null });
        }
        return onevent.call(this, packet);
      };
    }

    function open(ns, cmd) {
      const name = ns || '';
      const opts = {};
      if (cmd.auth !== undefined) opts.auth = cmd.auth;
      if (version === 2 && cmd.query) opts.query = cmd.query;
      const socket = manager.socket(nsName(name), opts);
      // The wrapper installed last runs first: report, then answer.
      answerCallbacks(socket);
      hook(name, socket);
      if (version === 4) socket.connect();
      else socket.open();
    }

    function socketOf(ns) {
      const socket = sockets[ns || ''];
      if (!socket) throw new Error('namespace not opened: ' + ns);
      return socket;
    }

    const commands = {
      connect(cmd) {
        version = cmd.version || 4;
        io = ioFor(version);
        const transports = cmd.transport === 'websocket' ? ['websocket'] : ['polling', 'websocket'];
        const opts = {
          transports,
          upgrade: cmd.transport === 'upgrade',
          reconnection: !!cmd.reconnection,
          reconnectionDelay: 50,
          reconnectionDelayMax: 100,
          forceNew: true,
          autoConnect: false,
          timeout: 5000,
        };
        if (cmd.query) opts.query = cmd.query;
        if (cmd.parser) {
          if (!parserFor) throw new Error('no parser ' + cmd.parser + ' here');
          opts.parser = parserFor(cmd.parser);
        }
        manager = new io.Manager(cmd.url, opts);
        manager.on('open', () => {
          const engine = manager.engine;
          engine.on('upgrade', (transport) => report({ ev: 'upgrade', transport: transport.name }));
        });
        manager.on('reconnect', () => report({ ev: 'reconnect' }));
        // Heartbeats, numbered: 4.x counts the server's pings, 2.x its own.
        let pings = 0;
        manager.on('ping', () => report({ ev: 'ping', n: ++pings }));
        open(cmd.ns || '', cmd);
      },
      of(cmd) {
        open(cmd.ns, cmd);
      },
      emit(cmd) {
        const socket = socketOf(cmd.ns);
        const args = [cmd.name].concat(fromWire(cmd.args || []));
        if (cmd.ack !== undefined) {
          if (cmd.timeout !== undefined && version === 4) {
            socket.timeout(cmd.timeout).emit(...args, (err, ...answer) => {
              if (err) report({ ev: 'ack_timeout', tag: cmd.ack, ns: cmd.ns || '' });
              else report({ ev: 'ack', tag: cmd.ack, ns: cmd.ns || '', args: toWire(answer) });
            });
            return;
          }
          args.push(function () {
            report({ ev: 'ack', tag: cmd.ack, ns: cmd.ns || '', args: toWire(Array.prototype.slice.call(arguments)) });
          });
        }
        socket.emit.apply(socket, args);
      },
      emit_with_ack(cmd) {
        const socket = socketOf(cmd.ns);
        socket
          .emitWithAck(cmd.name, ...fromWire(cmd.args || []))
          .then((answer) => report({ ev: 'ack', tag: cmd.ack, ns: cmd.ns || '', args: toWire([answer]) }));
      },
      send(cmd) {
        socketOf(cmd.ns).send(cmd.data);
      },
      reply(cmd) {
        replies[cmd.name] = cmd.args || [];
      },
      disconnect(cmd) {
        socketOf(cmd.ns).disconnect();
      },
      // Drops the Engine.IO connection under the sockets, as a network fault would.
      drop() {
        manager.engine.close();
      },
      // Connects every socket again (after `drop` without `reconnection`):
      // a 4.6+ client then offers its private session id and last offset.
      // With `url`, to that server instead (another of a cluster).
      reconnect(cmd) {
        if (cmd.url) manager.uri = cmd.url;
        for (const name of Object.keys(sockets)) sockets[name].connect();
      },
      // Reports (and with `pid` / `offset` given, first overrides) what a
      // socket.io-client 4.6+ would offer to recover its session.
      recovery_state(cmd) {
        const socket = socketOf(cmd.ns);
        if (cmd.pid !== undefined) socket._pid = cmd.pid;
        if (cmd.offset !== undefined) socket._lastOffset = cmd.offset;
        report({ ev: 'recovery_state', ns: cmd.ns || '', pid: socket._pid || null, offset: socket._lastOffset || null });
      },
      exit() {
        report({ ev: 'exit' });
      },
    };

    return function handle(cmd) {
      try {
        const run = commands[cmd.op];
        if (!run) throw new Error('unknown op ' + cmd.op);
        run(cmd);
      } catch (err) {
        report({ ev: 'exception', message: String((err && err.stack) || err) });
      }
    };
  };
})(typeof module !== 'undefined' ? module.exports : (window.modernCore = {}));
