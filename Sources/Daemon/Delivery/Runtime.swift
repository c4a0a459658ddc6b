import Channels
import Foundation
import Rules

/// What a reload replaces as one: the compiled rules and the channels they send through.
struct Runtime: Sendable {
    let rules: RuleSet
    let channels: [String: any Channel]
    let loadedAt: Date
}

/// Holds the running rules and channels; a reload swaps them in one step.
final class RuntimeHolder: @unchecked Sendable {
    // `lock` guards `runtime`.
    private let lock = NSLock()
    private var runtime: Runtime

    init(_ runtime: Runtime) { self.runtime = runtime }

    var current: Runtime { lock.withLock { runtime } }

    func replace(with runtime: Runtime) { lock.withLock { self.runtime = runtime } }
}
