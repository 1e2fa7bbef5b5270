import Foundation
import Testing
import TestSupport

@Suite struct ChildProcessTests {
    @Test func outputErrorsInputAndStatusComeBackApart() async throws {
        let finished = try await ChildProcess.run("/bin/sh", ["-c", "cat; echo oops >&2; exit 3"],
                                                  input: Data("hello\n".utf8))
        #expect(finished.status == 3)
        #expect(finished.stdout == "hello\n")
        #expect(finished.stderr == "oops\n")
    }

    @Test func aChildPastItsDeadlineIsKilledAndWhatItPrintedIsReported() async throws {
        let start = ContinuousClock.now
        let error = await #expect(throws: ChildProcessTimeout.self) {
            try await ChildProcess.run("/bin/sh", ["-c", "echo started; exec sleep 60"], timeout: .milliseconds(300))
        }
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(error?.output == "started\n")
    }

    /// Children that wait for a file which a task on the cooperative pool creates only
    /// after they all started: if waiting for them held pool threads, that task could
    /// not run on a machine with fewer cores than children.
    @Test func waitingForManyChildrenLeavesThePoolFree() async throws {
        let flag = FileManager.default.temporaryDirectory.appendingPathComponent("flag-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: flag) }
        let children = 4 * ProcessInfo.processInfo.activeProcessorCount
        let script = "while [ ! -e '\(flag.path)' ]; do sleep 0.1; done; echo done"
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<children {
                group.addTask { try await ChildProcess.run("/bin/sh", ["-c", script], timeout: .seconds(30)).stdout }
            }
            try await Task.sleep(for: .milliseconds(200))
            _ = FileManager.default.createFile(atPath: flag.path, contents: nil)
            var outputs: [String] = []
            for try await output in group { outputs.append(output) }
            #expect(outputs == Array(repeating: "done\n", count: children))
        }
    }

    @Test func theFirstChildOfAWrapperIsFound() async throws {
        let wrapper = Process()
        wrapper.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        wrapper.arguments = ["30", "/bin/sleep", "30"]
        try wrapper.run()
        var command = ""
        for _ in 0..<200 where command != "sleep\n" {
            if let pid = wrapper.firstChildPID() {
                command = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
            }
            if command != "sleep\n" { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(command == "sleep\n")
        kill(try #require(wrapper.firstChildPID()), SIGKILL)
        #expect(await wrapper.exit(within: .seconds(10)))
    }

    /// Started from a thread of the concurrency pool (which blocks most signals), a child
    /// still has none blocked: a server that never unblocks SIGTERM itself stops on it.
    @Test func childrenStartWithNoSignalBlocked() async throws {
        let status = try await ChildProcess.run("/bin/grep", ["SigBlk", "/proc/self/status"])
        #expect(status.stdout == "SigBlk:\t0000000000000000\n")
    }
}
