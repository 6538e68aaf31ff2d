"""The real python-socketio client through the `conformance` scenarios.

Usage: scenarios.py URL MODE, MODE one of polling, websocket or upgrade
(polling, then upgraded to websocket). Prints one JSON line per check,
`{"check": NAME, "value": WHAT_THE_CLIENT_SAW}`, for the caller to assert
on; a wait that times out or a connection that fails ends the script with
a non-zero status and a message on stderr saying which step it was.
"""

import json
import sys
import threading

import socketio

url, mode = sys.argv[1], sys.argv[2]
TRANSPORTS = {
    "polling": ["polling"],
    "websocket": ["websocket"],
    "upgrade": ["polling", "websocket"],
}[mode]
TIMEOUT = 10
clients = []


def fail(message):
    print(f"{mode}: {message}", file=sys.stderr, flush=True)
    for client in clients:
        if client.connected:
            client.disconnect()
    sys.exit(1)


def check(name, value):
    print(json.dumps({"check": name, "value": value}), flush=True)


def jsonable(value):
    """Bytes as `{"bytes": [...]}`, tuples as lists, the rest as is."""
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": list(value)}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


class Inbox:
    """Events of one name on one client and namespace, awaited in order."""

    def __init__(self, client, event, namespace="/"):
        self.items = []
        self.cond = threading.Condition()
        self.event = event
        client.on(event, self.push, namespace=namespace)

    def push(self, *args):
        with self.cond:
            self.items.append(jsonable(list(args)))
            self.cond.notify_all()

    def next(self, what):
        with self.cond:
            if not self.cond.wait_for(lambda: self.items, TIMEOUT):
                fail(f"no `{self.event}` event within {TIMEOUT} s ({what})")
            return self.items.pop(0)


def new_client():
    client = socketio.Client(reconnection=False)
    clients.append(client)
    return client


def connect(client, what, **kwargs):
    try:
        client.connect(url, transports=TRANSPORTS, wait_timeout=TIMEOUT, **kwargs)
    except socketio.exceptions.ConnectionError as error:
        fail(f"connecting {what}: {error}")


def call(client, event, data, what, namespace="/"):
    try:
        return jsonable(client.call(event, data, namespace=namespace, timeout=TIMEOUT))
    except socketio.exceptions.TimeoutError:
        fail(f"no ack for `{event}` within {TIMEOUT} s ({what})")


# --- One client on `/` and on `/chat` (with an auth payload). -------------
a = new_client()
a_echo = Inbox(a, "echo")
a_answer = Inbox(a, "answer")
a_blob = Inbox(a, "blob")
a_room = Inbox(a, "room_msg")
a_broadcast = Inbox(a, "broadcast")
a_chat_broadcast = Inbox(a, "broadcast", namespace="/chat")
questions = []


@a.on("question")
def on_question(*args):
    questions.append(jsonable(list(args)))
    return "because"


connect(a, "client A to / and /chat", namespaces=["/", "/chat"], auth={"token": "abc", "n": 1})
check("transport", a.transport())

# Events with acks, client to server: the ack, then the emitted echo.
echo_ack = call(a, "echo", ("hi", 1, {"x": [True], "b": None}), "echo")
check("echo_ack", echo_ack)
check("echo_event", a_echo.next("echo"))
check("echo_key_order", list(echo_ack[2]))
# Keyword and positional binding.
check("sum_positional", call(a, "sum", (2, 3), "sum(2, 3)"))
check("sum_keyword", call(a, "sum", {"a": 2, "b": 3}, "sum({a: 2, b: 3})"))
# Server to client: `ask` sends `question`, acked by on_question.
a.emit("ask")
check("answer", a_answer.next("ask"))
check("question", questions)
# Binary: reversed bytes in the ack, the bytes back as an event.
check("blob_ack", call(a, "blob", {"name": "b", "data": b"\x01\x02\x03\xff"}, "blob"))
check("blob_event", a_blob.next("blob"))
# The namespace with auth.
whoami = call(a, "whoami", None, "whoami on /chat", namespace="/chat")
check("chat_whoami", {"endpoint": whoami["endpoint"], "query": whoami["query"]})
check("chat_sum", call(a, "sum", (4, 5), "sum on /chat", namespace="/chat"))

# --- Rooms and broadcasts, with a second client. --------------------------
b = new_client()
b_room = Inbox(b, "room_msg")
b_broadcast = Inbox(b, "broadcast")
b_chat_broadcast = Inbox(b, "broadcast", namespace="/chat")
connect(b, "client B to / and /chat", namespaces=["/", "/chat"])

check("b_join", call(b, "join", "r", "B joins r"))
# A is not in `r`: B alone gets A's message. A's own broadcast comes
# after any room message the server would have sent A, so A's inbox is
# settled once the broadcast is in.
a.emit("to_room", ("r", {"from": "a"}))
check("b_room_from_a", b_room.next("to_room from A"))
a.emit("broadcast", "one")
check("a_broadcast", a_broadcast.next("broadcast from A"))
check("b_broadcast", b_broadcast.next("broadcast from A"))
check("a_room_while_outside", list(a_room.items))
# Now both are members: both get B's message, the sender included.
call(a, "join", "r", "A joins r")
b.emit("to_room", ("r", "both"))
check("a_room_from_b", a_room.next("to_room from B"))
check("b_room_from_b", b_room.next("to_room from B"))
# A broadcast on /chat stays on /chat.
b.emit("broadcast", "chat only", namespace="/chat")
check("a_chat_broadcast", a_chat_broadcast.next("broadcast on /chat"))
check("b_chat_broadcast", b_chat_broadcast.next("broadcast on /chat"))
a.emit("broadcast", "two")
check("a_broadcast_after_chat", a_broadcast.next("second broadcast from A"))
b_broadcast.next("second broadcast from A")

# --- A refused namespace. ------------------------------------------------
c = new_client()
refusals = []
refused = threading.Event()


@c.on("connect_error", namespace="/reject")
def on_reject(data):
    refusals.append(jsonable(data))
    refused.set()


try:
    c.connect(url, transports=TRANSPORTS, namespaces=["/reject"], wait_timeout=TIMEOUT)
    fail("/reject was accepted")
except socketio.exceptions.ConnectionError as error:
    if not refused.wait(TIMEOUT):
        fail(f"no connect_error on /reject within {TIMEOUT} s ({error})")
check("reject_connect_error", refusals)
check("reject_connected", c.connected)
# The other clients go on.
check("after_reject", call(a, "sum", (1, 1), "sum after /reject"))

for client in clients:
    if client.connected:
        client.disconnect()
check("done", True)
