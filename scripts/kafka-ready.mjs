// Exits 0 when the broker at argv[2] answers a metadata request naming at
// least one broker and a controller, 1 otherwise. Used by scripts/infra.sh to
// wait for Kafka to be really up, not just bound.
//
// It speaks the protocol itself (Metadata v1, no topics) with node:net, so it
// needs no node_modules: `infra.sh up` runs before the first npm install on a
// fresh clone.
import { connect } from 'node:net';

const [host, port] = (process.argv[2] ?? '127.0.0.1:9092').split(':');
const CLIENT_ID = Buffer.from('tasklog-infra-probe');
const CORRELATION_ID = 7;

function metadataRequest() {
  const body = Buffer.alloc(2 + 2 + 4 + 2 + CLIENT_ID.length + 4);
  let at = body.writeInt16BE(3, 0); // api key: Metadata
  at = body.writeInt16BE(1, at); // version 1
  at = body.writeInt32BE(CORRELATION_ID, at);
  at = body.writeInt16BE(CLIENT_ID.length, at);
  at += CLIENT_ID.copy(body, at);
  body.writeInt32BE(0, at); // topics: none (null would mean all)
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** Broker count and controller id of a Metadata v1 response (after its size prefix). */
function parse(response) {
  let at = 0;
  if (response.readInt32BE(at) !== CORRELATION_ID) throw new Error('unexpected correlation id');
  at += 4;
  const brokers = response.readInt32BE(at);
  at += 4;
  for (let i = 0; i < brokers; i++) {
    at += 4; // node id
    at += 2 + response.readInt16BE(at); // host
    at += 4; // port
    const rack = response.readInt16BE(at);
    at += 2 + Math.max(rack, 0);
  }
  return { brokers, controller: response.readInt32BE(at) };
}

const socket = connect({ host, port: Number(port) });
const fail = () => {
  socket.destroy();
  process.exit(1);
};
const timer = setTimeout(fail, 3000);
let received = Buffer.alloc(0);
socket.on('connect', () => socket.write(metadataRequest()));
socket.on('data', (chunk) => {
  received = Buffer.concat([received, chunk]);
  if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
  clearTimeout(timer);
  try {
    const { brokers, controller } = parse(received.subarray(4));
    socket.destroy();
    process.exit(brokers > 0 && controller >= 0 ? 0 : 1);
  } catch {
    fail();
  }
});
socket.on('error', fail);
socket.on('close', fail);
