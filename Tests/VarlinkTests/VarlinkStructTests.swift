import Testing
import Varlink

/// A struct of every kind of member, as an interface's types are written.
private struct Sample: VarlinkStruct {
    struct Inner: VarlinkStruct {
        var port = 0
        mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("port", &port)
        }
    }

    var name = ""
    var count = 0
    var flag = false
    var tags: [String] = []
    var inner = Inner()
    var list: [Inner] = []
    var note: String?

    mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
        try members.member("name", &name)
        try members.member("count", &count)
        try members.member("flag", &flag)
        try members.member("tags", &tags)
        try members.member("inner", &inner)
        try members.member("list", &list)
        try members.member("note", &note)
    }
}

@Suite struct VarlinkStructTests {
    @Test func writesMembersInOrderAndLeavesOutAbsentOptionals() {
        var sample = Sample()
        sample.name = "a\"b"
        sample.tags = ["x"]
        sample.list = [.init(port: 1), .init(port: 2)]
        let reply = VarlinkReply(encoding: sample)
        #expect(reply.serialized() == #"{"parameters":{"name":"a\"b","count":0,"flag":false,"tags":["x"],"inner":{"port":0},"list":[{"port":1},{"port":2}]}}"#)
        sample.note = "n"
        #expect(VarlinkReply(encoding: sample).parameters["note"] == "n")
    }

    @Test func readsWhatItWrites() throws {
        var sample = Sample()
        sample.name = "é"
        sample.count = -3
        sample.flag = true
        sample.inner.port = 993
        sample.list = [.init(port: 7)]
        sample.note = "n"
        #expect(try Sample(parameters: sample.parameters) == sample)
    }

    @Test func absentOrNullOptionalsAreNilAndUnknownMembersIgnored() throws {
        let parameters: JSONObject = ["name": "n", "count": 1, "flag": true, "tags": [], "inner": ["port": 1],
                                      "list": [], "note": nil, "extra": 5]
        #expect(try Sample(parameters: parameters).note == nil)
    }

    @Test func errorsNameTheMemberAtFault() {
        let valid: JSONObject = ["name": "n", "count": 1, "flag": true, "tags": [], "inner": ["port": 1], "list": []]
        func error(_ change: (inout JSONObject) -> Void) -> VarlinkDecodingError? {
            var parameters = valid
            change(&parameters)
            do {
                _ = try Sample(parameters: parameters)
                return nil
            } catch {
                return error
            }
        }
        #expect(error { _ in } == nil)
        #expect(error { $0["count"] = nil } == VarlinkDecodingError(path: ["count"], problem: "missing"))
        #expect(error { $0["count"] = .null } == VarlinkDecodingError(path: ["count"], problem: "missing"))
        #expect(error { $0["flag"] = "yes" } == VarlinkDecodingError(path: ["flag"], problem: "expected bool"))
        #expect(error { $0["tags"] = ["a", 1] } == VarlinkDecodingError(path: ["tags", "1"], problem: "expected string"))
        #expect(error { $0["list"] = [["port": "x"]] } == VarlinkDecodingError(path: ["list", "0", "port"], problem: "expected int"))
        #expect(error { $0["inner"] = 5 }?.parameter == "inner")
    }

    @Test func aCallWithBadParametersIsInvalidParameter() {
        let call = VarlinkCall(method: "org.example.Test.Sample", parameters: ["name": 5])
        #expect(throws: VarlinkError.invalidParameter("name")) { try call.parameters(as: Sample.self) }
    }

    @Test func typesAreSpelledAsTheInterfaceLanguage() {
        #expect([String].varlinkType == "[]string")
        #expect(Int?.varlinkType == "?int")
        #expect([Sample.Inner].varlinkType == "[]Inner")
    }
}
