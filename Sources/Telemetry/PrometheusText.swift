/// A metric's label set, sorted by name so that equal sets compare and render the same.
struct Labels: Hashable, Comparable {
    let pairs: [(name: String, value: String)]

    init(_ labels: [String: String]) {
        for name in labels.keys {
            precondition(PrometheusText.isValidLabelName(name), "invalid label name \(name)")
        }
        pairs = labels.keys.sorted().map { ($0, labels[$0]!) }
    }

    static func == (lhs: Labels, rhs: Labels) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    static func < (lhs: Labels, rhs: Labels) -> Bool { lhs.rendered([]) < rhs.rendered([]) }

    func hash(into hasher: inout Hasher) {
        for pair in pairs {
            hasher.combine(pair.name)
            hasher.combine(pair.value)
        }
    }

    /// `{a="1",b="2"}` with `extra` pairs appended (the histogram's `le`), or "" when there are none.
    func rendered(_ extra: [(name: String, value: String)]) -> String {
        let all = pairs + extra
        if all.isEmpty { return "" }
        return "{" + all.map { "\($0.name)=\"\(PrometheusText.escapeLabelValue($0.value))\"" }.joined(separator: ",")
            + "}"
    }
}

/// The pieces of the Prometheus text exposition format.
enum PrometheusText {
    /// Whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    static func isValidName(_ name: String) -> Bool { isValid(name, colons: true) }

    /// Whether `name` matches `[a-zA-Z_][a-zA-Z0-9_]*` and is not reserved (`__…`, `le` is added by histograms).
    static func isValidLabelName(_ name: String) -> Bool {
        isValid(name, colons: false) && !name.hasPrefix("__") && name != "le"
    }

    private static func isValid(_ name: String, colons: Bool) -> Bool {
        guard let first = name.utf8.first, !(0x30...0x39).contains(first) else { return false }
        return name.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "_") || (colons && byte == UInt8(ascii: ":"))
        }
    }

    /// HELP text with `\` and newlines escaped.
    static func escapeHelp(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }

    /// A label value with `\`, `"` and newlines escaped.
    static func escapeLabelValue(_ text: String) -> String {
        escapeHelp(text).replacingAll("\"", with: "\\\"")
    }

    /// A sample value: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }

    /// Appends the sample lines of one series.
    static func write(name: String, labels: Labels, series: MetricsRegistry.Series, into out: inout String) {
        switch series {
        case .counter(let counter): out += "\(name)\(labels.rendered([])) \(format(counter.value))\n"
        case .gauge(let gauge): out += "\(name)\(labels.rendered([])) \(format(gauge.value))\n"
        case .function(let body): out += "\(name)\(labels.rendered([])) \(format(body()))\n"
        case .histogram(let histogram):
            let snapshot = histogram.snapshot
            for (bound, count) in zip(histogram.buckets, snapshot.cumulative) {
                out += "\(name)_bucket\(labels.rendered([("le", format(bound))])) \(count)\n"
            }
            out += "\(name)_bucket\(labels.rendered([("le", "+Inf")])) \(snapshot.count)\n"
            out += "\(name)_sum\(labels.rendered([])) \(format(snapshot.sum))\n"
            out += "\(name)_count\(labels.rendered([])) \(snapshot.count)\n"
        }
    }
}

extension String {
    /// The string with every `target` scalar replaced; scalars, so a `\r\n` pair still has its newline found.
    fileprivate func replacingAll(_ target: Unicode.Scalar, with replacement: String) -> String {
        guard unicodeScalars.contains(target) else { return self }
        var out = ""
        for scalar in unicodeScalars {
            if scalar == target { out += replacement } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
