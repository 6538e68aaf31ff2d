// Benchmark peer: socket.io 4 serving the bench workload on 127.0.0.1:$PORT.
// See ../README.md for the contract.
'use strict';

const http = require('http');
const { Server } = require('socket.io');

const port = parseInt(process.env.PORT, 10);
if (!(port > 0 && port < 65536)) {
  console.error('PORT must be set to a TCP port number');
  process.exit(2);
}

const httpServer = http.createServer();

const io = new Server(httpServer, {
  perMessageDeflate: false,
  httpCompression: false,
  maxHttpBufferSize: 1e6,
  // The socket.io 4 defaults, stated: ping 25 s / timeout 20 s.
  // PING_INTERVAL_MS: the idle scenario's short-heartbeat run.
  pingInterval: parseInt(process.env.PING_INTERVAL_MS || '25000', 10),
  pingTimeout: 20000,
  // Every transport a plain HTTP server offers (webtransport needs HTTP/3).
  transports: ['polling', 'websocket'],
  cors: { origin: '*' },
  // PARSER=msgpack: socket.io-msgpack-parser packets instead of JSON.
  ...(process.env.PARSER === 'msgpack' ? { parser: require('socket.io-msgpack-parser') } : {}),
});

// A cluster through Redis when REDIS_URL is set (bench/cluster.sh): the
// classic adapter with node-redis, as the adapter's documentation sets it up.
async function useRedis(url) {
  const { createClient } = require('redis');
  const { createAdapter } = require('@socket.io/redis-adapter');
  const pubClient = createClient({ url });
  const subClient = pubClient.duplicate();
  pubClient.on('error', (err) => console.error('redis:', err.message));
  subClient.on('error', (err) => console.error('redis:', err.message));
  await Promise.all([pubClient.connect(), subClient.connect()]);
  io.adapter(createAdapter(pubClient, subClient));
}

io.on('connection', (socket) => {
  socket.on('echo', (...args) => {
    if (args.length && typeof args[args.length - 1] === 'function') {
      const ack = args.pop();
      ack(...args);
    }
  });

  socket.on('join', (room, ack) => {
    if (typeof room === 'function') { ack = room; room = undefined; }
    socket.join(String(room));
    if (typeof ack === 'function') ack(true);
  });

  socket.on('publish', (room, payload, ack) => {
    if (typeof payload === 'function') { ack = payload; payload = undefined; }
    if (typeof room === 'function') { ack = room; room = undefined; }
    io.to(String(room)).emit('news', payload);
    if (typeof ack === 'function') ack(true);
  });
});

const listen = () => httpServer.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening on 127.0.0.1:${port}\n`);
});

if (process.env.REDIS_URL) {
  useRedis(process.env.REDIS_URL).then(listen, (err) => {
    console.error(`cannot use Redis at ${process.env.REDIS_URL}: ${err.message}`);
    process.exit(1);
  });
} else {
  listen();
}

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
