import Crypto
import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Watches the rules folder with inotify and calls back once a burst of changes has settled.
///
/// Linux has no file-system dispatch source, so the inotify descriptor is read through a dispatch read source.
/// The folder's parent is watched too, so a folder that is removed and made again (or swapped in by a rename)
/// is watched again. Every change in the folder counts, whatever the file's name: the callback decides, by the
/// rule files' fingerprint, whether anything that matters changed (an editor's swap file does not).
final class RulesWatcher: @unchecked Sendable {
    private let descriptor: Int32
    private let source: DispatchSourceRead
    private let queue = DispatchQueue(label: "scrm-notify.rules-watcher")
    private let folder: String
    private let folderName: String
    private let settle: TimeInterval
    private let longest: TimeInterval
    private let changed: @Sendable () -> Void
    // Owned by `queue`.
    private var folderWatch: Int32 = -1
    private var pending: DispatchWorkItem?
    private var burstStarted: DispatchTime?
    private var stopped = false

    private static let folderMask = UInt32(
        IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF)
    private static let parentMask = UInt32(IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ONLYDIR)

    /// Starts watching `directory`; nil when inotify is unavailable or neither the folder nor its parent exists.
    /// - Parameters:
    ///   - settle: quiet time after the last change before `changed` runs.
    ///   - longest: the longest a steady stream of changes may hold the callback back.
    init?(
        directory: String, settle: TimeInterval = 0.3, longest: TimeInterval = 2,
        changed: @escaping @Sendable () -> Void
    ) {
        let path = URL(fileURLWithPath: directory).standardizedFileURL.path
        folder = path
        folderName = (path as NSString).lastPathComponent
        let parent = (path as NSString).deletingLastPathComponent
        self.settle = settle
        self.longest = longest
        self.changed = changed
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        let parentWatch = inotify_add_watch(fd, parent.isEmpty ? "/" : parent, Self.parentMask)
        folderWatch = inotify_add_watch(fd, path, Self.folderMask)
        guard parentWatch >= 0 || folderWatch >= 0 else {
            close(fd)
            return nil
        }
        descriptor = fd
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [weak self] in self?.readEvents() }
        source.setCancelHandler { [fd] in close(fd) }
        source.resume()
    }

    /// Stops watching; once it returns no callback runs (one already running is waited for).
    func stop() {
        queue.sync {
            guard !stopped else { return }
            stopped = true
            pending?.cancel()
            pending = nil
            source.cancel()
        }
    }

    /// Reads every queued inotify event; runs on `queue`.
    private func readEvents() {
        guard !stopped else { return }
        var relevant = false
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            buffer.withUnsafeBytes { bytes in
                var offset = 0
                // struct inotify_event: int wd; uint32_t mask, cookie, len; char name[len].
                while offset + 16 <= count {
                    let watch = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = bytes[(offset + 16)..<min(count, offset + 16 + length)].prefix { $0 != 0 }
                    let name = String(decoding: nameBytes, as: UTF8.self)
                    if handle(watch: watch, mask: mask, name: name) { relevant = true }
                    offset += 16 + length
                }
            }
        }
        if relevant { schedule() }
    }

    /// Follows the folder's own fate and says whether the event may change the rules.
    private func handle(watch: Int32, mask: UInt32, name: String) -> Bool {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 { return true }
        if watch == folderWatch {
            if mask & UInt32(IN_IGNORED) != 0 {
                folderWatch = -1
            } else if mask & UInt32(IN_MOVE_SELF) != 0 {
                // The watch would follow the moved folder; the parent's events tell when a new one takes its place.
                inotify_rm_watch(descriptor, folderWatch)
                folderWatch = -1
            }
            return true
        }
        guard name == folderName else { return false }
        if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
            if folderWatch >= 0 { inotify_rm_watch(descriptor, folderWatch) }
            folderWatch = inotify_add_watch(descriptor, folder, Self.folderMask)
        }
        return true
    }

    /// Editors write a file in several steps: wait for the burst to end, then call back once.
    private func schedule() {
        let now = DispatchTime.now()
        let started = burstStarted ?? now
        burstStarted = started
        pending?.cancel()
        let work = DispatchWorkItem { [weak self] in
            guard let self, !stopped else { return }
            pending = nil
            burstStarted = nil
            changed()
        }
        pending = work
        queue.asyncAfter(deadline: min(now + settle, started + longest), execute: work)
    }

    /// A digest of the `*.yaml` and `*.yml` files of `directory` (names and contents), or nil when the folder
    /// cannot be read; two equal fingerprints mean the same rule files.
    static func fingerprint(directory: String) -> [UInt8]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        var data: [UInt8] = []
        for name in names.filter({ $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }).sorted() {
            let contents = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(name))
            data += Array(name.utf8) + [0] + Digest.sha256(Array(contents ?? Data())) + [0]
        }
        return Digest.sha256(data)
    }
}
