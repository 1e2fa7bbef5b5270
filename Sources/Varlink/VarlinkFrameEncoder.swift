import NIOCore

/// An encoder that writes each outgoing message followed by the NUL byte that ends it.
///
/// The message must not contain a NUL itself; serialized JSON never does (``JSONValue``
/// escapes U+0000 in strings).
public struct VarlinkFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = ByteBuffer

    public init() {}

    public func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        out.reserveCapacity(data.readableBytes + 1)
        out.writeImmutableBuffer(data)
        out.writeInteger(UInt8(0))
    }
}
