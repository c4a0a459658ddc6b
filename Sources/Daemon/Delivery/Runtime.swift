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
    // `lock` guards `runtime` and `generation`.
    private let lock = NSLock()
    private var runtime: Runtime
    private var generation = 0

    init(_ runtime: Runtime) { self.runtime = runtime }

    var current: Runtime { lock.withLock { runtime } }

    /// The running rules and channels with the number of reloads that replaced them before, which tells a plan
    /// made with them whether they are still the running ones.
    var versioned: (runtime: Runtime, generation: Int) { lock.withLock { (runtime, generation) } }

    /// The number of reloads so far.
    var currentGeneration: Int { lock.withLock { generation } }

    func replace(with runtime: Runtime) {
        lock.withLock {
            self.runtime = runtime
            generation += 1
        }
    }
}
