#!/usr/bin/env python3
"""An independent TLSZMQ peer for Ironhouse's tests (npm run test:peers).

Python's ssl module (OpenSSL through CPython's own binding) with MemoryBIO, over pyzmq,
speaking TLSZMQ's framing: the client is a REQ, the server a ROUTER; a request is
[envelope...][""][tls-bytes]; every request gets exactly one reply holding all the TLS output
produced for it; the plaintext is raw (one message per exchange). Nothing here is shared with
Ironhouse's code.

  tls_zmq_peer.py server --cert C --key K [--ca CA] [--max-version 1.2|1.3]
      binds tcp://127.0.0.1:*, prints {"endpoint": address}, answers every message M with
      "py:" + M, prints one JSON line per message; exits when a client closes its session
      (close_notify), after answering with its own.
  tls_zmq_peer.py client --endpoint E --ca CA [--cert C --key K] [--max-version ...] --message M...
      sends each M, prints one JSON line per reply, then closes the TLS session.
"""
import argparse
import json
import ssl
import sys

import zmq

VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def out(**fields):
    print(json.dumps(fields), flush=True)


def drain(bio):
    data = bio.read()
    return data


def server(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.maximum_version = VERSIONS[args.max_version]
    if args.ca:
        ctx.load_verify_locations(args.ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    sock = zmq.Context.instance().socket(zmq.ROUTER)
    sock.linger = 0
    port = sock.bind_to_random_port("tcp://127.0.0.1")
    out(endpoint=f"tcp://127.0.0.1:{port}")
    sessions = {}
    done = False
    while not done:
        frames = sock.recv_multipart()
        delimiter = frames.index(b"")
        envelope, payload = frames[:delimiter], frames[delimiter + 1]
        key = envelope[-1]
        if payload[:1] == b"\x16" and payload[5:6] == b"\x01":  # a ClientHello: a fresh session
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            sessions[key] = (ctx.wrap_bio(incoming, outgoing, server_side=True), incoming, outgoing)
        tls, incoming, outgoing = sessions[key]
        incoming.write(payload)
        plaintext = b""
        try:
            if not tls.server_side or tls.version() is None:
                tls.do_handshake()
            while True:
                chunk = tls.read(65536)
                if not chunk:  # SSLObject.read() returns b"" on close_notify
                    raise ssl.SSLZeroReturnError()
                plaintext += chunk
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:
            try:
                tls.unwrap()  # our close_notify, for the reply
            except ssl.SSLError:
                pass
            done = True
        except ssl.SSLError as e:
            out(error=str(e))
        if plaintext:
            peer = tls.getpeercert()
            subject = dict(x[0] for x in peer["subject"]) if peer else None
            out(received=plaintext.decode(), version=tls.version(), cipher=tls.cipher()[0], client=subject)
            tls.write(b"py:" + plaintext)
        reply = drain(outgoing)
        if reply:
            sock.send_multipart(envelope + [b"", reply])
    sock.close()


def client(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(args.ca)
    ctx.maximum_version = VERSIONS[args.max_version]
    if args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    sock = zmq.Context.instance().socket(zmq.REQ)
    sock.linger = 0
    sock.rcvtimeo = 10000
    sock.connect(args.endpoint)

    def exchange():
        request = drain(outgoing)
        if not request:
            return False
        sock.send(request)
        incoming.write(sock.recv())
        return True

    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            exchange()
    out(handshake=tls.version(), cipher=tls.cipher()[0])
    for message in args.messages:
        # The Finished (and, TLS 1.3, nothing else) may still be pending: it shares this request.
        tls.write(message.encode())
        exchange()
        plaintext = b""
        while True:
            try:
                chunk = tls.read(65536)
            except ssl.SSLWantReadError:
                break
            if not chunk:
                break
            plaintext += chunk
        out(reply=plaintext.decode())
    try:
        tls.unwrap()
    except (ssl.SSLWantReadError, ssl.SSLError):
        pass
    exchange()
    sock.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--ca")
    p.add_argument("--endpoint")
    p.add_argument("--max-version", default="1.3", choices=sorted(VERSIONS))
    p.add_argument("--message", dest="messages", action="append", default=[])
    args = p.parse_args()
    server(args) if args.role == "server" else client(args)


if __name__ == "__main__":
    sys.exit(main())
