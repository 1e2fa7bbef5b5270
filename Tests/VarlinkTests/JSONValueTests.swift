import Testing
import Varlink

@Suite struct JSONValueTests {
    @Test func everyKindRoundTripsThroughText() throws {
        let value: JSONValue = [
            "string": "héllo \"quoted\" \\ /", "int": -42, "big": 9_007_199_254_740_993, "double": 1.5,
            "true": true, "false": false, "null": nil, "array": [1, "two", [3], [:]], "object": ["nested": ["a": 1]],
        ]
        #expect(try JSONValue(parsing: value.serialized().utf8) == value)
    }

    @Test func serializationIsCompactWithSortedKeys() {
        let value: JSONValue = ["b": [1, true, nil], "a": "x", "c": 2.5]
        #expect(value.serialized() == #"{"a":"x","b":[1,true,null],"c":2.5}"#)
    }

    @Test func controlCharactersAndNULAreEscaped() {
        #expect(JSONValue.string("a\n\t\r\u{0}\u{1f}\"\\é").serialized() == #""a\n\t\r\u0000\u001f\"\\é""#)
    }

    @Test func nonFiniteNumbersBecomeNull() {
        #expect(JSONValue.double(.infinity).serialized() == "null")
    }

    @Test func integersStayIntegersAndBooleansStayBooleans() throws {
        #expect(try JSONValue(parsing: "1".utf8) == .int(1))
        #expect(try JSONValue(parsing: "true".utf8) == .bool(true))
        #expect(try JSONValue(parsing: "0.25".utf8) == .double(0.25))
    }

    @Test func accessorsReturnOnlyTheirOwnKind() {
        let value: JSONValue = ["n": 3, "s": "x"]
        #expect(value["n"]?.intValue == 3)
        #expect(value["n"]?.stringValue == nil)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["missing"] == nil)
        #expect(JSONValue.null.stringValue == nil)
        #expect(JSONValue.array([1]).arrayValue == [1])
    }

    @Test func codableValuesConvertBothWays() throws {
        struct Point: Codable, Equatable { var x: Int; var label: String? }
        let json = try JSONValue(encoding: Point(x: 1, label: "p"))
        #expect(json == ["x": 1, "label": "p"])
        #expect(try json.decode(Point.self) == Point(x: 1, label: "p"))
    }

    @Test func invalidTextThrows() {
        #expect(throws: (any Error).self) { try JSONValue(parsing: "{".utf8) }
    }
}
