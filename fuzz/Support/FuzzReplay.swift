import Foundation

/// Runs a fuzz target's body outside libFuzzer: on each file named, or on each file of each folder named.
///
/// Built without `-DFUZZING`, every fuzz target's `main` calls this, so a crash file that libFuzzer wrote can be
/// replayed under the debugger or in a plain build: `swift run fuzz-json crash-1234`.
public enum FuzzReplay {
    /// Replays the command line's arguments through `body`, then exits: 0 when no input crashed it.
    public static func main(_ body: ([UInt8]) -> Void) -> Never {
        exit(run(CommandLine.arguments.dropFirst(), body))
    }

    /// Feeds every input found under `paths` to `body`; returns the process exit status.
    public static func run(_ paths: some Sequence<String>, _ body: ([UInt8]) -> Void) -> Int32 {
        var count = 0
        for path in paths {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    FileHandle.standardError.write(Data("cannot read \(file)\n".utf8))
                    return 1
                }
                body([UInt8](data))
                count += 1
            }
        }
        print("replayed \(count) input(s) without a crash")
        return 0
    }

    /// The file itself, or the regular files directly inside a folder, sorted by name.
    private static func files(at path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            return [path]
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { (path as NSString).appendingPathComponent($0) }
    }
}

/// The entry of every fuzz target. Built with `-DFUZZING`, libFuzzer drives `hook` with its own inputs; otherwise
/// the files named on the command line are replayed through `body`, so a crash file can be run again.
public enum FuzzMain {
    /// Runs the target; never returns.
    public static func run(
        _ hook: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt, replaying body: ([UInt8]) -> Void
    ) -> Never {
        #if FUZZING
            FuzzDriver.run(hook)
        #else
            FuzzReplay.main(body)
        #endif
    }
}

/// Copies libFuzzer's input into an array for a target's body.
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}
