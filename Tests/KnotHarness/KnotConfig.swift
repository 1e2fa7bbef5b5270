/// The `knot.conf` of one test server: everything under `directory`, listening on
/// address@port, updates allowed from loopback, `secure.example.org` signed with a manual
/// policy (the imported fixed key is the only one, never rolled).
enum KnotConfig {
    static func text(directory d: String, address: String, port: UInt16, signing: Bool, extraZones: [String]) -> String {
        let signedZoneOptions = signing ? """

                dnssec-signing: on
                dnssec-policy: fixed
            """ : ""
        return """
        server:
            rundir: "\(d)/run"
            listen: [ \(address)@\(port) ]
        log:
          - target: stdout
            any: info
        database:
            storage: "\(d)/db"
        control:
            listen: "\(d)/run/knot.sock"
        acl:
          - id: upd
            address: [ 127.0.0.0/8 ]
            action: update
        policy:
          - id: fixed
            algorithm: ecdsap256sha256
            single-type-signing: on
            manual: on
        template:
          - id: default
            storage: "\(d)/zones"
            file: "%s.zone"
            zonefile-sync: -1
            zonefile-load: difference-no-serial
            journal-content: all
        zone:
          - domain: example.net
            acl: upd
          - domain: \(KnotServer.signedZone)
            acl: upd\(signedZoneOptions)
        \(extraZones.map { "  - domain: \($0)\n    acl: upd" }.joined(separator: "\n"))

        """
    }
}
