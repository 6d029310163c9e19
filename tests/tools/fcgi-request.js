// One FastCGI request straight to the service's socket, without nginx (which hides what the
// service sent, e.g. a body on HEAD): writes the raw CGI answer (head and body, as the
// service wrote them) to standard output, and exits 0 once the request ends.
//   node fcgi-request.js SOCKET METHOD URI
// Exits 1 on a connection error, or after 10 s without the end of the request.
"use strict";
const net = require("net");

const [socketPath, method, uri] = process.argv.slice(2);
if (!socketPath || !method || !uri) {
    process.stderr.write("usage: node fcgi-request.js SOCKET METHOD URI\n");
    process.exit(2);
}

const BEGIN_REQUEST = 1, END_REQUEST = 3, PARAMS = 4, STDIN = 5, STDOUT = 6, STDERR = 7;
const ID = 1;

function record(type, content) {
    const head = Buffer.alloc(8);
    head.writeUInt8(1, 0); // version
    head.writeUInt8(type, 1);
    head.writeUInt16BE(ID, 2);
    head.writeUInt16BE(content.length, 4);
    return Buffer.concat([head, content]);
}

function length(n) {
    if (n < 128)
        return Buffer.from([n]);
    const b = Buffer.alloc(4);
    b.writeUInt32BE((n | 0x80000000) >>> 0, 0);
    return b;
}

function pairs(params) {
    return Buffer.concat(Object.entries(params).map(([k, v]) => {
        const name = Buffer.from(k), value = Buffer.from(v);
        return Buffer.concat([length(name.length), length(value.length), name, value]);
    }));
}

const q = uri.indexOf("?");
const params = pairs({
    REQUEST_METHOD: method,
    REQUEST_URI: uri,
    DOCUMENT_URI: q < 0 ? uri : uri.slice(0, q),
    QUERY_STRING: q < 0 ? "" : uri.slice(q + 1),
    SERVER_PROTOCOL: "HTTP/1.1",
    REQUEST_ID: "fcgi-request",
});
const begin = Buffer.alloc(8);
begin.writeUInt16BE(1, 0); // the responder role; flags 0: the service closes when done

const timer = setTimeout(() => {
    process.stderr.write("no end of request within 10 s\n");
    process.exit(1);
}, 10000);
const sock = net.createConnection(socketPath, () => {
    sock.write(Buffer.concat([record(BEGIN_REQUEST, begin), record(PARAMS, params),
                              record(PARAMS, Buffer.alloc(0)), record(STDIN, Buffer.alloc(0))]));
});
let buf = Buffer.alloc(0);
const out = [];
sock.on("data", (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 8) {
        const type = buf.readUInt8(1), len = buf.readUInt16BE(4), pad = buf.readUInt8(6);
        if (buf.length < 8 + len + pad)
            return;
        const content = buf.subarray(8, 8 + len);
        buf = buf.subarray(8 + len + pad);
        if (type === STDOUT)
            out.push(content);
        else if (type === STDERR)
            process.stderr.write(content);
        else if (type === END_REQUEST) {
            clearTimeout(timer);
            process.stdout.write(Buffer.concat(out), () => process.exit(0));
            sock.destroy();
            return;
        }
    }
});
sock.on("error", (e) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
});
