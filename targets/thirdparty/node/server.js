'use strict';
// An echo server on Node's `ws` library, for wsspec's --target-cmd:
//
//   node server.js PORT [--max-size BYTES]
//
// Every path is a WebSocket endpoint that echoes text and binary messages with
// their type; ws answers pings and the closing handshake itself, fails the
// connection on a protocol error, and closes with 1009 a message larger than
// --max-size (ws's own default, 100 MiB, when not given).

const { WebSocketServer } = require('ws');

function parseArgs(argv) {
  const options = { port: Number(argv[0]), maxPayload: undefined };
  for (let i = 1; i < argv.length; i += 1) {
    if (argv[i] === '--max-size') {
      options.maxPayload = Number(argv[i + 1]);
      i += 1;
    } else {
      throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!Number.isInteger(options.port) || options.port <= 0) {
    throw new Error('usage: node server.js PORT [--max-size BYTES]');
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: options.port,
  perMessageDeflate: false,
  ...(options.maxPayload === undefined ? {} : { maxPayload: options.maxPayload }),
});

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    ws.send(data, { binary: isBinary });
  });
  // A protocol error: ws has already sent its close frame and ends the connection.
  ws.on('error', () => {});
});

wss.on('listening', () => {
  console.log(`ws echo server listening on ws://127.0.0.1:${options.port}/`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    wss.close();
    process.exit(0);
  });
}
