/// What all leases of one uid for one (domain, want) share (draft-hall §5).
public struct PinKey: Hashable, Codable, Sendable {
    public var uid: UInt32
    public var domain: String
    public var want: String
    public init(uid: UInt32, domain: String, want: String) {
        self.uid = uid
        self.domain = domain
        self.want = want
    }
}
