import Foundation
import MailSRVInterface
import Testing
import Varlink

/// The `.varlink` file is the interface's one source: the text the daemon serves must be
/// it, and the Swift types of `MailSRVInterface` must declare exactly its members, with its
/// types, in its order.
@Suite struct InterfaceFileTests {
    static let file = #filePath.replacingOccurrences(
        of: "Tests/MailSRVInterfaceTests/InterfaceFileTests.swift",
        with: "Sources/MailSRVInterface/io.mailsrvd.Discovery.varlink")

    let definition: InterfaceDefinition

    init() throws {
        definition = try InterfaceDefinition(parsing: String(contentsOfFile: Self.file, encoding: .utf8))
    }

    @Test func theServedTextIsTheFile() throws {
        #expect(DiscoveryInterface.text == (try String(contentsOfFile: Self.file, encoding: .utf8)))
        #expect(definition.name == DiscoveryInterface.name)
    }

    @Test func everyMethodHasItsParametersAndReply() throws {
        #expect(definition.methods.keys.sorted() == DiscoveryInterface.Method.allCases.map(\.rawValue).sorted())
        for method in DiscoveryInterface.Method.allCases {
            let call = Self.call(of: method)
            #expect(call.method == method)
            let declared = try #require(definition.methods[method.rawValue])
            let swift = Self.parametersAndReply(of: call)
            #expect(swift.parameters == declared.parameters, "\(method) parameters")
            #expect(swift.reply == declared.reply, "\(method) reply")
        }
    }

    @Test func everyErrorHasItsParameters() throws {
        #expect(definition.errors.keys.sorted() == DiscoveryInterface.Error.allCases.map(\.rawValue).sorted())
        for error in DiscoveryInterface.Error.allCases {
            let parameters = Self.parameters(of: error)
            #expect(parameters.error == error)
            #expect(members(of: parameters) == definition.errors[error.rawValue], "\(error)")
        }
    }

    @Test func theTypesAreTheFilesTypes() {
        let swift = [
            "Endpoint": members(of: DiscoveryInterface.Endpoint.self),
            "Lease": members(of: DiscoveryInterface.Lease.self),
            "Route": members(of: DiscoveryInterface.Route.self),
            "Trusted": members(of: DiscoveryInterface.Trusted.self),
        ]
        #expect(swift == definition.types)
        #expect(DiscoveryInterface.Route.varlinkType == "Route")
    }

    /// The input parameters of each method: a switch, so a new method does not compile
    /// until it is listed here.
    static func call(of method: DiscoveryInterface.Method) -> any DiscoveryCall.Type {
        switch method {
        case .lookup: DiscoveryInterface.Lookup.self
        case .acquire: DiscoveryInterface.Acquire.self
        case .report: DiscoveryInterface.Report.self
        case .release: DiscoveryInterface.Release.self
        case .listLeases: DiscoveryInterface.ListLeases.self
        case .flush: DiscoveryInterface.Flush.self
        case .stats: DiscoveryInterface.Stats.self
        case .trust: DiscoveryInterface.Trust.self
        case .untrust: DiscoveryInterface.Untrust.self
        case .listTrusted: DiscoveryInterface.ListTrusted.self
        }
    }

    static func parametersAndReply<Call: DiscoveryCall>(of call: Call.Type) -> (parameters: [String], reply: [String]) {
        (members(of: Call.self), members(of: Call.Reply.self))
    }

    static func parameters(of error: DiscoveryInterface.Error) -> any DiscoveryErrorParameters.Type {
        switch error {
        case .invalidAddress: DiscoveryInterface.InvalidAddress.self
        case .noService: DiscoveryInterface.NoService.self
        case .resolutionFailed: DiscoveryInterface.ResolutionFailed.self
        case .exhausted: DiscoveryInterface.Exhausted.self
        case .noSuchLease: DiscoveryInterface.NoSuchLease.self
        case .permissionDenied: DiscoveryInterface.PermissionDenied.self
        case .tooManyRequests: DiscoveryInterface.TooManyRequests.self
        }
    }
}

/// `name: type` of every member a struct hands on, in order.
func members<Struct: VarlinkStruct>(of type: Struct.Type) -> [String] {
    var lister = MemberLister()
    var empty = Struct()
    empty.members(&lister)
    return lister.members
}

private struct MemberLister: VarlinkMembers {
    var members: [String] = []

    mutating func member<Value: VarlinkValue>(_ name: StaticString, _ value: inout Value) {
        members.append("\(name): \(Value.varlinkType)")
    }
}
