import Foundation
import TestSupport

/// Talks HTTP to the daemon's autoconfig endpoint with Python (http.client, raw sockets)
/// and reads its XML with Python's own parser (xml.etree), so that neither the request nor
/// the reading of the reply is the daemon's own code.
enum AutoconfigClient {
    /// One server element of the clientConfig document, as Python read it.
    struct Server: Equatable, Decodable {
        var type: String
        var hostname: String
        var port: String
        var socketType: String
        var username: String
        var authentication: String
    }

    /// A reply: status, headers (lower-case names), body, and, for a 200, the document.
    struct Reply: Decodable {
        var status: Int
        var headers: [String: String]
        var body: String
        var domain: String?
        var incoming: [Server]?
        var outgoing: [Server]?
    }

    static let script = #"""
import http.client, json, sys, xml.etree.ElementTree as ET
address, port, method, target = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
connection = http.client.HTTPConnection(address, port, timeout=30)
connection.request(method, target)
response = connection.getresponse()
body = response.read().decode("utf-8")
out = {"status": response.status, "headers": {k.lower(): v for k, v in response.getheaders()}, "body": body}
if response.status == 200:
    root = ET.fromstring(body.encode("utf-8"))
    assert root.tag == "clientConfig" and root.get("version") == "1.1", root.tag
    provider = root.find("emailProvider")
    def server(element):
        fields = ["hostname", "port", "socketType", "username", "authentication"]
        return dict({"type": element.get("type")}, **{f: element.findtext(f) for f in fields})
    out["domain"] = provider.findtext("domain")
    out["incoming"] = [server(e) for e in provider.findall("incomingServer")]
    out["outgoing"] = [server(e) for e in provider.findall("outgoingServer")]
print(json.dumps(out))
"""#

    /// `METHOD TARGET` to `address:port`.
    static func request(_ address: String, _ port: Int, _ target: String, method: String = "GET") async throws -> Reply {
        let result = try await ChildProcess.run("/usr/bin/python3", ["-c", script, address, "\(port)", method, target],
                                                timeout: .seconds(60))
        guard result.status == 0 else { throw DaemonFailure("python http client: \(result.stderr)") }
        return try JSONDecoder().decode(Reply.self, from: Data(result.stdout.utf8))
    }

    static let rawScript = #"""
import socket, sys, time
address, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((address, port), timeout=60)
if mode == "oversize":
    # A request line far over the limit, sent until the server stops taking it.
    try:
        s.sendall(b"GET /v1.1/" + b"a" * 200000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
elif mode == "slow":
    # Part of a request, then nothing: the server must end the connection.
    s.sendall(b"GET /v1.1/exa")
received = b""
started = time.monotonic()
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        received += chunk
except ConnectionResetError:
    pass
except socket.timeout:
    print("TIMEOUT")
    sys.exit(0)
print("CLOSED " + (received.split(b"\r\n")[0].decode("latin-1") if received else "-"))
"""#

    /// Sends an oversize or a partial (`slow`) request and waits (at most 60 s) for the
    /// server to close; returns "CLOSED <status line or ->" or "TIMEOUT".
    static func raw(_ address: String, _ port: Int, mode: String) async throws -> String {
        let result = try await ChildProcess.run("/usr/bin/python3", ["-c", rawScript, address, "\(port)", mode],
                                                timeout: .seconds(90))
        guard result.status == 0 else { throw DaemonFailure("python raw client: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
