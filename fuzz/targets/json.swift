// libFuzzer target: Varlink's strict JSON parser (`JSONValue(parsing:)`, every message a
// client sends goes through it) and its writer (`JSONWriter`, `JSONValue.serialized()`,
// every reply the daemon sends). Input: arbitrary bytes, parsed in place from libFuzzer's
// exactly sized buffer (so ASan sees any read past the end).
//
// Properties checked beyond "no crash / no ASan report / no leak":
//   - a rejection's error offset lies inside the input (0…count);
//   - the contiguous and the generic (non-contiguous Sequence) paths of the parser agree;
//   - whatever the parser accepts, Foundation's JSONSerialization (.fragmentsAllowed)
//     accepts too — ours is the stricter one (Foundation on Linux also takes `[1,]`), so
//     only this direction is checked;
//   - the writer's text is valid UTF-8 without raw control bytes (NUL included: it is the
//     Varlink message separator), `serialized()` gives the same bytes, and parsing that
//     text gives back an equal value (round trip) which serializes to the same text again.
import Foundation
import Varlink

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: count == 0 ? nil : start?.assumingMemoryBound(to: UInt8.self), count: count)

    let value: JSONValue
    do {
        value = try JSONValue(parsing: input)
    } catch {
        precondition((0...count).contains(error.offset), "error offset \(error.offset) outside 0…\(count)")
        precondition((try? JSONValue(parsing: input.lazy.map { $0 })) == nil,
                     "the generic Sequence path accepts what the contiguous path rejects")
        return 0
    }
    precondition((try? JSONValue(parsing: input.lazy.map { $0 })) == value,
                 "the generic Sequence path disagrees with the contiguous path")

    // Foundation must accept it too (parsing the same bytes, copied into Data).
    let data = Data(buffer: input)
    precondition((try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)) != nil,
                 "accepted here, rejected by JSONSerialization: \(String(decoding: input, as: UTF8.self))")

    // The writer.
    var writer = JSONWriter()
    writer.value(value)
    let text = writer.bytes
    precondition(String(validating: text, as: UTF8.self) != nil, "the writer's text is not valid UTF-8")
    precondition(!text.contains(where: { $0 < 0x20 }), "raw control byte in the writer's text")
    let serialized = value.serialized()
    precondition(Array(serialized.utf8) == text, "serialized() differs from JSONWriter.value(_:)")

    // Round trip.
    let again: JSONValue
    do {
        again = try JSONValue(parsing: Array(serialized.utf8))
    } catch {
        preconditionFailure("the parser rejects the writer's text (\(error)): \(serialized)")
    }
    precondition(again == value, "round trip changed the value: \(serialized)")
    precondition(Array(again.serialized().utf8) == text, "serializing the round-tripped value gives other text")
    return 0
}
