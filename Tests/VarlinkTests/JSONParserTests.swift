import Foundation
import Testing
import Varlink

@Suite struct JSONParserTests {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONValue(parsing: Array(text.utf8))
    }

    @Test func parsesEveryKindWithWhitespaceAround() throws {
        let text = " \t\r\n{ \"a\" : [ 1 , -0 , 2.5e3 , \"x\" , true , false , null , { } , [ ] ] } \n"
        #expect(try parse(text) == ["a": [1, 0, 2500.0, "x", true, false, nil, [:], []]])
    }

    @Test(arguments: [
        (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{c}\n\r\t"),
        (#""\u00e9\u20AC""#, "é€"),
        (#""\ud83d\ude00""#, "😀"),
        (#""héllo 😀""#, "héllo 😀"),
        (#""a\u0000b""#, "a\u{0}b"),
    ])
    func decodesEscapesAndUTF8(text: String, expected: String) throws {
        #expect(try parse(text) == .string(expected))
    }

    @Test func integersFitOrBecomeDoubles() throws {
        #expect(try parse("9223372036854775807") == .int(.max))
        #expect(try parse("-9223372036854775808") == .int(.min))
        #expect(try parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try parse("1.0") == .double(1))
        #expect(try parse("1E2") == .double(100))
        #expect(try parse("-0.5e-1") == .double(-0.05))
    }

    @Test func theLastOfRepeatedKeysWins() throws {
        #expect(try parse(#"{"a":1,"a":2}"#) == ["a": 2])
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{,}", "[,1]", "{\"a\" 1}", "{a:1}", "{'a':1}", "{1:2}",
        "01", "-", "+1", "1.", ".5", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity", "1e999",
        "tru", "nul", "True", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"\\udc00\"",
        "\"a\tb\"", "\"a\nb\"", "{} {}", "1 2", "[1] x", "\u{feff}{}",
    ])
    func rejectsWhatRFC8259Rejects(text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22]] {
            #expect(throws: JSONParseError.self) { try JSONValue(parsing: bytes) }
        }
    }

    @Test func nestingIsBoundedSoNoMessageExhaustsTheStack() throws {
        let depth = 64
        let deepest = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(throws: Never.self) { try parse(deepest) }
        #expect(throws: JSONParseError.self) { try parse("[" + deepest + "]") }
        #expect(throws: JSONParseError.self) { try parse(String(repeating: "{\"a\":", count: 100_000)) }
    }

    @Test func errorsSayWhere() {
        let error = #expect(throws: JSONParseError.self) { try parse("[1, 2") }
        #expect(error?.offset == 5)
        #expect(error?.description == "invalid JSON at byte 5: expected ',' or ']'")
    }

    /// The parser accepts exactly what Foundation's JSONSerialization accepts, on texts
    /// near the edges of the grammar. (Foundation also takes a trailing comma, `[1,]`,
    /// which RFC 8259 does not allow; the parser rejects it, see above.)
    @Test(arguments: [
        "{}", "[]", "0", "-0", "1e5", "[1e-5]", "\"\\u0041\"", "[\"\\uD834\\uDD1E\"]", "{\"\":\"\"}", "[[[]]]",
        "[01]", "[.5]", "[1.]", "[\"\\u00\"]", "[\"\t\"]", "{\"a\":}", "[1 2]", "[true false]", "[nul]",
    ])
    func agreesWithFoundation(text: String) throws {
        let foundation = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) != nil
        let ours = (try? parse(text)) != nil
        #expect(ours == foundation, "\(text)")
    }
}

@Suite struct JSONWriterTests {
    @Test func placesCommasAndColonsInNestedContainers() {
        var json = JSONWriter()
        json.beginObject()
        json.key("a"); json.beginArray(); json.int(1); json.beginObject(); json.endObject(); json.beginArray(); json.endArray(); json.null(); json.endArray()
        json.key("b"); json.beginObject(); json.key("c"); json.bool(false); json.key("d"); json.double(0.5); json.endObject()
        json.key("e"); json.strings(["x", "y"])
        json.endObject()
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"{"a":[1,{},[],null],"b":{"c":false,"d":0.5},"e":["x","y"]}"#)
    }

    @Test(arguments: [0, 7, -7, 10, 99, 100, 1_000_000, Int.max, Int.min])
    func writesIntegersExactly(value: Int) {
        var json = JSONWriter()
        json.int(value)
        #expect(String(decoding: json.bytes, as: UTF8.self) == String(value))
    }

    @Test func writtenTextParsesBackToTheSameValue() throws {
        let value: JSONValue = ["s": "ctl\u{1}\u{7f}\"\\/é😀", "n": [.int(.min), 0, .int(.max)], "d": [-1.5, 1e-7, 1e300]]
        var json = JSONWriter()
        json.value(value)
        #expect(try JSONValue(parsing: json.bytes) == value)
    }

    @Test func aReplyWrittenAheadEqualsTheSameReplyAsATree() throws {
        var json = JSONWriter()
        json.beginObject(); json.key("n"); json.int(1); json.key("s"); json.string("x"); json.endObject()
        let written = VarlinkReply(encodedParameters: json)
        let tree = VarlinkReply(parameters: ["n": 1, "s": "x"])
        #expect(written == tree)
        #expect(written.serialized() == #"{"parameters":{"n":1,"s":"x"}}"#)
        #expect(try VarlinkReply(message: written.encoded()) == tree)
    }
}
