import CCurl
import Foundation

/// Performs outbound requests (HTTP and SMTP) through libcurl's multi interface on a thread of its own: many
/// transfers run at once over reused connections, and a slow endpoint holds up only its own transfers.
public final class HTTPClient: @unchecked Sendable {
    /// Connections open at once to one host; further sends to it wait for one to come free.
    public static let maxConnectionsPerHost = 64

    /// A client shared by the whole process.
    public static let shared = HTTPClient()

    private let loop: CurlLoop

    /// Starts a client and its transfer thread.
    public init() {
        CurlGlobal.initialize()
        loop = CurlLoop()
        loop.start()
    }

    deinit { loop.stop() }

    /// Performs `request` and calls `completion` with its result on the client's thread; keep it short.
    public func perform(_ request: OutboundRequest, completion: @escaping @Sendable (TransportResult) -> Void) {
        loop.submit(Transfer(request: request, completion: completion))
    }

    /// Performs `request` and returns its result.
    public func perform(_ request: OutboundRequest) async -> TransportResult {
        await withCheckedContinuation { continuation in
            perform(request) { continuation.resume(returning: $0) }
        }
    }
}

/// `curl_global_init`, run once per process before the first handle is made.
enum CurlGlobal {
    private static let done: Bool = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
        return true
    }()

    /// Initializes libcurl if it was not yet.
    static func initialize() { _ = done }
}

/// The multi handle and the thread that drives it.
final class CurlLoop: @unchecked Sendable {
    // Owned by the loop thread, except `curl_multi_wakeup`, which libcurl allows from any thread and which is
    // called only under `lock` while `closed` is false, so never after the handle is cleaned up.
    private let multi: UnsafeMutableRawPointer
    private let lock = NSLock()
    // Guarded by `lock`.
    private var pending: [Transfer] = []
    private var stopping = false
    private var closed = false
    /// Easy handles of finished transfers, reset, for the next ones (loop thread only). Making and cleaning up a
    /// handle for each send was 2 % of the daemon's instructions under load; a reset costs a fraction of that
    /// and keeps nothing of the last transfer's options.
    private var spareHandles: [UnsafeMutableRawPointer] = []

    init() {
        multi = curl_multi_init()!
        // Keep a generous pool of idle connections so bursts to one host reuse them.
        _ = scrm_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 64)
        // Transfers beyond this many to one host wait in libcurl for a connection to come free. Without a cap,
        // 256 sends in flight opened 256 connections to one loopback sink, which then answered each in hundreds
        // of milliseconds. The cap is high enough that a rate-limited channel whose endpoint hangs does not
        // queue sends here (they would leave in a burst when the hung ones time out, past the rate limit): at
        // 16, a 10/s channel with a 2 s timeout reached 15 sends in one second at the sink.
        _ = scrm_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, HTTPClient.maxConnectionsPerHost)
    }

    /// Starts the thread.
    func start() {
        // Named from inside: on Linux, Foundation gives the system a name set before the start to no one.
        let thread = Thread { [self] in
            Thread.current.name = "scrm-curl"
            run()
        }
        thread.start()
    }

    /// Queues `transfer`, or fails it at once when the loop has stopped.
    func submit(_ transfer: Transfer) {
        let accepted = lock.withLock {
            guard !closed else { return false }
            // Transfers already waiting mean a wake-up is already on its way: the thread takes them all at once.
            if pending.isEmpty { curl_multi_wakeup(multi) }
            pending.append(transfer)
            return true
        }
        if !accepted { transfer.finish(.failure(code: -1, message: "the HTTP client has stopped", timedOut: false)) }
    }

    /// Asks the thread to fail what is in flight and end.
    func stop() {
        lock.withLock {
            stopping = true
            if !closed { curl_multi_wakeup(multi) }
        }
    }

    private func run() {
        var active: [Transfer] = []
        while true {
            let (incoming, stop) = lock.withLock {
                let taken = pending
                pending = []
                if stopping { closed = true }
                return (taken, stopping)
            }
            if stop {
                for transfer in active + incoming {
                    curl_multi_remove_handle(multi, transfer.easy)
                    transfer.finish(.failure(code: -1, message: "the HTTP client has stopped", timedOut: false))
                }
                break
            }
            for transfer in incoming {
                if let failure = transfer.prepare(spareHandles.popLast() ?? curl_easy_init()) {
                    transfer.finish(failure)
                } else {
                    curl_multi_add_handle(multi, transfer.easy)
                    active.append(transfer)
                }
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            collectFinished(&active)
            var ready: Int32 = 0
            // libcurl shortens the wait for its own timers and `submit` wakes it, so an idle client sleeps long:
            // an idle daemon should not wake every second.
            curl_multi_poll(multi, nil, 0, active.isEmpty ? 60_000 : 1000, &ready)
        }
        for handle in spareHandles { curl_easy_cleanup(handle) }
        spareHandles = []
        curl_multi_cleanup(multi)
    }

    private func collectFinished(_ active: inout [Transfer]) {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            guard let index = active.firstIndex(where: { $0.easy == easy }) else { continue }
            let transfer = active.remove(at: index)
            curl_multi_remove_handle(multi, easy)
            let result = transfer.result(code)
            recycle(transfer.detach())
            transfer.finish(result)
        }
    }

    /// Resets `handle` and keeps it for a later transfer, up to as many as connections are kept.
    private func recycle(_ handle: UnsafeMutableRawPointer?) {
        guard let handle else { return }
        if spareHandles.count < HTTPClient.maxConnectionsPerHost {
            curl_easy_reset(handle)
            spareHandles.append(handle)
        } else {
            curl_easy_cleanup(handle)
        }
    }
}
