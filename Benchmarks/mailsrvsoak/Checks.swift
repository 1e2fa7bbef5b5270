/// The checks of a run: each printed as it is made; the failed ones kept.
struct Checks {
    private(set) var problems: [String] = []

    mutating func check(_ ok: Bool, _ what: String) {
        say(ok ? "  ok    \(what)" : "  FAIL  \(what)")
        if !ok { problems.append(what) }
    }
}
