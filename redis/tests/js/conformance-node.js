// node's socket.io 4 as a member of the cluster that shared/conformance-
// cluster.md describes: the events of its sections 3 and 4 (and the extras
// of our `conformance` example: broadcast_except, local_broadcast,
// volatile_broadcast, all_rooms) on `/` and `/chat`, over
// @socket.io/redis-adapter 8 in either of its forms, or
// @socket.io/redis-streams-adapter 0.3 (REDIS_KEY its stream name and channel
// prefix). The mixed-cluster tests run it beside our servers; the same
// environment as the example:
//   PORT (0: any), REDIS_URL, ADAPTER (redis | redis-sharded | redis-streams), REDIS_KEY,
//   REQUESTS_TIMEOUT_MS, NODE_NAME, and RECOVERY_MS (connection state recovery
//   with that maximum disconnection duration, middlewares skipped; section 5).
// Prints "listening on 127.0.0.1:PORT" once subscribed to Redis.
"use strict";

const { createServer } = require("http");
const { Server } = require("socket.io");
const { createAdapter, createShardedAdapter } = require("@socket.io/redis-adapter");
const { createAdapter: createStreamsAdapter } = require("@socket.io/redis-streams-adapter");
const { createClient, createCluster } = require("redis");

const env = process.env;
const key = env.REDIS_KEY || "socket.io";
const requestsTimeout = Number(env.REQUESTS_TIMEOUT_MS || 5000);
const form = env.ADAPTER || "redis";

// A Redis Cluster node says so in INFO; then both clients are cluster clients.
async function redisClients(url) {
  const probe = createClient({ url });
  await probe.connect();
  const clustered = /cluster_enabled:1/.test(await probe.info("cluster"));
  await probe.quit();
  const client = clustered ? createCluster({ rootNodes: [{ url }] }) : createClient({ url });
  const subscriber = client.duplicate();
  await Promise.all([client.connect(), subscriber.connect()]);
  return { client, subscriber, clustered };
}

// Counts the connections whose last command was XREAD.
async function xreaders(client) {
  const list = await client.sendCommand(["CLIENT", "LIST"]);
  return list.split("\n").filter((line) => / cmd=xread /.test(line)).length;
}

