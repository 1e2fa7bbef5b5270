/// Legal but large answers: `_imaps._tcp.wide.test` has 100 SRV targets (a Lookup reply of
/// ~20 KB), `_imaps._tcp.many.test` one target with 2,000 A and 2,000 AAAA records.
func bigZone(_ name: String) -> String {
    var lines = ["@ 3600 SOA ns.\(name). hostmaster.\(name). 1 3600 600 86400 60",
                 "@ 3600 NS ns", "ns 3600 A 127.0.0.1"]
    if name == "wide.test" {
        for index in 1...100 {
            lines.append("_imaps._tcp 3600 SRV 0 1 993 t\(index)")
            lines.append("t\(index) 3600 A 127.0.1.\(index)")
        }
    } else {
        lines.append("_imaps._tcp 3600 SRV 0 1 993 mx")
        for index in 0..<2000 {
            lines.append("mx 3600 A 127.1.\(index / 256).\(index % 256)")
            lines.append("mx 3600 AAAA fd00::1:\(String(index, radix: 16))")
        }
    }
    return lines.joined(separator: "\n") + "\n"
}
