import Crypto
import Foundation
import JSON
import Storage

extension App {
    /// Answers one HTTP request; runs on the connection's thread.
    /// Answers a request: a push once it is stored, everything else at once.
    func reply(_ request: HTTPRequest) -> HTTPReply {
        if request.method == "POST" && request.path == config.callback.path { return ingest.receive(request) }
        return .now(route(request))
    }

    /// Answers every request but a push, at once.
    func route(_ request: HTTPRequest) -> HTTPResponse {
        let path = request.path
        switch (request.method, path) {
        case ("GET", config.callback.path): return ingest.verifyURL(request)
        case ("GET", "/healthz"): return .text(200, "ok\n")
        case ("GET", "/readyz"): return .text(200, "ready\n")
        case ("GET", "/metrics"):
            return .text(200, metrics.registry.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        default: break
        }
        guard path == "/-/reload" || path.hasPrefix("/api/") else { return .text(404, "not found\n") }
        if let refusal = App.adminRefusal(request, token: config.adminToken) { return refusal }
        switch (request.method, path) {
        case ("POST", "/-/reload"):
            let problems = reload(reason: "admin API")
            if problems.isEmpty { return .json(200, ["status": "reloaded"]) }
            return .json(400, ["status": "refused", "errors": .array(problems.map { .string("\($0)") })])
        case ("GET", "/api/jobs"):
            let filter = request.query["state"].flatMap(StateFilter.init)
            if request.query["state"] != nil && filter == nil { return .json(400, ["error": "unknown state"]) }
            do {
                let now = clock.now()
                let jobs = try store.jobs(orderKey: request.query["order"], state: filter?.stored, limit: 1000)
                    .filter { filter?.keeps($0, now: now) ?? true }
                return .json(200, ["jobs": .array(jobs.map { JobView.json($0, shopClock: shopClock, now: now) })])
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

    /// Nil when the admin call may go on; otherwise the refusal. With a token, the request must carry it as
    /// `Authorization: Bearer …` (401 otherwise). Without one, only loopback may call (403 otherwise), and a
    /// request a proxy forwarded (nginx on the same host connects from loopback) counts as not local.
    static func adminRefusal(_ request: HTTPRequest, token: String?) -> HTTPResponse? {
        if let token {
            let given = request.headers["authorization"] ?? ""
            let expected = "Bearer " + token
            if Bytes.constantTimeEqual(Array(given.utf8), Array(expected.utf8)) { return nil }
            return .json(401, ["error": "admin token required"])
        }
        let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"].contains { request.headers[$0] != nil }
        if request.isFromLoopback && !forwarded { return nil }
        return .json(403, ["error": "admin API is open to loopback only; set admin.token to call it from elsewhere"])
    }
}
