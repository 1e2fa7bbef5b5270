/// Latency samples in nanoseconds and the figures the report needs.
struct Latencies {
    private(set) var samples: [UInt64] = []

    init(reservingCapacity capacity: Int = 0) { samples.reserveCapacity(capacity) }

    mutating func record(_ nanoseconds: UInt64) { samples.append(nanoseconds) }
    mutating func merge(_ other: Latencies) { samples += other.samples }

    var count: Int { samples.count }

    /// The `q`-quantile (0…1) in microseconds, nearest rank on the sorted samples.
    func quantileMicroseconds(_ q: Double, sorted: [UInt64]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))
        return Double(sorted[rank]) / 1000
    }

    /// p50, p99 and p99.9 in microseconds.
    func summary() -> (p50: Double, p99: Double, p999: Double) {
        let sorted = samples.sorted()
        return (quantileMicroseconds(0.5, sorted: sorted), quantileMicroseconds(0.99, sorted: sorted),
                quantileMicroseconds(0.999, sorted: sorted))
    }
}

/// Formats `value` with `digits` decimals (no Foundation).
func fixed(_ value: Double, _ digits: Int = 1) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if digits == 0 { text = String(text[..<dot]) } else if decimals < digits {
            text += String(repeating: "0", count: digits - decimals)
        }
    }
    return text
}
