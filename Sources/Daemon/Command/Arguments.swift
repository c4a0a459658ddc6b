/// A command line split into a command, its options and its positional arguments.
struct Arguments {
    /// Why the command line cannot be used; printed with the command's usage, exit 2.
    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    var options: [String: String] = [:]
    var flags: Set<String> = []
    var positional: [String] = []

    /// Parses `words` against the options that take a value and the flags that do not.
    init(_ words: some Sequence<String>, valued: Set<String>, flags known: Set<String>) throws(UsageError) {
        var iterator = words.makeIterator()
        while let word = iterator.next() {
            if word.hasPrefix("--") {
                var name = String(word.dropFirst(2))
                var inline: String?
                if let equals = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: equals)...])
                    name = String(name[..<equals])
                }
                if valued.contains(name) {
                    guard let value = inline ?? iterator.next() else {
                        throw UsageError(description: "--\(name) needs a value")
                    }
                    options[name] = value
                } else if known.contains(name) {
                    flags.insert(name)
                } else {
                    throw UsageError(description: "unknown option --\(name)")
                }
            } else if word == "-h" {
                flags.insert("help")
            } else {
                positional.append(word)
            }
        }
    }
}
