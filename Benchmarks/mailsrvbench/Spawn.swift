import Glibc

/// Starts `command` with posix_spawn: our environment unless `environment` is given, and
/// the file actions `configure` adds (redirections). Returns the child's pid.
func spawnProgram(_ command: [String], environment: [String]? = nil,
                  _ configure: (inout posix_spawn_file_actions_t) -> Void = { _ in }) throws(BenchError) -> pid_t {
    guard let program = command.first else { throw .usage("no command given") }
    var pid = pid_t()
    let argv = command.map { strdup($0) } + [nil]
    let envp = environment.map { $0.map { strdup($0) } + [nil] }
    defer { (argv + (envp ?? [])).forEach { free($0) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    configure(&actions)
    let status = if var envp { posix_spawn(&pid, program, &actions, nil, argv, &envp) } else { posix_spawn(&pid, program, &actions, nil, argv, environ) }
    guard status == 0 else { throw .protocolError("posix_spawn \(program): \(String(cString: strerror(status)))") }
    return pid
}
