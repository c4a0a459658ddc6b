import CMicroHTTPD
import Foundation

/// Why the HTTP server could not start.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// An HTTP/1.1 server on libmicrohttpd: a pool of threads, each polling its share of the connections with epoll.
///
/// A handler that must wait (a push waits for its grouped commit) answers `.later`: its connection is parked
/// (libmicrohttpd's suspend and resume) and the thread goes on serving the others, so every push in flight can
/// share one commit without a thread each. A handler that answers `.now` holds its thread meanwhile.
public final class HTTPServer: @unchecked Sendable {
    /// Answers one request; called on one of the pool's threads, possibly several at once.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPReply

    /// Limits that protect the server from slow, idle and oversized clients.
    public struct Limits: Sendable {
        /// Largest request body; a larger one is answered 413.
        public var maxBodyBytes = 1 << 20
        /// Seconds a connection may stay idle before it is closed.
        public var idleTimeoutSeconds: UInt32 = 30
        /// Seconds a client has to send a whole request, from the connection's opening or the end of the previous
        /// answer on it; then the connection is closed. The idle timeout starts over with every byte, so a client
        /// sending a byte a second is closed only by this (`RequestDeadlines`).
        public var requestTimeoutSeconds: UInt32 = 30
        /// Most connections open at once. At 1,024, a client holding that many idle connections kept everyone
        /// else out until the idle timeout; libmicrohttpd's epoll mode holds many more for little memory.
        public var maxConnections: UInt32 = 8192
        /// Most connections open at once from one client address (0: no limit of its own). One client holding
        /// idle connections up to `maxConnections` kept everyone else out until they timed out; with this, it
        /// keeps out only itself. A reverse proxy in front holds far fewer than this.
        public var maxConnectionsPerAddress: UInt32 = 1024
        /// Memory per connection for headers and buffering; requests with larger headers get 431. libmicrohttpd
        /// clears the whole of it after every request: at 64 kB that was 2.3 % of the HTTP threads' time under load,
        /// at 16 kB 0.3 %.
        public var connectionMemoryBytes = 16 * 1024
        /// Threads serving connections. Parked connections hold none, so one per core does.
        public var threads: UInt32 = 2

        public init() {}
    }

    let handler: Handler
    let limits: Limits
    let tooLarge: @Sendable (HTTPRequest) -> HTTPResponse
    let deadlines: RequestDeadlines
    // Written once in start() and stop(); both run on the owner's thread.
    private var daemon: OpaquePointer?
    private var retained: Unmanaged<HTTPServer>?
    /// Connections parked until their answer comes; `stop()` waits for them, since libmicrohttpd must not stop
    /// with a connection suspended.
    let parked = ParkedCount()

    /// Creates a server; `tooLarge` builds the answer to a body over the limit.
    public init(
        limits: Limits = Limits(),
        tooLarge: @escaping @Sendable (HTTPRequest) -> HTTPResponse = { _ in .text(413, "request body too large") },
        replying handler: @escaping Handler
    ) {
        self.limits = limits
        self.tooLarge = tooLarge
        self.handler = handler
        deadlines = RequestDeadlines(limitSeconds: limits.requestTimeoutSeconds)
    }

    /// Creates a server whose handler always answers at once.
    public convenience init(
        limits: Limits = Limits(),
        tooLarge: @escaping @Sendable (HTTPRequest) -> HTTPResponse = { _ in .text(413, "request body too large") },
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) {
        self.init(limits: limits, tooLarge: tooLarge, replying: { .now(handler($0)) })
    }

    deinit { stop() }

    /// Starts listening on `host` (an IP literal; "" for every address) and `port` (0 picks a free one).
    public func start(host: String, port: UInt16) throws(HTTPServerError) {
        let flags =
            MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_USE_ITC.rawValue
            | MHD_ALLOW_SUSPEND_RESUME.rawValue
        let context = Unmanaged.passRetained(self)
        let started = scrm_mhd_start(
            flags, port, host, httpAccess, context.toOpaque(), httpCompleted, context.toOpaque(), httpNotify,
            context.toOpaque(), limits.idleTimeoutSeconds, limits.connectionMemoryBytes,
            Self.connectionLimit(limits.maxConnections),
            limits.maxConnectionsPerAddress, limits.threads)
        guard let started else {
            context.release()
            throw HTTPServerError(description: "cannot listen on \(host):\(port): \(String(cString: strerror(errno)))")
        }
        daemon = started
        retained = context
        deadlines.start()
    }

    /// The port the server listens on.
    public var port: UInt16 { daemon.map { scrm_mhd_port($0) } ?? 0 }

    /// File descriptors kept free of connections, for the store, outbound sends and the rules folder.
    static let reservedDescriptors: rlim_t = 256

