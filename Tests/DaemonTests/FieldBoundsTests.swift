import Foundation
import MailSRVInterface
import Testing
import Varlink

/// Strings a client sends are bounded and checked (issue 11, finding 9): a 60 KB email or
/// client host costs nothing and is refused with the error PROTOCOL.md names.
@Suite struct FieldBoundsTests {
    @Test func aLongOrMalformedClientHostAndALongEmailAreRefused() async throws {
        let knot = try await SharedKnot.server()
        let daemon = try await DaemonProcess(dnsServer: knot.forwarder)
        for host in ["ws1\u{1}.example.net", String(repeating: "h", count: 60_000), "ws 1.example.net"] {
            for method in [DiscoveryInterface.Method.lookup, .acquire] {
                let reply = try await daemon.call(method, ["email": "a@example.net", "clientHost": .string(host)])
                #expect(reply.errorName == "InvalidParameter")
                #expect(reply["parameter"] == "clientHost")
            }
        }
        await #expect(try daemon.call(.lookup, ["email": "a@example.net", "clientHost": "ws1.example.net"]).errorName == nil)
        let long = String(repeating: "x", count: 60_000) + "@example.net"
        for method in [DiscoveryInterface.Method.lookup, .acquire] {
            await #expect(try daemon.call(method, ["email": .string(long)]).errorName == "InvalidAddress")
        }
        #expect(await daemon.stop() == 0)
    }
}
