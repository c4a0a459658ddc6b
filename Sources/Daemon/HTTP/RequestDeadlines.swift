import Foundation
import Synchronization

/// Cuts off clients that take too long to send a request.
///
/// libmicrohttpd's idle timeout starts over with every byte received, so a client sending one byte a second (a
/// slowloris) kept its connection for ever, and enough of them kept everyone else out. Here every connection has a
/// deadline for its next whole request: its opening, or the end of its previous answer, plus the limit. Once the
/// request is in, the deadline is off until the answer has gone out, so a push parked until its commit is never
/// cut off. A watch that runs several times per limit shuts down the socket of each connection past its deadline;
/// libmicrohttpd then reads the end of the stream and closes the connection as it closes any other, so the
/// descriptor is never closed behind its back. The watch pauses while no connection is open, so that an idle
/// daemon is not woken every second.
final class RequestDeadlines: @unchecked Sendable {
    /// One connection's socket and deadline; the connection's socket context.
    final class Watch: Sendable {
        let socket: Int32
        /// The monotonic nanosecond by which the next request must be in; 0 while none is awaited.
        let deadline: Atomic<UInt64>

        init(socket: Int32, deadline: UInt64) {
            self.socket = socket
            self.deadline = Atomic(deadline)
        }
    }

    private let limit: UInt64
    // `lock` guards `watches`, `timer` and `ticking`.
    private let lock = NSLock()
    private var watches: [ObjectIdentifier: Watch] = [:]
    private var timer: DispatchSourceTimer?
    /// Whether `timer` is resumed: only while connections are open.
    private var ticking = false

    /// Deadlines `limitSeconds` after each connection's opening or answer.
    init(limitSeconds: UInt32) {
        limit = UInt64(limitSeconds) * 1_000_000_000
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Starts watching a connection that has just opened on `socket`.
    func opened(socket: Int32) -> Watch {
        let watch = Watch(socket: socket, deadline: Self.now() + limit)
        lock.withLock {
            watches[ObjectIdentifier(watch)] = watch
            tick(!watches.isEmpty)
        }
        return watch
    }

    /// Stops watching a connection that libmicrohttpd is closing (before it closes the socket).
    func closed(_ watch: Watch) {
        lock.withLock {
            watches.removeValue(forKey: ObjectIdentifier(watch))
            tick(!watches.isEmpty)
        }
    }

    /// Whether the watch runs, for the tests: only while connections are open.
    var isWatching: Bool { lock.withLock { ticking } }

    /// Resumes or suspends the timer to match `wanted`; under `lock`. Suspensions and resumptions of a dispatch
    /// source must balance, hence `ticking`.
    private func tick(_ wanted: Bool) {
        guard let timer, wanted != ticking else { return }
        if wanted { timer.resume() } else { timer.suspend() }
        ticking = wanted
    }

    /// The connection's request is in: no deadline until its answer has gone.
    func arrived(_ watch: Watch) {
        watch.deadline.store(0, ordering: .relaxed)
    }

    /// The connection's answer has gone: the next request must be in within the limit.
    func answered(_ watch: Watch) {
        watch.deadline.store(Self.now() + limit, ordering: .relaxed)
    }

    /// Shuts down the socket of every connection past its deadline at `now`; returns how many.
    @discardableResult
    func cutOff(now: UInt64) -> Int {
        lock.withLock {
            var count = 0
            for watch in watches.values {
                let deadline = watch.deadline.load(ordering: .relaxed)
                guard deadline != 0, deadline < now else { continue }
                // Once: the connection may take a moment to close.
                guard watch.deadline.compareExchange(expected: deadline, desired: 0, ordering: .relaxed).exchanged
                else { continue }
                shutdown(watch.socket, Int32(SHUT_RDWR))
                count += 1
            }
            return count
        }
    }

    /// Watches four times per limit, at least once a second.
    func start() {
        let interval = min(1_000_000_000, max(limit / 4, 10_000_000))
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "scrm-http-deadlines"))
        timer.schedule(
            deadline: .now() + .nanoseconds(Int(interval)), repeating: .nanoseconds(Int(interval)),
            leeway: .nanoseconds(Int(interval / 10)))
        timer.setEventHandler { [weak self] in self?.cutOff(now: Self.now()) }
        lock.withLock {
            self.timer = timer
            ticking = false
            tick(!watches.isEmpty)
        }
    }

    /// Stops watching; call after the server has stopped.
    func stop() {
        lock.withLock {
            guard let timer else { return }
            // A suspended source must be resumed before it is cancelled, or it is never released.
            if !ticking { timer.resume() }
            timer.cancel()
            self.timer = nil
            ticking = false
        }
    }
}
