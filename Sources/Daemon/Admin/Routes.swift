import Crypto
import Foundation
import JSON
import Storage

extension App {
    /// Answers one HTTP request; runs on the connection's thread.
    func route(_ request: HTTPRequest) -> HTTPResponse {
        let path = request.path
        switch (request.method, path) {
        case ("POST", config.callback.path): return ingest.receive(request)
        case ("GET", config.callback.path): return ingest.verifyURL(request)
        case ("GET", "/healthz"): return .text(200, "ok\n")
        case ("GET", "/readyz"): return .text(200, "ready\n")
        case ("GET", "/metrics"):
            return .text(200, metrics.registry.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        default: break
        }
        guard path == "/-/reload" || path.hasPrefix("/api/") else { return .text(404, "not found\n") }
        if let refusal = authorize(request) { return refusal }
        switch (request.method, path) {
        case ("POST", "/-/reload"):
            let problems = reload(reason: "admin API")
            if problems.isEmpty { return .json(200, ["status": "reloaded"]) }
            return .json(400, ["status": "refused", "errors": .array(problems.map { .string("\($0)") })])
        case ("GET", "/api/jobs"):
            let state = request.query["state"].flatMap(JobState.init(rawValue:))
            if request.query["state"] != nil && state == nil { return .json(400, ["error": "unknown state"]) }
            do {
                let jobs = try store.jobs(orderKey: request.query["order"], state: state, limit: 1000)
                return .json(200, ["jobs": .array(jobs.map { JobView.json($0, shopClock: shopClock) })])
            } catch {
                return .json(503, ["error": .string("\(error)")])
            }
        case ("DELETE", "/api/jobs"):
            guard let order = request.query["order"], !order.isEmpty else {
                return .json(400, ["error": "order is required"])
            }
            do {
                let count = try store.cancel(
                    orderKey: order, reason: "cancelled through the admin API", at: clock.now())
                logger.info("notifications cancelled", ["order": order, "count": String(count)])
                return .json(200, ["cancelled": .int(count)])
            } catch {
                return .json(503, ["error": .string("\(error)")])
            }
        case ("POST", "/api/jobs/retry-failed"):
            do {
                let count = try store.retryFailed(at: clock.now())
                scheduler.poke()
                logger.info("failed notifications requeued", ["count": String(count)])
                return .json(200, ["requeued": .int(count)])
            } catch {
                return .json(503, ["error": .string("\(error)")])
            }
        default:
            return .text(405, "method not allowed\n")
        }
    }

    /// Nil when the admin call may go on; otherwise the refusal. Without a token, only loopback may call.
    private func authorize(_ request: HTTPRequest) -> HTTPResponse? {
        if let token = config.adminToken {
            let given = request.headers["authorization"] ?? ""
            let expected = "Bearer " + token
            if Bytes.constantTimeEqual(Array(given.utf8), Array(expected.utf8)) { return nil }
            return .json(401, ["error": "admin token required"])
        }
        return request.isFromLoopback ? nil : .json(403, ["error": "admin API is open to loopback only"])
    }
}
