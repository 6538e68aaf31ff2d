// A node socket.io 4 server with @socket.io/redis-streams-adapter 0.3 and
// connection state recovery on, driven by the Rust mixed-cluster test.
// Usage: node node-streams.js <redis port>. Prints "listening <port>" once
// its channels are subscribed and its stream reader is blocked in XREAD,
// then takes one command per stdin line and answers with one line:
//   to <room> <event> <json arg>   io.to(room).emit(event, arg); "emitted"
//   count                          "count <n>"
//   fetch                          "fetched <json sorted ids>"
//   ask <text>                     "answers <json>" from serverSideEmit("ping", text, cb)
//   persist <json session>         adapter.persistSession(session), once stored: "persisted"
//   restore <pid> <offset>         "restored <json session or null>" from adapter.restoreSession
"use strict";

const { createServer } = require("http");
const readline = require("readline");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-streams-adapter");
const { createClient } = require("redis");

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function xreaders(client) {
  const list = await client.sendCommand(["CLIENT", "LIST"]);
  return list.split("\n").filter((line) => / cmd=xread /.test(line)).length;
}

async function main() {
  const [port] = process.argv.slice(2);
  const client = createClient({ url: `redis://127.0.0.1:${port}` });
  await client.connect();
  const before = await xreaders(client);
  const io = new Server(createServer(), {
    adapter: createAdapter(client),
    connectionStateRecovery: { maxDisconnectionDuration: 60000 },
  });
  io.on("ping", (text, answer) => {
    if (typeof answer === "function") answer(`node pong ${text}`);
  });
  io.on("connection", (socket) => {
    socket.on("join", (room, ack) => {
      socket.join(room);
      if (typeof ack === "function") ack();
    });
  });
  const adapter = io.of("/").adapter;
  const httpServer = io.httpServer;
  httpServer.listen(0, "127.0.0.1", async () => {
    const channel = `socket.io#/#${adapter.uid}#`;
    for (;;) {
      const reply = await client.sendCommand(["PUBSUB", "NUMSUB", channel]);
      if (Number(reply[1]) > 0) break;
      await sleep(20);
    }
    while ((await xreaders(client)) <= before) await sleep(20);
    console.log(`listening ${httpServer.address().port}`);
  });

  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [command, ...rest] = line.split(" ");
    if (command === "to") {
      const [room, event, ...arg] = rest;
      io.to(room).emit(event, JSON.parse(arg.join(" ")));
      console.log("emitted");
    } else if (command === "count") {
      console.log(`count ${await adapter.serverCount()}`);
    } else if (command === "fetch") {
      const sockets = await io.fetchSockets();
      console.log(`fetched ${JSON.stringify(sockets.map((s) => s.id).sort())}`);
    } else if (command === "ask") {
      io.serverSideEmit("ping", rest.join(" "), (_error, answers) => {
        console.log(`answers ${JSON.stringify(answers || [])}`);
      });
    } else if (command === "persist") {
      const session = JSON.parse(rest.join(" "));
      adapter.persistSession(session);
      // persistSession does not wait for Redis: wait for the key.
      while (!(await client.exists(`sio:session:${session.pid}`))) await sleep(10);
      console.log("persisted");
    } else if (command === "restore") {
      const [pid, offset] = rest;
      let session = null;
      try {
        session = await adapter.restoreSession(pid, offset);
      } catch (_error) {
        session = null;
      }
      console.log(`restored ${JSON.stringify(session)}`);
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
