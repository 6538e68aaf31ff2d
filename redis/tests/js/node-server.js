// A node socket.io 4 server in a cluster through @socket.io/redis-adapter 8,
// driven by the Rust mixed-cluster test.
// Usage: node node-server.js <redis port> [form [more ports]]; form is
// "classic" (createAdapter, the default), "sharded" (createShardedAdapter
// on a standalone Redis 7) or "sharded-cluster" (createShardedAdapter on a
// Redis Cluster: the ports are its masters'). Prints "listening <port>"
// once its subscriptions are in place, then takes one command per stdin
// line:
//   emit <event> <json args array>   io.emit(event, ...args)
//   binary <event>                   io.emit(event, Buffer [1, 2, 3])
//   fetch                            prints "fetched <json [{id, rooms}]>"
//   count                            prints "count <n>"
//   ask <event> <text>               prints "answers <json>" from serverSideEmit with ack
//   ack <event>                      prints "acked <json>": io.timeout(3000).emitWithAck(event, "q")
//   join <room>                      io.socketsJoin(room), then io.to(room).emit("in-room")
//   disconnect                       io.disconnectSockets(), prints "disconnected"
//   joinonly <room>                  io.socketsJoin(room), prints "joined"
//   to <room> <event>                io.to(room).emit(event), prints "emitted"
"use strict";

const { createServer } = require("http");
const readline = require("readline");
const { Server } = require("socket.io");
const { createAdapter, createShardedAdapter } = require("@socket.io/redis-adapter");
const { createClient, createCluster } = require("redis");

async function main() {
  const [port, form = "classic", ...others] = process.argv.slice(2);
  const pub =
    form === "sharded-cluster"
      ? createCluster({ rootNodes: [port, ...others].map((p) => ({ url: `redis://127.0.0.1:${p}` })) })
      : createClient({ url: `redis://127.0.0.1:${port}` });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const adapter = form === "classic" ? createAdapter(pub, sub, { requestsTimeout: 3000 }) : createShardedAdapter(pub, sub);
  const io = new Server(createServer(), { adapter });
  io.on("connection", (socket) => {
    socket.on("join", (room, ack) => {
      socket.join(room);
      if (typeof ack === "function") ack();
    });
  });
  io.on("ping", (text, ack) => ack(`node pong ${text}`));
  io.httpServer.listen(0, "127.0.0.1", async () => {
    if (form === "classic") {
      // The adapter subscribes asynchronously; a round trip through the
      // subscriber connection tells that its SUBSCRIBEs were processed.
      await sub.ping();
    } else {
      // The sharded one subscribes its base channel, then its response
      // channel: once a message on the latter reaches a subscriber (an
      // unknown type, ignored), both are in place.
      const main = io.of("/").adapter;
      const own = `socket.io#/#${main.uid}#`;
      while ((await pub.sPublish(own, JSON.stringify({ type: 0, data: {} }))) < 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    console.log(`listening ${io.httpServer.address().port}`);
  });

  const lines = readline.createInterface({ input: process.stdin });
  lines.on("line", async (line) => {
    const [command, ...rest] = line.split(" ");
    try {
      if (command === "emit") {
        io.emit(rest[0], ...JSON.parse(rest.slice(1).join(" ")));
        console.log("emitted");
      } else if (command === "binary") {
        io.emit(rest[0], Buffer.from([1, 2, 3]));
        console.log("emitted");
      } else if (command === "fetch") {
        const sockets = await io.fetchSockets();
        console.log(`fetched ${JSON.stringify(sockets.map((s) => ({ id: s.id, rooms: [...s.rooms] })))}`);
      } else if (command === "count") {
        console.log(`count ${await io.of("/").adapter.serverCount()}`);
      } else if (command === "ack") {
        const answers = await io.timeout(3000).emitWithAck(rest[0], "q");
        console.log(`acked ${JSON.stringify(answers.sort())}`);
      } else if (command === "join") {
        io.socketsJoin(rest[0]);
        io.to(rest[0]).emit("in-room");
        console.log("joined");
      } else if (command === "joinonly") {
        io.socketsJoin(rest[0]);
        console.log("joined");
      } else if (command === "to") {
        io.to(rest[0]).emit(rest[1]);
        console.log("emitted");
      } else if (command === "disconnect") {
        io.disconnectSockets();
        console.log("disconnected");
      } else if (command === "ask") {
        const answers = await io.serverSideEmitWithAck(rest[0], rest[1]);
        console.log(`answers ${JSON.stringify(answers)}`);
      }
    } catch (error) {
      console.log(`error ${error.message}`);
    }
  });
  lines.on("close", () => process.exit(0));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
