/// Reads and writes durations such as `90s`, `30m`, `2h`, `1d` and `1h30m`.
public enum Durations {
    /// Seconds per unit letter.
    static let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]

    /// The seconds `text` stands for, or nil when it is not a duration.
    public static func parse(_ text: String) -> Double? {
        var total = 0.0
        var number = ""
        var sawUnit = false
        for character in text {
            if character.isASCII, character.isNumber || character == "." {
                number.append(character)
            } else if let unit = units[character], let value = Double(number) {
                total += value * unit
                number = ""
                sawUnit = true
            } else {
                return nil
            }
        }
        return sawUnit && number.isEmpty ? total : nil
    }

    /// A duration written the way rules write it: `2h30m`, `-15m`, `0s`.
    public static func format(_ seconds: Double) -> String {
        if seconds < 0 { return "-" + format(-seconds) }
        var rest = Int(seconds.rounded())
        if rest == 0 { return "0s" }
        var text = ""
        for (letter, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            text += "\(rest / size)\(letter)"
            rest %= size
        }
        return text
    }
}
