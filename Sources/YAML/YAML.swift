import CYAML

/// Reads YAML text into `YAMLNode` trees through libyaml's event parser.
public enum YAML {
    /// How many nodes one document may hold once aliases are expanded; guards against "billion laughs".
    public static let maximumNodes = 100_000
    /// How deeply collections may nest.
    public static let maximumDepth = 64

    /// Parses the first document of `text`; nil when the text holds no document.
    /// - Parameter file: the name used in error messages.
    /// - Throws: a `YAMLError` at the position libyaml or the alias guard reports.
    public static func parse(_ text: String, file: String) throws(YAMLError) -> YAMLNode? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return nil }
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        let count = bytes.count
        let result: Result<YAMLNode?, YAMLError> = bytes.withUnsafeMutableBufferPointer { buffer in
            var reader = EventReader(file: file, lines: lines)
            guard reader.open(buffer.baseAddress!, count: count) else {
                return .failure(
                    YAMLError(file: file, mark: Mark(line: 1, column: 1), message: "cannot start the parser"))
            }
            defer { reader.close() }
            do throws(YAMLError) {
                return .success(try reader.readDocument())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// Pulls events from one libyaml parser and builds nodes; owned by a single `parse` call.
private struct EventReader {
    let file: String
    let lines: [[UInt8]]
    var parser = yaml_parser_t()
    var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    var nodeCount = 0

    init(file: String, lines: [[UInt8]]) {
        self.file = file
        self.lines = lines
    }

    mutating func open(_ base: UnsafeMutablePointer<UInt8>, count: Int) -> Bool {
        guard yaml_parser_initialize(&parser) == 1 else { return false }
        yaml_parser_set_input_string(&parser, base, count)
        return true
    }

    mutating func close() { yaml_parser_delete(&parser) }

    /// Reads up to the end of the first document.
    mutating func readDocument() throws(YAMLError) -> YAMLNode? {
        var event = try next()
        defer { yaml_event_delete(&event) }
        while event.type == YAML_STREAM_START_EVENT || event.type == YAML_DOCUMENT_START_EVENT {
            yaml_event_delete(&event)
            event = try next()
        }
        if event.type == YAML_STREAM_END_EVENT { return nil }
        return try node(from: &event, depth: 0).node
    }

    private mutating func next() throws(YAMLError) -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else { throw parserError() }
        return event
    }

    private func parserError() -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        var message = problem
        if let context = parser.context.map({ String(cString: $0) }) { message = "\(problem) \(context)" }
        let at = mark(parser.problem_mark)
        if at.line <= lines.count, lines[at.line - 1].dropFirst(at.column - 1).first == UInt8(ascii: "\t") {
            message += " (a tab: YAML indents with spaces only)"
        }
        return YAMLError(file: file, mark: at, message: message)
    }

    private func mark(_ raw: yaml_mark_t) -> Mark { Mark(line: Int(raw.line) + 1, column: Int(raw.column) + 1) }

    private func anchorName(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: UnsafePointer($0)) }
    }

    /// Builds the node that `event` starts, consuming events up to its end; returns it with its size.
    private mutating func node(from event: inout yaml_event_t, depth: Int) throws(YAMLError) -> (
        node: YAMLNode, size: Int
    ) {
        let start = mark(event.start_mark)
        guard depth < YAML.maximumDepth else {
            throw YAMLError(file: file, mark: start, message: "collections nest more than \(YAML.maximumDepth) deep")
        }
        var anchor: String?
        var built: (node: YAMLNode, size: Int)
        switch event.type {
        case YAML_ALIAS_EVENT:
            let name = anchorName(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                throw YAMLError(file: file, mark: start, message: "unknown alias *\(name)")
            }
            built = target
        case YAML_SCALAR_EVENT:
            anchor = anchorName(event.data.scalar.anchor)
            built = (.scalar(scalar(event, at: start)), 1)
        case YAML_SEQUENCE_START_EVENT:
            anchor = anchorName(event.data.sequence_start.anchor)
            built = try sequence(at: start, depth: depth)
        case YAML_MAPPING_START_EVENT:
            anchor = anchorName(event.data.mapping_start.anchor)
            built = try mapping(at: start, depth: depth)
        default:
            throw YAMLError(file: file, mark: start, message: "unexpected YAML event")
        }
        nodeCount += built.size
        guard nodeCount <= YAML.maximumNodes else {
            throw YAMLError(
                file: file, mark: start,
                message: "document expands to more than \(YAML.maximumNodes) nodes (aliases repeated too often)")
        }
        if let anchor { anchors[anchor] = built }
        return built
    }

    private mutating func sequence(at start: Mark, depth: Int) throws(YAMLError) -> (node: YAMLNode, size: Int) {
        var items: [YAMLNode] = []
        var size = 1
        while true {
            var event = try next()
            defer { yaml_event_delete(&event) }
            if event.type == YAML_SEQUENCE_END_EVENT { break }
            let item = try node(from: &event, depth: depth + 1)
            items.append(item.node)
            size += item.size
        }
        return (.sequence(items, mark: start), size)
    }

    private mutating func mapping(at start: Mark, depth: Int) throws(YAMLError) -> (node: YAMLNode, size: Int) {
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var size = 1
        while true {
            var keyEvent = try next()
            defer { yaml_event_delete(&keyEvent) }
            if keyEvent.type == YAML_MAPPING_END_EVENT { break }
            let key = try node(from: &keyEvent, depth: depth + 1)
            var valueEvent = try next()
            defer { yaml_event_delete(&valueEvent) }
            let value = try node(from: &valueEvent, depth: depth + 1)
            pairs.append((key.node, value.node))
            size += key.size + value.size
        }
        return (.mapping(pairs, mark: start), size)
    }

    private func scalar(_ event: yaml_event_t, at start: Mark) -> YAMLScalar {
        let data = event.data.scalar
        let value =
            data.value.map {
                String(decoding: UnsafeBufferPointer(start: $0, count: Int(data.length)), as: UTF8.self)
            } ?? ""
        let style: ScalarStyle
        var content = start
        switch data.style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE:
            style = .singleQuoted
            content = Mark(line: start.line, column: start.column + 1)
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
            style = .doubleQuoted
            content = Mark(line: start.line, column: start.column + 1)
        case YAML_LITERAL_SCALAR_STYLE:
            style = .literal
            content = blockContentMark(after: start)
        case YAML_FOLDED_SCALAR_STYLE:
            style = .folded
            content = blockContentMark(after: start)
        default: style = .plain
        }
        return YAMLScalar(value: value, style: style, mark: start, contentMark: content)
    }

    /// The first non-blank line after a block indicator, at its indentation; libyaml reports only the indicator.
    private func blockContentMark(after indicator: Mark) -> Mark {
        var index = indicator.line
        while index < lines.count {
            let line = lines[index]
            if let first = line.firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) {
                return Mark(line: index + 1, column: first + 1)
            }
            index += 1
        }
        return indicator
    }
}
