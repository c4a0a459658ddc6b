/// A problem in a rule file, with where it is.
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file as it was named when loading.
    public let file: String
    /// 1-based line.
    public let line: Int
    /// 1-based column.
    public let column: Int
    /// What is wrong.
    public let message: String

    /// A problem at `line`:`column` of `file`.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Every problem found while loading rules; a load with any problem yields no rules.
public struct RuleErrors: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problems in file order.
    public let diagnostics: [Diagnostic]

    /// Problems to report together.
    public init(diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    /// The problems, one `file:line:column: message` per line.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
