import Foundation

/// Inputs shared by the rule-level fuzz targets, read from the package's own files.
public enum FuzzFixtures {
    /// The package's root folder, found from this source file.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The bytes of `path`, relative to the package root; stops the run when it is missing.
    public static func bytes(_ path: String) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: packageRoot.appendingPathComponent(path).path) else {
            fatalError("fuzz fixture \(path) is missing")
        }
        return [UInt8](data)
    }

    /// `text` as a YAML double-quoted scalar that reads back exactly, whatever characters it holds.
    public static func yamlQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case " "..."~": out.unicodeScalars.append(scalar)
            default:
                out +=
                    "\\U" + String(repeating: "0", count: 8 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            }
        }
        return out + "\""
    }
}
