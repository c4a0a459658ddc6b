import Foundation
import TestKit
import Testing

@testable import Storage

/// The store's threads carry names the system shows (`top -H`, `ps -L`, /proc), so that an operator can tell
/// which one is busy.
@Suite struct ThreadNames {
    let folder = TemporaryFolder()

    @Test func theCommitterTheSyncerAndTheCheckpointerAreNamedForTheSystem() throws {
        let store = try Store(directory: folder.path)
        defer { store.close() }
        _ = try store.accept(event("n1"))
        let names = waitForThreadNames(["store-commit", "store-sync", "store-ckpt"])
        #expect(names.isSuperset(of: ["store-commit", "store-sync", "store-ckpt"]), "threads: \(names.sorted())")
    }
}
