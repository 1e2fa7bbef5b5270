import Testing
import Varlink

@Suite struct VarlinkCallDecodingTests {
    private func call(_ text: String) throws(VarlinkMessageError) -> VarlinkCall {
        try VarlinkCall(message: Array(text.utf8))
    }

    @Test func decodesAFullCall() throws {
        let call = try self.call(#"{"method":"org.example.Test.Echo","parameters":{"text":"hi"},"more":true}"#)
        #expect(call == VarlinkCall(method: "org.example.Test.Echo", parameters: ["text": "hi"], more: true))
        #expect(call.interface == "org.example.Test")
        #expect(!call.oneway)
    }

    @Test func parametersAndFlagsMayBeAbsentOrNull() throws {
        #expect(try self.call(#"{"method":"a.B"}"#) == VarlinkCall(method: "a.B"))
        #expect(try self.call(#"{"method":"a.B","parameters":null,"oneway":null}"#) == VarlinkCall(method: "a.B"))
        #expect(try self.call(#"{"method":"a.B","oneway":true,"upgrade":true}"#).oneway)
    }

    @Test func garbageIsNotJSON() {
        #expect(throws: VarlinkMessageError.notJSON) { try self.call("hello") }
        #expect(throws: VarlinkMessageError.notJSON) { try self.call("") }
        #expect(VarlinkMessageError.notJSON.isGarbage)
    }

    @Test func topLevelMustBeAnObject() {
        #expect(throws: VarlinkMessageError.notAnObject) { try self.call(#"[{"method":"a.B"}]"#) }
        #expect(throws: VarlinkMessageError.notAnObject) { try self.call(#""a.B""#) }
        #expect(VarlinkMessageError.notAnObject.invalidParameter == .invalidParameter("message"))
    }

    @Test func methodMustBeAQualifiedString() {
        for text in [#"{}"#, #"{"method":5}"#, #"{"method":"NoDot"}"#, #"{"method":"a."}"#] {
            #expect(throws: VarlinkMessageError.invalidMethod) { try self.call(text) }
        }
        #expect(!VarlinkMessageError.invalidMethod.isGarbage)
        #expect(VarlinkMessageError.invalidMethod.invalidParameter == .invalidParameter("method"))
    }

    @Test func membersMustHaveTheirTypes() {
        #expect(throws: VarlinkMessageError.invalidMember("parameters")) {
            try self.call(#"{"method":"a.B","parameters":[1]}"#)
        }
        #expect(throws: VarlinkMessageError.invalidMember("oneway")) {
            try self.call(#"{"method":"a.B","oneway":"yes"}"#)
        }
        #expect(throws: VarlinkMessageError.invalidMember("more")) { try self.call(#"{"method":"a.B","more":1}"#) }
    }

    @Test func encodesWithFlagsOnlyWhenSet() {
        #expect(VarlinkCall(method: "a.B").serialized() == #"{"method":"a.B","parameters":{}}"#)
        #expect(
            VarlinkCall(method: "a.B", parameters: ["x": 1], oneway: true, more: true).serialized()
                == #"{"method":"a.B","more":true,"oneway":true,"parameters":{"x":1}}"#
        )
    }
}

@Suite struct VarlinkParameterTests {
    private let call = VarlinkCall(
        method: "a.B",
        parameters: ["email": "u@example.net", "resolve": false, "count": 3, "want": nil]
    )

    @Test func readsPresentParametersOfTheirType() throws {
        #expect(try self.call.string("email") == "u@example.net")
        #expect(try self.call.optionalBool("resolve") == false)
        #expect(try self.call.optionalString("email") == "u@example.net")
        #expect(try self.call.int("count") == 3)
    }

    @Test func absentOrNullOptionalsAreNil() throws {
        #expect(try self.call.optionalString("want") == nil)
        #expect(try self.call.optionalString("clientHost") == nil)
        #expect(try self.call.optionalBool("missing") == nil)
    }

    @Test func missingRequiredParameterIsInvalidParameter() {
        #expect(throws: VarlinkError.invalidParameter("want")) { try self.call.string("want") }
        #expect(throws: VarlinkError.invalidParameter("missing")) { try self.call.int("missing") }
    }

    @Test func wrongTypeIsInvalidParameter() {
        #expect(throws: VarlinkError.invalidParameter("count")) { try self.call.optionalString("count") }
        #expect(throws: VarlinkError.invalidParameter("email")) { try self.call.optionalBool("email") }
        #expect(throws: VarlinkError.invalidParameter("resolve")) { try self.call.string("resolve") }
    }
}

@Suite struct VarlinkReplyTests {
    @Test func encodesExactBytes() {
        #expect(VarlinkReply().serialized() == #"{"parameters":{}}"#)
        #expect(VarlinkReply(parameters: ["a": 1]).serialized() == #"{"parameters":{"a":1}}"#)
        #expect(VarlinkReply(parameters: ["a": 1], continues: true).serialized() == #"{"continues":true,"parameters":{"a":1}}"#)
        #expect(
            VarlinkError.methodNotFound("a.B").reply.serialized()
                == #"{"error":"org.varlink.service.MethodNotFound","parameters":{"method":"a.B"}}"#
        )
    }

    @Test func standardErrorsHaveTheirParameters() {
        #expect(VarlinkError.interfaceNotFound("a").parameters == ["interface": "a"])
        #expect(VarlinkError.methodNotImplemented("a.B").name == "org.varlink.service.MethodNotImplemented")
        #expect(VarlinkError.invalidParameter("x").reply.parameters == ["parameter": "x"])
    }

    @Test func decodesRepliesAndErrors() throws {
        let reply = try VarlinkReply(message: Array(#"{"parameters":{"a":1},"continues":true}"#.utf8))
        #expect(reply == VarlinkReply(parameters: ["a": 1], continues: true))
        #expect(reply.varlinkError == nil)
        let error = try VarlinkReply(message: Array(#"{"error":"x.Y","parameters":{"b":2}}"#.utf8))
        #expect(error.varlinkError == VarlinkError(name: "x.Y", parameters: ["b": 2]))
        #expect(try VarlinkReply(message: Array("{}".utf8)) == VarlinkReply())
        #expect(throws: VarlinkMessageError.invalidMember("error")) {
            try VarlinkReply(message: Array(#"{"error":1}"#.utf8))
        }
    }
}
