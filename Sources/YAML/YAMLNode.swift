/// A position in a YAML text, 1-based as editors show it.
public struct Mark: Sendable, Hashable, CustomStringConvertible {
    /// The line, counting from 1.
    public let line: Int
    /// The column, counting characters from 1.
    public let column: Int

    /// A mark at `line` and `column`, both 1-based.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// How a scalar was written, which tells a reader whether `10` was meant as text.
public enum ScalarStyle: Sendable, Hashable {
    case plain
    case singleQuoted
    case doubleQuoted
    /// A `|` block.
    case literal
    /// A `>` block.
    case folded
}

/// A scalar's text with where it was written.
public struct YAMLScalar: Sendable, Hashable {
    /// The scalar's value after YAML unescaping and folding.
    public let value: String
    public let style: ScalarStyle
    /// Where the scalar starts (its opening quote or block indicator).
    public let mark: Mark
    /// Where the value's first character was written: after the quote, or on the first line of a block.
    public let contentMark: Mark

    /// A scalar; `contentMark` defaults to `mark`.
    public init(value: String, style: ScalarStyle, mark: Mark, contentMark: Mark? = nil) {
        self.value = value
        self.style = style
        self.mark = mark
        self.contentMark = contentMark ?? mark
    }
}

/// One node of a YAML document: a scalar, a sequence or a mapping that keeps its keys in order.
public indirect enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case sequence([YAMLNode], mark: Mark)
    case mapping([(key: YAMLNode, value: YAMLNode)], mark: Mark)

    /// Where the node starts.
    public var mark: Mark {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .sequence(_, let mark), .mapping(_, let mark): mark
        }
    }

    /// The scalar, or nil for a collection.
    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = self { return scalar }
        return nil
    }

    /// The scalar's text, or nil for a collection.
    public var string: String? { scalar?.value }

    /// The items of a sequence, or nil.
    public var items: [YAMLNode]? {
        if case .sequence(let items, _) = self { return items }
        return nil
    }

    /// The key-value pairs of a mapping in written order, or nil.
    public var mappingPairs: [(key: YAMLNode, value: YAMLNode)]? {
        if case .mapping(let pairs, _) = self { return pairs }
        return nil
    }

    /// The value of the first pair whose key is the scalar `key`, or nil (also for a node that is no mapping).
    public subscript(key: String) -> YAMLNode? {
        mappingPairs?.first { $0.key.string == key }?.value
    }

    /// A short name of the node's kind, for messages ("a mapping").
    public var kindName: String {
        switch self {
        case .scalar: "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }

    /// How many nodes this tree holds, counting itself.
    var size: Int {
        switch self {
        case .scalar: 1
        case .sequence(let items, _): items.reduce(1) { $0 + $1.size }
        case .mapping(let pairs, _): pairs.reduce(1) { $0 + $1.key.size + $1.value.size }
        }
    }
}