    /// `wanted`, or fewer when the process may not open that many files: the soft limit is raised toward the
    /// hard one first (systemd starts services at 1,024).
    static func connectionLimit(_ wanted: UInt32) -> UInt32 {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return min(wanted, 768) }
        let needed = rlim_t(wanted) + reservedDescriptors
        if limit.rlim_cur < needed {
            var raised = limit
            raised.rlim_cur = min(needed, limit.rlim_max)
            if setrlimit(RLIMIT_NOFILE_VALUE, &raised) == 0 { limit = raised }
        }
        let usable = limit.rlim_cur > reservedDescriptors ? limit.rlim_cur - reservedDescriptors : 64
        return UInt32(min(rlim_t(wanted), usable))
    }

    /// Stops accepting connections, lets requests in progress finish, and frees the server.
    public func stop() {
        guard let daemon else { return }
        self.daemon = nil
        _ = MHD_quiesce_daemon(daemon)
        // Every parked answer comes after at most one commit; the limit only guards against a handler that
        // never answers. From here on, a request on a connection kept alive is answered without parking.
        parked.close(deadline: Date() + 30)
        MHD_stop_daemon(daemon)
        deadlines.stop()
        retained?.release()
        retained = nil
    }

    /// Stops accepting new connections while those open go on; `stop()` finishes the job.
    public func quiesce() {
        if let daemon { _ = MHD_quiesce_daemon(daemon) }
    }
}

/// The resource id of the open-files limit, in the type `getrlimit` takes here.
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)

/// What one connection has received so far; owned by that connection's thread, but for `answer`.
final class PendingRequest: @unchecked Sendable {
    var body: [UInt8] = []
    var overflow = false
    /// A parked request's answer, set by whichever thread answers it before it resumes the connection;
    /// libmicrohttpd's resume takes a lock that orders the write before the connection's thread reads it.
    var answer: HTTPResponse?
    /// Whether the connection is suspended and counted in the server's `parked`; owned by the connection's thread.
    var parked = false
    /// Whether the request went to the handler; a later call for the same request must not start it again.
    var handled = false
}

/// How many connections are parked, and whether parking is still allowed.
final class ParkedCount: @unchecked Sendable {
    private let condition = NSCondition()
    private var count = 0
    private var closed = false

    /// Counts one more parked connection; false once the server is stopping, when none may be parked.
    func enter() -> Bool {
        condition.withLock {
            guard !closed else { return false }
            count += 1
            return true
        }
    }

    func remove() {
        condition.withLock {
            count -= 1
            if count == 0 { condition.broadcast() }
        }
    }

    /// Allows no more parking, then waits until every parked connection has been resumed or `deadline` passed.
    func close(deadline: Date) {
        condition.lock()
        closed = true
        while count > 0 && condition.wait(until: deadline) {}
        condition.unlock()
    }
}

/// A connection handle carried to the thread that answers it.
private struct ParkedConnection: @unchecked Sendable {
    let handle: OpaquePointer
}

private func httpAccess(
    _ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?, _ url: UnsafePointer<CChar>?,
    _ method: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?, _ uploadData: UnsafePointer<CChar>?,
    _ uploadSize: UnsafeMutablePointer<Int>?, _ requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let cls, let connection, let requestContext, let uploadSize else { return MHD_Result.NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
    guard let stateRaw = requestContext.pointee else {
        let state = PendingRequest()
        requestContext.pointee = Unmanaged.passRetained(state).toOpaque()
        // A declared length over the limit is refused before any of the body is read; one within it is the room
        // the body needs, taken at once instead of growing with each piece libmicrohttpd hands over. Up to 64 KiB
        // only: a client that declares a megabyte and sends nothing should not hold a megabyte per connection.
        if let length = lookup(connection, .HEADER_KIND, "Content-Length").flatMap(Int.init) {
            if length > server.limits.maxBodyBytes {
                state.overflow = true
                watch(of: connection).map { server.deadlines.arrived($0) }
                let request = makeRequest(connection, url, method, body: [])
                return send(server.tooLarge(request), on: connection)
            }
            state.body.reserveCapacity(min(max(0, length), 65536))
        }
        return MHD_Result.YES
    }
    let state = Unmanaged<PendingRequest>.fromOpaque(stateRaw).takeUnretainedValue()
    if uploadSize.pointee > 0 {
        if !state.overflow, let uploadData {
            if state.body.count + uploadSize.pointee > server.limits.maxBodyBytes {
                state.overflow = true
                state.body = []
            } else {
                uploadData.withMemoryRebound(to: UInt8.self, capacity: uploadSize.pointee) {
                    state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: uploadSize.pointee))
                }
            }
        }
        uploadSize.pointee = 0
        return MHD_Result.YES
    }
    // The whole request is in.
    watch(of: connection).map { server.deadlines.arrived($0) }
    if let answer = state.answer {
        // Resumed: the answer has come. Only now is the connection off libmicrohttpd's suspended list, which
        // must be empty when the server stops. The answer stays: should libmicrohttpd call again for this
        // request, it gets the same answer, and the work is not started a second time.
        if state.parked {
            state.parked = false
            server.parked.remove()
        }
        return send(answer, on: connection)
    }
    // Called again for a request whose answer has not come (not expected of libmicrohttpd): wait for it.
    if state.handled { return MHD_Result.YES }
    let request = makeRequest(connection, url, method, body: state.body)
    if state.overflow { return send(server.tooLarge(request), on: connection) }
    state.handled = true
    switch server.handler(request) {
    case .now(let response):
        return send(response, on: connection)
    case .later(let start):
        guard server.parked.enter() else {
            // The server is stopping and libmicrohttpd must not stop with a connection suspended: this thread
            // waits for the answer instead.
            let answered = DispatchSemaphore(value: 0)
            let box = AnswerBox()
            start { response in
                box.response = response
                answered.signal()
            }
            answered.wait()
            return send(box.response ?? .text(503, "stopping"), on: connection)
        }
        // Parked before the work starts, so an answer that comes at once finds it parked.
        MHD_suspend_connection(connection)
        state.parked = true
        let parked = ParkedConnection(handle: connection)
        start { [state] response in
            state.answer = response
            MHD_resume_connection(parked.handle)
        }
        return MHD_Result.YES
    }
}

