import NIOCore

/// A decoder that splits a byte stream into Varlink messages, each ended by one NUL byte.
///
/// For example, consider the following received buffers (`␀` is the NUL byte):
///
///     +--------+------------+---------+
///     | {"a":1 | }␀{"b":2}␀{ | "c":3}␀ |
///     +--------+------------+---------+
///
/// An instance of ``VarlinkFrameDecoder`` splits them as follows, dropping the NULs:
///
///     +---------+---------+---------+
///     | {"a":1} | {"b":2} | {"c":3} |
///     +---------+---------+---------+
///
/// A message longer than ``maxMessageSize`` bytes (NUL not counted) throws
/// ``VarlinkFrameError/messageTooLarge(limit:)`` as soon as that many bytes are buffered
/// without a NUL, so a peer cannot make the decoder buffer without bound. Bytes left
/// without a NUL when the stream ends are a message the peer never finished: dropped.
public struct VarlinkFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// The default ``maxMessageSize``: 64 KiB.
    public static let defaultMaxMessageSize = 64 * 1024

    /// The largest message accepted, in bytes, without its NUL.
    public let maxMessageSize: Int

    /// How far past the reader index the last search went without finding a NUL.
    private var scannedBytes = 0

    /// Creates a decoder that accepts messages of up to `maxMessageSize` bytes.
    public init(maxMessageSize: Int = VarlinkFrameDecoder.defaultMaxMessageSize) {
        precondition(maxMessageSize > 0, "maxMessageSize must be positive")
        self.maxMessageSize = maxMessageSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let scanned = self.scannedBytes
        let nul = buffer.withUnsafeReadableBytes { bytes in bytes[scanned...].firstIndex(of: 0) }
        guard let length = nul else {
            self.scannedBytes = buffer.readableBytes
            if buffer.readableBytes > self.maxMessageSize {
                throw VarlinkFrameError.messageTooLarge(limit: self.maxMessageSize)
            }
            return .needMoreData
        }
        if length > self.maxMessageSize {
            throw VarlinkFrameError.messageTooLarge(limit: self.maxMessageSize)
        }
        let message = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        self.scannedBytes = 0
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while try self.decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}

/// Why a byte stream could not be split into Varlink messages.
public enum VarlinkFrameError: Error, Hashable, Sendable {
    /// A message was longer than `limit` bytes. The stream cannot be resynchronised.
    case messageTooLarge(limit: Int)
}
