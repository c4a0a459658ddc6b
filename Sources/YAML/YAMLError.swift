/// A YAML text that could not be read, with where.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file name used in messages.
    public let file: String
    /// 1-based line.
    public let line: Int
    /// 1-based column.
    public let column: Int
    /// What is wrong, in libyaml's words or ours.
    public let message: String

    /// An error at `mark` of `file`.
    public init(file: String, mark: Mark, message: String) {
        self.file = file
        self.line = mark.line
        self.column = mark.column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}
