/// "Did you mean" hints by edit distance.
enum Suggestion {
    /// `; did you mean 'x'?` for the closest candidate within a few edits, or the empty string.
    /// - Parameter orList: when no candidate is close, list them all under this name (`(filters: a, b)`).
    static func didYouMean(_ word: String, among candidates: [String], orList: String? = nil) -> String {
        let limit = max(2, word.count / 3)
        let best = candidates.map { ($0, distance(word, $0)) }.filter { $0.1 <= limit }
            .min { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        if let best { return "; did you mean '\(best.0)'?" }
        guard let orList else { return "" }
        return " (\(orList): \(candidates.joined(separator: ", ")))"
    }

    /// The Levenshtein distance between two words.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = row
        }
        return previous[b.count]
    }
}
