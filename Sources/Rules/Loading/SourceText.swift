import YAML

/// The lines of a rule file, to turn an offset inside a scalar's value into a file position.
struct SourceText {
    let file: String
    let lines: [[Unicode.Scalar]]

    init(file: String, text: String) {
        self.file = file
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
    }

    func diagnostic(_ mark: Mark, _ message: String) -> Diagnostic {
        Diagnostic(file: file, line: mark.line, column: mark.column, message: message)
    }

    func diagnostic(_ node: YAMLNode, _ message: String) -> Diagnostic { diagnostic(node.mark, message) }

    /// A diagnostic at scalar offset `offset` of the scalar's value.
    func diagnostic(_ scalar: YAMLScalar, offset: Int, _ message: String) -> Diagnostic {
        diagnostic(position(in: scalar, offset: offset), message)
    }

    /// Where the value's `offset`-th scalar was written: exact for single-line plain and quoted scalars (escapes
    /// included) and for literal blocks; other multi-line forms fold lines, so only their line is a guess.
    func position(in scalar: YAMLScalar, offset: Int) -> Mark {
        let start = scalar.contentMark
        switch scalar.style {
        case .literal, .folded:
            let value = Array(scalar.value.unicodeScalars.prefix(offset))
            let lineIndex = value.filter { $0 == "\n" }.count
            let column = value.count - (value.lastIndex(of: "\n").map { $0 + 1 } ?? 0)
            return Mark(line: start.line + lineIndex, column: start.column + column)
        case .doubleQuoted, .singleQuoted:
            guard start.line - 1 < lines.count else { return start }
            let line = lines[start.line - 1]
            var column = start.column - 1
            var consumed = 0
            while consumed < offset, column < line.count {
                column += sourceWidth(of: line, at: column, style: scalar.style)
                consumed += 1
            }
            return Mark(line: start.line, column: column + 1)
        case .plain:
            return Mark(line: start.line, column: start.column + offset)
        }
    }

    /// How many source characters write one value character at `index`.
    private func sourceWidth(of line: [Unicode.Scalar], at index: Int, style: ScalarStyle) -> Int {
        let next = index + 1 < line.count ? line[index + 1] : " "
        if style == .singleQuoted { return line[index] == "'" && next == "'" ? 2 : 1 }
        guard line[index] == "\\" else { return 1 }
        switch next {
        case "x": return 4
        case "u": return 6
        case "U": return 10
        default: return 2
        }
    }
}
