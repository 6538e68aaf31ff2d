// Benchmark peer: socket.io 0.9.16 (legacy protocol) serving the bench
// workload on 127.0.0.1:$PORT. See ../README.md for the contract.
'use strict';

var http = require('http');

// socket.io 0.9 predates node 7, which removed process.EventEmitter: put it
// back before loading it. Its deprecated `new Buffer` calls would print a
// warning on stderr: keep the output quiet.
process.EventEmitter = require('events').EventEmitter;
process.noDeprecation = true;

var sio = require('socket.io');

var port = parseInt(process.env.PORT, 10);
if (!(port > 0 && port < 65536)) {
  console.error('PORT must be set to a TCP port number');
  process.exit(2);
}

// listen(port) would bind every interface: hand it our own loopback server.
// Like listen(port), answer what is not socket.io with a plain page.
var server = http.createServer(function (req, res) {
  res.writeHead(200);
  res.end('Welcome to socket.io.');
});

var io = sio.listen(server, {
  // logging off: no per-message output.
  log: false,
  'log level': 0,
  // All transports of 0.9. The flash policy server (an extra listener on
  // port 10843, on every interface) stays off: flashsocket still works once
  // a Flash client has its policy, which no benchmark client needs.
  transports: ['websocket', 'flashsocket', 'htmlfile', 'xhr-polling', 'jsonp-polling'],
  'flash policy server': false,
  // The 0.9 defaults, stated: heartbeat 25 s / timeout 60 s.
  heartbeats: true,
  // PING_INTERVAL_MS: the idle scenario's short-heartbeat run (0.9 counts seconds).
  'heartbeat interval': parseInt(process.env.PING_INTERVAL_MS || '25000', 10) / 1000,
  'heartbeat timeout': 60,
  'close timeout': 60,
  // Max HTTP (polling) buffer: 1 MB.
  'destroy buffer size': 1e6
});

io.sockets.on('connection', function (socket) {
  socket.on('echo', function () {
    var args = Array.prototype.slice.call(arguments);
    if (args.length && typeof args[args.length - 1] === 'function') {
      var ack = args.pop();
      ack.apply(null, args);
    }
  });

  socket.on('join', function (room, ack) {
    if (typeof room === 'function') { ack = room; room = undefined; }
    socket.join(String(room));
    if (typeof ack === 'function') ack(true);
  });

  socket.on('publish', function (room, payload, ack) {
    if (typeof payload === 'function') { ack = payload; payload = undefined; }
    if (typeof room === 'function') { ack = room; room = undefined; }
    io.sockets.in(String(room)).emit('news', payload);
    if (typeof ack === 'function') ack(true);
  });
});

server.listen(port, '127.0.0.1', function () {
  process.stdout.write('listening on 127.0.0.1:' + port + '\n');
});

function stop() { process.exit(0); }
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
