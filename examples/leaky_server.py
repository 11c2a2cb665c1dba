#!/usr/bin/env python3
"""leaky_server.py ADDR PORT - a server that leaks, for tcpclose's tests.

The same as close_on_eof_server.py, but when read() returns 0 (the client
closed) it only stops watching the socket and never closes it: the bug
behind CLOSE_WAIT leaks. Each connection a client closes stays in
CLOSE_WAIT, with its file descriptor, until the process exits.
"""
import sys

from close_on_eof_server import serve

held = []  # the leaked sockets: kept referenced, so Python never closes them


def forget(sel, conn):
    sel.unregister(conn)
    held.append(conn)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: leaky_server.py ADDR PORT")
    serve(sys.argv[1], int(sys.argv[2]), on_eof=forget)
