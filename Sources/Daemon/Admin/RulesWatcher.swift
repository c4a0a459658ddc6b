import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Watches the rules folder with inotify and calls back once a burst of changes has settled.
///
/// Linux has no file-system dispatch source, so the inotify descriptor is read through a dispatch read source.
final class RulesWatcher: @unchecked Sendable {
    private let descriptor: Int32
    private let source: DispatchSourceRead
    // Owned by `queue`.
    private var pending: DispatchWorkItem?
    private let queue = DispatchQueue(label: "scrm-notify.rules-watcher")

    /// Starts watching `directory`; nil when inotify is unavailable or the folder does not exist.
    init?(directory: String, settle: TimeInterval = 0.3, changed: @escaping @Sendable () -> Void) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        let mask = UInt32(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM)
        guard inotify_add_watch(fd, directory, mask) >= 0 else {
            close(fd)
            return nil
        }
        descriptor = fd
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [unowned self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while read(descriptor, &buffer, buffer.count) > 0 {}
            // Editors write a file in several steps: wait for the burst to end, then reload once.
            pending?.cancel()
            let work = DispatchWorkItem(block: changed)
            pending = work
            queue.asyncAfter(deadline: .now() + settle, execute: work)
        }
        source.setCancelHandler { [fd] in close(fd) }
        source.resume()
    }

    func stop() {
        queue.sync { pending?.cancel() }
        source.cancel()
    }
}