/// Carries an answer from the thread that gives it to the one waiting for it; the semaphore orders the two.
private final class AnswerBox: @unchecked Sendable {
    var response: HTTPResponse?
}

private func httpCompleted(
    _ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
    _ requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ code: MHD_RequestTerminationCode
) {
    if let cls, let connection, let watch = watch(of: connection) {
        Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue().deadlines.answered(watch)
    }
    guard let requestContext, let raw = requestContext.pointee else { return }
    let state = Unmanaged<PendingRequest>.fromOpaque(raw).takeRetainedValue()
    requestContext.pointee = nil
    // A parked request whose connection ended before its answer was sent is not parked any more either.
    if state.parked, let cls {
        state.parked = false
        Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue().parked.remove()
    }
}

/// Gives each connection its request deadline when it opens, and takes it back when it closes.
private func httpNotify(
    _ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
    _ socketContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ code: MHD_ConnectionNotificationCode
) {
    guard let cls, let connection, let socketContext else { return }
    let deadlines = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue().deadlines
    switch code {
    case .CONNECTION_NOTIFY_STARTED:
        let watch = deadlines.opened(socket: scrm_mhd_socket(connection))
        socketContext.pointee = Unmanaged.passRetained(watch).toOpaque()
    default:
        guard let raw = socketContext.pointee else { return }
        socketContext.pointee = nil
        deadlines.closed(Unmanaged<RequestDeadlines.Watch>.fromOpaque(raw).takeRetainedValue())
    }
}

/// The deadline `httpNotify` gave the connection.
private func watch(of connection: OpaquePointer) -> RequestDeadlines.Watch? {
    scrm_mhd_socket_context(connection).map { Unmanaged<RequestDeadlines.Watch>.fromOpaque($0).takeUnretainedValue() }
}

private func makeRequest(
    _ connection: OpaquePointer, _ url: UnsafePointer<CChar>?, _ method: UnsafePointer<CChar>?, body: [UInt8]
) -> HTTPRequest {
    var address = [CChar](repeating: 0, count: 64)
    var client = ""
    if scrm_mhd_client_address(connection, &address, address.count) == 0 {
        client = String(decoding: address.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    return HTTPRequest(
        method: method.map { String(cString: $0) } ?? "GET",
        path: url.map { String(cString: $0) } ?? "/",
        query: values(connection, .GET_ARGUMENT_KIND, lowercased: false),
        headers: values(connection, .HEADER_KIND, lowercased: true),
        body: body,
        clientAddress: client)
}

private func lookup(_ connection: OpaquePointer, _ kind: MHD_ValueKind, _ key: String) -> String? {
    MHD_lookup_connection_value(connection, kind, key).map { String(cString: $0) }
}

/// Collects key/value pairs of one kind; the box lives only for the duration of the call.
private final class PairBox {
    var pairs: [String: String] = [:]
    let lowercased: Bool
    init(lowercased: Bool) { self.lowercased = lowercased }
}

private func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind, lowercased: Bool) -> [String: String] {
    let box = PairBox(lowercased: lowercased)
    withExtendedLifetime(box) {
        _ = MHD_get_connection_values(
            connection, kind,
            { cls, _, key, value in
                guard let cls, let key else { return MHD_Result.YES }
                let box = Unmanaged<PairBox>.fromOpaque(cls).takeUnretainedValue()
                var name = String(cString: key)
                if box.lowercased { name = name.lowercased() }
                if box.pairs[name] == nil { box.pairs[name] = value.map { String(cString: $0) } ?? "" }
                return MHD_Result.YES
            }, Unmanaged.passUnretained(box).toOpaque())
    }
    return box.pairs
}

private func send(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
    let handle = response.body.withUnsafeBytes { bytes in
        MHD_create_response_from_buffer(
            bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
    }
    guard let handle else { return MHD_Result.NO }
    defer { MHD_destroy_response(handle) }
    for (name, value) in response.headers { _ = MHD_add_response_header(handle, name, value) }
    return MHD_queue_response(connection, UInt32(response.status), handle)
}
