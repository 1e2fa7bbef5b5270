"""A hostile 'mail server' for the tests: accepts every connection and misbehaves.

usage: hostile_server.py MODE ADDRESS PORT
  garbage   sends a line that is no mail greeting, then stays silent
  endless   sends '* OK ' and then bytes without a newline, without end
  tlsalert  reads the TLS ClientHello and answers with a fatal handshake_failure alert
  silent    accepts and never sends anything
Prints READY when listening.
"""
import socket
import sys
import threading
import time


def serve(mode, connection):
    try:
        if mode == "garbage":
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\n")
        elif mode == "endless":
            connection.sendall(b"* OK ")
            while True:
                connection.sendall(b"A" * 4096)
        elif mode == "tlsalert":
            connection.recv(4096)
            connection.sendall(bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]))
        time.sleep(120)
    except OSError:
        pass
    finally:
        connection.close()


def main():
    mode, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(16)
    print("READY", flush=True)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(mode, connection), daemon=True).start()


if __name__ == "__main__":
    main()
