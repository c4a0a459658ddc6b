import CMicroHTTPD
import Foundation

/// A request the fake server received.
public struct RecordedRequest: Sendable {
    /// The method (`POST`).
    public var method: String
    /// The path, without the query string.
    public var path: String
    /// The query arguments, decoded, in order.
    public var query: [(String, String)]
    /// The headers, in order.
    public var headers: [(String, String)]
    /// The body.
    public var body: [UInt8]

    /// The first query argument named `name`.
    public func queryValue(_ name: String) -> String? { query.first { $0.0 == name }?.1 }

    /// The first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A scripted answer of the fake server.
public struct ScriptedResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The headers.
    public var headers: [(String, String)]
    /// The body.
    public var body: [UInt8]
    /// How long to wait before answering (a hang, when longer than the client's timeout).
    public var delay: Duration

    /// Makes a response with a text body.
    public init(status: Int = 200, headers: [(String, String)] = [], body: String = "", delay: Duration = .zero) {
        self.status = status
        self.headers = headers
        self.body = Array(body.utf8)
        self.delay = delay
    }

    /// A 200 response with a JSON body.
    public static func json(_ body: String, status: Int = 200, headers: [(String, String)] = []) -> ScriptedResponse {
        ScriptedResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }
}

/// An HTTP server on 127.0.0.1 and a free port that records every request and answers from a script: queued
/// responses first, then the default one.
public final class FakeHTTPServer: @unchecked Sendable {
    private var daemon: OpaquePointer?
    private let lock = NSLock()
    // Guarded by `lock`.
    private var recorded: [RecordedRequest] = []
    private var queue: [ScriptedResponse] = []
    private var fallback: ScriptedResponse
    private var stopped = false
    private var answering = 0
    private var peak = 0
    /// The port the server listens on.
    public private(set) var port: Int = 0

    /// Starts a server that answers `response` unless others are queued.
    public init(response: ScriptedResponse = ScriptedResponse(status: 200, body: "ok")) throws(FakeServerError) {
        fallback = response
        let flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_THREAD_PER_CONNECTION.rawValue
        let context = Unmanaged.passUnretained(self).toOpaque()
        daemon = scrm_mhd_start(
            flags, 0, "127.0.0.1", fakeAccess, context, fakeCompleted, context, nil, nil, 30, 0, 0, 0, 0)
        guard let daemon else { throw FakeServerError.cannotStart("libmicrohttpd did not start") }
        port = Int(scrm_mhd_port(daemon))
    }

    deinit { stop() }

    /// The server's base url, `http://127.0.0.1:PORT`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far, in order of completion.
    public var requests: [RecordedRequest] { lock.withLock { recorded } }

    /// Sets the answer given once the queue is empty.
    public func respond(_ response: ScriptedResponse) { lock.withLock { fallback = response } }

    /// Queues answers for the next requests, before the default one.
    public func enqueue(_ responses: ScriptedResponse...) { lock.withLock { queue.append(contentsOf: responses) } }

    /// Waits until `count` requests were recorded; false when `timeout` passed first.
    public func waitForRequests(count: Int, timeout: Duration = .seconds(5)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if lock.withLock({ recorded.count }) >= count { return true }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return lock.withLock { recorded.count } >= count
    }

    /// Stops the server; answers still waiting out a delay are cut short.
    public func stop() {
        lock.withLock { stopped = true }
        if let daemon { MHD_stop_daemon(daemon) }
        daemon = nil
    }

    /// The most requests that were being answered at the same time (one per connection: the server runs a
    /// thread per connection).
    public var mostAtOnce: Int { lock.withLock { peak } }

    fileprivate func answer(_ request: RecordedRequest) -> ScriptedResponse {
        let response = lock.withLock {
            recorded.append(request)
            answering += 1
            peak = max(peak, answering)
            return queue.isEmpty ? fallback : queue.removeFirst()
        }
        defer { lock.withLock { answering -= 1 } }
        let deadline = ContinuousClock.now + response.delay
        while ContinuousClock.now < deadline, !lock.withLock({ stopped }) {
            Thread.sleep(forTimeInterval: 0.01)
        }
        return response
    }
}

/// Why a fake server could not start.
public enum FakeServerError: Error, Sendable, CustomStringConvertible {
    /// The server did not come up; the text says why.
    case cannotStart(String)

    /// The reason.
    public var description: String {
        switch self {
        case .cannotStart(let reason): "fake server did not start: \(reason)"
        }
    }
}

/// The body of a request being received, kept in the connection's request slot.
private final class PendingRequest {
    var body: [UInt8] = []
}

private func fakeAccess(
    _ context: UnsafeMutableRawPointer?, _ connection: OpaquePointer?, _ url: UnsafePointer<CChar>?,
    _ method: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?, _ upload: UnsafePointer<CChar>?,
    _ uploadSize: UnsafeMutablePointer<Int>?, _ slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let context, let connection, let slot else { return .NO }
    guard let existing = slot.pointee else {
        slot.pointee = Unmanaged.passRetained(PendingRequest()).toOpaque()
        return .YES
    }
    let pending = Unmanaged<PendingRequest>.fromOpaque(existing).takeUnretainedValue()
    if let uploadSize, uploadSize.pointee > 0 {
        if let upload {
            upload.withMemoryRebound(to: UInt8.self, capacity: uploadSize.pointee) {
                pending.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: uploadSize.pointee))
            }
        }
        uploadSize.pointee = 0
        return .YES
    }
    let server = Unmanaged<FakeHTTPServer>.fromOpaque(context).takeUnretainedValue()
    let request = RecordedRequest(
        method: method.map { String(cString: $0) } ?? "", path: url.map { String(cString: $0) } ?? "",
        query: values(connection, .GET_ARGUMENT_KIND), headers: values(connection, .HEADER_KIND),
        body: pending.body)
    let scripted = server.answer(request)
    let response = scripted.body.withUnsafeBytes {
        MHD_create_response_from_buffer(
            scripted.body.count, UnsafeMutableRawPointer(mutating: $0.baseAddress), .RESPMEM_MUST_COPY)
    }
    guard let response else { return .NO }
    for (name, value) in scripted.headers { MHD_add_response_header(response, name, value) }
    let result = MHD_queue_response(connection, UInt32(scripted.status), response)
    MHD_destroy_response(response)
    return result
}

private func fakeCompleted(
    _ context: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
    _ slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ reason: MHD_RequestTerminationCode
) {
    guard let slot, let existing = slot.pointee else { return }
    Unmanaged<PendingRequest>.fromOpaque(existing).release()
    slot.pointee = nil
}

private func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [(String, String)] {
    final class Box { var pairs: [(String, String)] = [] }
    let box = Box()
    _ = MHD_get_connection_values(
        connection, kind,
        { context, _, key, value in
            guard let context, let key else { return .YES }
            let box = Unmanaged<Box>.fromOpaque(context).takeUnretainedValue()
            box.pairs.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
            return .YES
        }, Unmanaged.passUnretained(box).toOpaque())
    return box.pairs
}
