// An echo client on Node's ws library, for wsspec's --client-cmd:
//
//     node client.js {url}
//
// Connects to the URL, echoes every text and binary message as it came until the
// connection closes, and leaves every rule to ws. Exits 0 after a close, 1 when ws
// reports an error, and in any case within IDLE_MS of the last thing that happened.
"use strict";

const WebSocket = require("ws");

const MAX_PAYLOAD = 64 * 1024 * 1024; // the suite's largest message is 16 MiB
const IDLE_MS = 60000;

const url = process.argv[2];
if (process.argv.length !== 3 || !/^wss?:\/\//.test(url || "")) {
  console.error("usage: node client.js ws://HOST:PORT/PATH");
  process.exit(2);
}

let idle = null;
function watchdog() {
  clearTimeout(idle);
  idle = setTimeout(() => {
    console.error(`ws client: nothing for ${IDLE_MS} ms, giving up`);
    process.exit(1);
  }, IDLE_MS);
}
watchdog();

let failed = false;
const ws = new WebSocket(url, { maxPayload: MAX_PAYLOAD, perMessageDeflate: false,
                                handshakeTimeout: 10000 });
ws.on("message", (data, isBinary) => {
  watchdog();
  ws.send(data, { binary: isBinary });
});
ws.on("ping", watchdog);
ws.on("error", (err) => {
  failed = true;
  console.error(`ws client: ${err.message}`);
});
ws.on("close", (code, reason) => {
  console.error(`ws client: closed ${code} ${reason.toString()}`);
  clearTimeout(idle);
  process.exitCode = failed ? 1 : 0;
});
