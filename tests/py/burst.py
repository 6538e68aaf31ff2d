"""A burst of `echo` emits from the real python-socketio client.

Usage: burst.py URL COUNT TRANSPORT (polling or websocket). Emits COUNT
`echo` events with 0..COUNT-1, collects the server's `echo` events back, and
prints one JSON line: what arrived, in arrival order, and how the client
ended. python-engineio 4 drops the connection on a polling payload of more
than 16 packets, so a server that sends more loses the burst.
"""

import json
import sys
import threading

import socketio

url, count, transport = sys.argv[1], int(sys.argv[2]), sys.argv[3]
client = socketio.Client(reconnection=False)
got = []
disconnected = []
finished = threading.Event()


@client.on("echo")
def on_echo(value):
    got.append(value)
    if len(got) == count:
        finished.set()


@client.event
def disconnect(*reason):
    disconnected.append([str(r) for r in reason])
    finished.set()


client.connect(url, transports=[transport])
for i in range(count):
    client.emit("echo", i)
complete = finished.wait(60)
# Disconnects before this point were the server's or the client's doing,
# not this script's.
dropped = list(disconnected)
if client.connected:
    client.disconnect()
print(json.dumps({"complete": complete, "got": got, "dropped": dropped}), flush=True)
