#!/usr/bin/env python3
"""close_on_eof_server.py ADDR PORT - a correct server, for tcpclose's tests.

It accepts any number of connections at once. On each it answers the first
bytes the client sends with a short HTTP/1.0 answer, keeps reading (and
dropping) whatever follows, and closes the moment read() returns 0: the
client has closed its side (FIN), so the server closes too. The client,
having closed first, holds TIME_WAIT; the server's socket goes through
CLOSE_WAIT and LAST_ACK in a moment and is gone. A connection the client
never closes stays open: this server has no idle timeout.

leaky_server.py is the same program without that close.
"""
import resource
import selectors
import socket
import sys

ANSWER = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n"


def listen(addr, port):
    # one descriptor per connection held: allow as many as the system lets
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((addr, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def on_eof(sel, conn):
    sel.unregister(conn)
    conn.close()


def serve(addr, port, on_eof=on_eof):
    sel = selectors.DefaultSelector()
    sel.register(listen(addr, port), selectors.EVENT_READ, None)
    answered = set()
    while True:
        for key, _ in sel.select():
            if key.data is None:  # the listener: take every queued connection
                try:
                    while True:
                        conn, _ = key.fileobj.accept()
                        conn.setblocking(False)
                        sel.register(conn, selectors.EVENT_READ, "conn")
                except (BlockingIOError, ConnectionAbortedError):
                    pass
                continue
            conn = key.fileobj
            try:
                data = conn.recv(65536)
            except ConnectionError:
                data = b""  # a reset: nothing more will come either
            if not data:
                answered.discard(conn)
                on_eof(sel, conn)
            elif conn not in answered:
                answered.add(conn)
                try:
                    conn.sendall(ANSWER)
                except (BlockingIOError, ConnectionError):
                    pass  # a client that does not read: the answer is cut short


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: close_on_eof_server.py ADDR PORT")
    serve(sys.argv[1], int(sys.argv[2]))
