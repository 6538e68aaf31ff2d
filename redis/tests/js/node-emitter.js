// node's @socket.io/redis-emitter 5 (with node-redis 4), driven by the Rust
// emitter tests. Usage: node node-emitter.js <redis port>. Prints "ready"
// once connected, then takes one JSON command per stdin line and prints
// "done" once Redis has handled its publish:
//   {"op":"emit","nsp":"/","to":[..],"except":[..],"event":"e","args":[..],"bin":[1,2]}
//     (`bin`, optional, appends a Buffer argument)
//   {"op":"join"|"leave","nsp":"/","to":[..],"except":[..],"room":"r"}
//   {"op":"disconnect","nsp":"/","to":[..],"except":[..],"close":false}
//   {"op":"serverSideEmit","nsp":"/","event":"e","args":[..]}
"use strict";

const readline = require("readline");
const { Emitter } = require("@socket.io/redis-emitter");
const { createClient } = require("redis");

async function main() {
  const client = createClient({ url: `redis://127.0.0.1:${process.argv[2]}` });
  await client.connect();
  const root = new Emitter(client);
  console.log("ready");
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const cmd = JSON.parse(line);
    const emitter = root.of(cmd.nsp || "/");
    let target = emitter;
    for (const room of cmd.to || []) target = target.to(room);
    for (const room of cmd.except || []) target = target.except(room);
    const args = cmd.args || [];
    if (cmd.bin) args.push(Buffer.from(cmd.bin));
    switch (cmd.op) {
      case "emit": target.emit(cmd.event, ...args); break;
      case "join": target.socketsJoin(cmd.room); break;
      case "leave": target.socketsLeave(cmd.room); break;
      case "disconnect": target.disconnectSockets(cmd.close); break;
      case "serverSideEmit": emitter.serverSideEmit(cmd.event, ...args); break;
      default: throw new Error(`unknown command ${line}`);
    }
    // One connection answers in order: the publish is done.
    await client.ping();
    console.log("done");
  }
  await client.quit();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
