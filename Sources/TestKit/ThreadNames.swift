import Foundation

/// The names of this process's threads as the system has them (`/proc/self/task/*/comm`, what `top -H` shows).
public func systemThreadNames() -> Set<String> {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return Set(
        tasks.compactMap {
            try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8).trimmingCharacters(in: .newlines)
        })
}

/// Waits up to `seconds` until every name in `wanted` is among the process's thread names; returns the names seen
/// last.
public func waitForThreadNames(_ wanted: Set<String>, seconds: Double = 5) -> Set<String> {
    let deadline = Date() + seconds
    var names = systemThreadNames()
    while !names.isSuperset(of: wanted) && Date() < deadline {
        usleep(10_000)
        names = systemThreadNames()
    }
    return names
}
