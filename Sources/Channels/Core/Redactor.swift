/// Removes secrets from text meant for people: outcome reasons, error descriptions, logs.
struct Redactor: Sendable {
    /// The secret values this channel was configured with, longest first so a secret that contains another is
    /// replaced whole.
    private let secrets: [String]

    /// Makes a redactor for `secrets`; empty values are ignored.
    init(_ secrets: [String]) {
        self.secrets = Array(Set(secrets.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    /// `text` with every secret replaced by `***` and every url's query string dropped.
    func scrub(_ text: String) -> String {
        var out = text
        for secret in secrets where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: "***")
        }
        return Redactor.dropQueries(out)
    }

    /// `url` as `scheme://host/path`, without query, fragment or credentials.
    static func describe(_ url: String) -> String {
        var rest = Substring(url)
        var scheme = ""
        if let range = rest.range(of: "://") {
            scheme = String(rest[..<range.lowerBound]) + "://"
            rest = rest[range.upperBound...]
        }
        if let cut = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<cut] }
        if let slash = rest.firstIndex(of: "/"), let at = rest[..<slash].lastIndex(of: "@") {
            rest = rest[rest.index(after: at)...]
        } else if rest.firstIndex(of: "/") == nil, let at = rest.lastIndex(of: "@") {
            rest = rest[rest.index(after: at)...]
        }
        return scheme + rest
    }

    /// The secrets a url carries: its query values, and its user info.
    static func secrets(inURL url: String) -> [String] {
        var found: [String] = []
        if let question = url.firstIndex(of: "?") {
            let query = url[url.index(after: question)...].split(separator: "#").first ?? ""
            for pair in query.split(separator: "&") {
                if let equals = pair.firstIndex(of: "=") {
                    let value = String(pair[pair.index(after: equals)...])
                    found.append(value)
                    if let decoded = value.removingPercentEncoding, decoded != value { found.append(decoded) }
                }
            }
        }
        if let scheme = url.range(of: "://") {
            let authority = url[scheme.upperBound...].prefix { $0 != "/" }
            if let at = authority.lastIndex(of: "@") { found.append(String(authority[..<at])) }
        }
        return found
    }

    private static func dropQueries(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var out = ""
        var index = text.startIndex
        while let range = text[index...].range(of: "://") {
            let wordStart = text[index..<range.lowerBound].lastIndex { !$0.isLetter && !$0.isNumber } ?? nil
            let start = wordStart.map { text.index(after: $0) } ?? index
            let end = text[range.upperBound...].firstIndex { $0 == " " || $0 == "\"" || $0 == "'" } ?? text.endIndex
            out += text[index..<start] + describe(String(text[start..<end]))
            index = end
        }
        return out + text[index...]
    }
}