async function streamsReady(client, key, io) {
  for (const name of ["/", "/chat"]) {
    const channel = `${key}#${name}#${io.of(name).adapter.uid}#`;
    for (;;) {
      const reply = await client.sendCommand(["PUBSUB", "NUMSUB", channel]);
      if (Number(reply[1]) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  for (;;) {
    if ((await xreaders(client)) > xreadersBefore) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let xreadersBefore = 0;

function sortedById(sockets) {
  return sockets.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function failed(error) {
  return `the cluster did not answer: ${error.message}`;
}

async function main() {
  const { client, subscriber, clustered } = await redisClients(env.REDIS_URL);
  let adapter;
  if (form === "redis") {
    adapter = createAdapter(client, subscriber, { key, requestsTimeout });
  } else if (form === "redis-sharded") {
    adapter = createShardedAdapter(client, subscriber, { channelPrefix: key });
  } else if (form === "redis-streams") {
    xreadersBefore = await xreaders(client);
    adapter = createStreamsAdapter(client, { streamName: key, channelPrefix: key });
  } else {
    throw new Error(`ADAPTER=${form} is not supported here`);
  }
  const httpServer = createServer();
  const options = { adapter, pingInterval: 1000, pingTimeout: 5000 };
  if (env.RECOVERY_MS) {
    options.connectionStateRecovery = { maxDisconnectionDuration: Number(env.RECOVERY_MS), skipMiddlewares: true };
  }
  const io = new Server(httpServer, options);
  let nodeName = env.NODE_NAME;

  // Another server's `ping X`: answered with this server's name, and passed
  // on to this server's own sockets of `/`.
  io.on("ping", (data, answer) => {
    io.local.emit("server_pinged", data);
    if (typeof answer === "function") answer(nodeName);
  });

  const onConnection = (nsp) => (socket) => {
    // A recovered socket keeps the data of the server it first met.
    if (!socket.recovered) socket.data.server = nodeName;
    const ack = (fn, ...rest) => (typeof fn === "function" ? fn(...rest) : undefined);
    socket.on("whoami", (cb) =>
      ack(cb, { sid: socket.id, endpoint: nsp.name === "/" ? "" : nsp.name, recovered: socket.recovered }),
    );
    socket.on("echo", (...args) => {
      const cb = typeof args[args.length - 1] === "function" ? args.pop() : undefined;
      socket.emit("echo", ...args);
      ack(cb, ...args);
    });
    socket.on("server_name", (cb) => ack(cb, nodeName));
    socket.on("join", (room, cb) => {
      socket.join(room);
      ack(cb);
    });
    socket.on("leave", (room, cb) => {
      socket.leave(room);
      ack(cb);
    });
    socket.on("to_room", (room, data) => nsp.to(room).emit("room_msg", room, data));
    socket.on("broadcast", (data) => nsp.emit("broadcast", data));
    socket.on("broadcast_except", (except, data) => nsp.except(except).emit("broadcast", data));
    socket.on("local_broadcast", (data) => nsp.local.emit("broadcast", data));
    socket.on("volatile_broadcast", (data) => nsp.volatile.emit("broadcast", data));
    socket.on("cluster_count", async (cb) => {
      try {
        ack(cb, await nsp.adapter.serverCount());
      } catch (error) {
        ack(cb, failed(error));
      }
    });
    socket.on("all_rooms", async (cb) => {
      try {
        ack(cb, [...(await nsp.adapter.allRooms())].sort());
      } catch (error) {
        ack(cb, failed(error));
      }
    });
    socket.on("fetch_room", async (room, cb) => {
      try {
        const sockets = await nsp.in(room).fetchSockets();
        ack(cb, sortedById(sockets.map((s) => ({ id: s.id, rooms: [...s.rooms].sort(), server: s.data.server }))));
      } catch (error) {
        ack(cb, failed(error));
      }
    });
    socket.on("join_all", (room, to, cb) => {
      nsp.in(room).socketsJoin(to);
      ack(cb);
    });
    socket.on("leave_all", (room, from, cb) => {
      nsp.in(room).socketsLeave(from);
      ack(cb);
    });
    socket.on("disconnect_room", (room, cb) => {
      nsp.in(room).disconnectSockets(true);
      ack(cb);
    });
    socket.on("server_ping", (data, cb) => {
      // The callback form answers with what came in time (the adapter's
      // requestsTimeout), as the contract asks.
      io.serverSideEmit("ping", data, (_error, names) => ack(cb, (names || []).sort()));
    });
    socket.on("ask_room", (room, cb) => {
      nsp
        .in(room)
        .timeout(requestsTimeout)
        .emit("question", "how?", (_error, answers) => {
          const sorted = (answers || []).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
          ack(cb, sorted);
        });
    });
  };
  for (const name of ["/", "/chat"]) {
    const nsp = io.of(name);
    nsp.on("connection", onConnection(nsp));
  }

  httpServer.listen(Number(env.PORT || 0), "127.0.0.1", async () => {
    const { port } = httpServer.address();
    nodeName = nodeName || `127.0.0.1:${port}`;
    // The adapter subscribes without telling when it is done.
    if (form === "redis") {
      // One round trip on the subscriber connection: its SUBSCRIBEs went first.
      await subscriber.ping();
    } else if (form === "redis-streams") {
      // Its channels counted by Redis, and its stream reader blocked in
      // XREAD (from "$": what comes after that is read).
      await streamsReady(client, key, io);
    } else {
      // Redis itself counts this server's own response channels.
      for (const name of ["/", "/chat"]) {
        const channel = `${key}#${name}#${io.of(name).adapter.uid}#`;
        const command = ["PUBSUB", "SHARDNUMSUB", channel];
        for (;;) {
          const reply = clustered ? await client.sendCommand(channel, true, command) : await client.sendCommand(command);
          if (Number(reply[1]) > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }
    console.log(`listening on 127.0.0.1:${port}`);
  });

  const stop = () => {
    io.close();
    Promise.allSettled([client.quit(), subscriber.quit()]).then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
