import Foundation
import Testing

@testable import Storage

/// The store's threads carry names the system shows (`top -H`, `ps -L`, /proc), so that an operator can tell
/// which one is busy.
@Suite struct ThreadNames {
    let folder = TemporaryFolder()

    @Test func theCommitterAndTheCheckpointerAreNamedForTheSystem() throws {
        let store = try Store(directory: folder.path)
        defer { store.close() }
        _ = try store.accept(event("n1"))
        var names: Set<String> = []
        let deadline = Date() + 5
        while !names.isSuperset(of: ["store-commit", "store-ckpt"]) && Date() < deadline {
            names = Self.threadNames()
            usleep(10_000)
        }
        #expect(names.isSuperset(of: ["store-commit", "store-ckpt"]), "threads: \(names.sorted())")
    }

    /// The names of this process's threads, as the system has them.
    static func threadNames() -> Set<String> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return Set(
            tasks.compactMap {
                try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8)
                    .trimmingCharacters(in: .newlines)
            })
    }
}
