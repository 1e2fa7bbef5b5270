"""Real Python mail clients (imaplib, poplib, smtplib) speaking through a tunnel command
(`mailsrvctl connect …`), as a mail client runs it: IMAP with imaplib.IMAP4_stream (pipes);
POP3 and SMTP over a socketpair given to the command as stdin and stdout. Each waits for
every answer before the next command, and ends the session properly.

usage: stream_client.py imap|pop3|smtp|hold COMMAND [USER PASSWORD [RECIPIENT]]
Prints one line per step; the last line is `exit N`, the command's exit status.
"""
import imaplib
import poplib
import smtplib
import socket
import subprocess
import sys


def imap(command, user, password):
    m = imaplib.IMAP4_stream(command)
    print("greeting", m.welcome.decode())
    print("capabilities", " ".join(m.capabilities))
    print("login", m.login(user, password)[0])
    typ, data = m.select("INBOX")
    print("exists", data[0].decode())
    typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])") if data[0] != b"0" else ("OK", [])
    for item in data:
        if isinstance(item, tuple):
            print("subject", item[1].decode().strip())
    m.logout()
    return m.process.wait(30)


def hold(command, user, password):
    m = imaplib.IMAP4_stream(command)
    print("greeting", m.welcome.decode(), flush=True)
    m.login(user, password)
    sys.stdin.read()
    m.logout()
    return m.process.wait(30)


def over_socketpair(command, session):
    ours, theirs = socket.socketpair()
    process = subprocess.Popen(command, shell=True, stdin=theirs, stdout=theirs)
    theirs.close()
    try:
        session(ours)
    finally:
        ours.close()
    return process.wait(30)


def pop3(command, user, password):
    def session(sock):
        client = poplib.POP3.__new__(poplib.POP3)
        client._debugging = 0
        client._tls_established = False
        client.sock = sock
        client.file = sock.makefile("rb")
        client.welcome = client._getresp()
        print("greeting", client.welcome.decode())
        client.user(user)
        print("login", client.pass_(password).decode())
        print("stat", client.stat()[0])
        client.quit()
    return over_socketpair(command, session)


def smtp(command, user, password, recipient):
    def session(sock):
        client = smtplib.SMTP()
        client.sock = sock
        code, message = client.getreply()
        print("greeting", code, message.decode())
        client.ehlo("client.example.net")
        print("starttls offered", client.has_extn("starttls"))
        client.login(user, password)
        print("login", "ok")
        client.sendmail(f"{user}@example.net", [recipient], "Subject: through the tunnel\r\n\r\nhello\r\n")
        print("sent", recipient)
        client.quit()
    return over_socketpair(command, session)


def main():
    mode, command = sys.argv[1], sys.argv[2]
    user = sys.argv[3] if len(sys.argv) > 3 else "alice"
    password = sys.argv[4] if len(sys.argv) > 4 else "secret"
    try:
        if mode == "imap":
            status = imap(command, user, password)
        elif mode == "hold":
            status = hold(command, user, password)
        elif mode == "pop3":
            status = pop3(command, user, password)
        else:
            status = smtp(command, user, password, sys.argv[5] if len(sys.argv) > 5 else "bob@example.org")
    except Exception as error:
        print("error", type(error).__name__, error)
        status = "?"
    print("exit", status, flush=True)


if __name__ == "__main__":
    main()
