// The command/report protocol of the test clients, shared by the node
// driver (driver.js) and the browser page (browser.js): commands drive one
// socket.io 0.9 client, every observation is reported.
(function (exports) {
  'use strict';

  exports.makeClient = function (io, report) {
    // Count server heartbeats: the transport answers them itself, so hook it.
    const onPacket = io.Transport.prototype.onPacket;
    io.Transport.prototype.onPacket = function (packet) {
      if (packet && packet.type === 'heartbeat') report({ ev: 'heartbeat' });
      return onPacket.apply(this, arguments);
    };

    // Packets of the watched types are reported as the server sent them:
    // the 0.9 client keeps only the error reasons it knows (the server's
    // text becomes '') and silently drops acks it did not ask for.
    const watched = new Set();
    const decodePacket = io.parser.decodePacket;
    io.parser.decodePacket = function (data) {
      const packet = decodePacket.apply(this, arguments);
      if (packet && watched.has(packet.type)) report({ ev: 'packet', type: packet.type, ns: packet.endpoint, raw: data });
      return packet;
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
            report({ ev: 'connect', ns: name, transport: ns.socket && ns.socket.transport ? ns.socket.transport.name : null });
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
          // The client merges this option into its default list index by
          // index, so a one-element list only replaces the first entry:
          // repeat the transport to really restrict the choice to it.
          transports: [cmd.transport, cmd.transport, cmd.transport, cmd.transport, cmd.transport],
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
      watch(cmd) {
        for (const type of cmd.types || []) watched.add(type);
      },
      reply(cmd) {
        replies[cmd.name] = cmd.args || [];
      },
      disconnect(cmd) {
        // While a POST is in flight the 0.9 client buffers packets, and a
        // disconnect then drops the buffered `0::`. A person never clicks
        // that fast: wait for the POST to finish first.
        const ns = nsObject(cmd.ns);
        const socket = main.socket;
        const started = Date.now();
        (function go() {
          if (socket.doBuffer && Date.now() - started < 5000) return setTimeout(go, 5);
          ns.disconnect();
        })();
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
})(typeof module !== 'undefined' ? module.exports : (window.clientCore = {}));
