// The chat example's client in node, typed by the event maps generated
// from the server's handler (index.d.ts): a misspelt event, a wrong
// argument or a wrong ack breaks `tsc`, not the chat.
//
//   node dist/chat.js http://127.0.0.1:8001 alice
//
// Joins the room as the nickname, says each line read from stdin, and
// prints what the room says as one JSON object a line. Exits 1 when the
// nickname is refused.

import { createInterface } from "node:readline";
import { io, Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "./index";

function print(value: object): void {
  process.stdout.write(JSON.stringify(value) + "\n");
}

async function main(): Promise<void> {
  const [url, nick] = process.argv.slice(2);
  if (!url || nick === undefined) {
    process.stderr.write("usage: node dist/chat.js URL NICK\n");
    process.exit(2);
  }
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url);

  socket.on("joined", (who, people) => print({ event: "joined", nick: who, people }));
  socket.on("left", (who, people) => print({ event: "left", nick: who, people }));
  socket.on("said", (who, text) => print({ event: "said", nick: who, text }));

  // `join` acks with the nickname taken, or "" when refused.
  const taken: string = await socket.emitWithAck("join", nick);
  print({ event: "join", taken });
  if (taken === "") {
    socket.disconnect();
    process.exit(1);
  }

  const lines = createInterface({ input: process.stdin });
  // The keyword form: one object naming the handler's parameters.
  lines.on("line", (text) => socket.emit("say", { text }));
  lines.on("close", () => socket.disconnect());
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
