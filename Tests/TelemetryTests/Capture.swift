import Foundation
import Telemetry

/// Collects the lines a sink writes, from any thread.
final class Capture: @unchecked Sendable {
    // `lock` guards `storage`.
    private let lock = NSLock()
    private var storage: [String] = []

    var lines: [String] { lock.withLock { storage } }

    func append(_ line: String) { lock.withLock { storage.append(line) } }

    /// A sink writing into this capture, with a clock fixed half a millisecond after 2026-12-03T10:00:00.123Z.
    func sink(_ format: LogFormat, level: LogLevel = .debug) -> LogSink {
        LogSink(format: format, level: level, now: { Date(timeIntervalSince1970: 1_796_292_000.1235) }) {
            self.append($0)
        }
    }
}

/// Reads a logfmt line back into ordered pairs, undoing the quoting.
enum Logfmt {
    static func parse(_ line: String) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        var scalars = Array(line.unicodeScalars)[...]
        while !scalars.isEmpty {
            while scalars.first == " " { scalars.removeFirst() }
            var key = ""
            while let next = scalars.first, next != "=" { key.unicodeScalars.append(scalars.removeFirst()) }
            scalars.removeFirst()
            var value = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                while let next = scalars.popFirst(), next != "\"" {
                    guard next == "\\" else {
                        value.unicodeScalars.append(next)
                        continue
                    }
                    switch scalars.removeFirst() {
                    case "n": value += "\n"
                    case "r": value += "\r"
                    case "t": value += "\t"
                    case "u":
                        let hex = String(String.UnicodeScalarView(scalars.prefix(4)))
                        scalars.removeFirst(4)
                        value.unicodeScalars.append(Unicode.Scalar(UInt32(hex, radix: 16)!)!)
                    case let other: value.unicodeScalars.append(other)
                    }
                }
            } else {
                while let next = scalars.first, next != " " { value.unicodeScalars.append(scalars.removeFirst()) }
            }
            pairs.append((key, value))
        }
        return pairs
    }
}
