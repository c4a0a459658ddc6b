import Foundation
import JSON
import Testing

@testable import Daemon

/// The admin API's guard: a bearer token when one is configured, loopback only when not.
@Suite(.serialized) struct OperationsAdmin {
    static let token = "adm-7f3c9e1b5a"

    func call(_ daemon: TestDaemon, _ method: String, _ path: String, token: String? = nil) -> RawHTTP.Reply? {
        var headers: [String: String] = [:]
        if let token { headers["Authorization"] = "Bearer " + token }
        return RawHTTP.request(port: daemon.port, method: method, path: path, headers: headers)
    }

    @Test func withATokenConfiguredOnlyTheRightBearerTokenGetsIn() throws {
        let daemon = try TestDaemon(
            rules: OperationsRules.consoleAndSkip, extraConfig: "admin: {token: \"\(Self.token)\"}")
        defer { daemon.stop() }
        #expect(daemon.post(OperationsRules.event(id: "admin-1"))?.status == 200)
        daemon.app.drainPlanning()

        #expect(call(daemon, "GET", "/api/jobs")?.status == 401)
        #expect(call(daemon, "GET", "/api/jobs", token: "wrong-token")?.status == 401)
        #expect(call(daemon, "POST", "/-/reload", token: Self.token + "x")?.status == 401)
        let listed = try #require(call(daemon, "GET", "/api/jobs?order=Y634089652417560576", token: Self.token))
        #expect(listed.status == 200)
        #expect(try JSONValue.parse(listed.body)["jobs"]?.arrayValue?.count == 2)
        #expect(call(daemon, "POST", "/-/reload", token: Self.token)?.status == 200)
        // Health and metrics stay open: they carry no secret and a scraper has no token.
        #expect(call(daemon, "GET", "/metrics")?.status == 200)
        #expect(call(daemon, "GET", "/healthz")?.status == 200)
        #expect(!daemon.logLines.all.joined().contains(Self.token))
    }

    @Test func withoutATokenLoopbackCallsAreServed() throws {
        let daemon = try TestDaemon(rules: OperationsRules.consoleAndSkip)
        defer { daemon.stop() }
        #expect(call(daemon, "GET", "/api/jobs")?.status == 200)
        let cancelled = try #require(call(daemon, "DELETE", "/api/jobs?order=none"))
        #expect(cancelled.status == 200)
        #expect(try JSONValue.parse(cancelled.body)["cancelled"] == 0)
        #expect(call(daemon, "POST", "/api/jobs/retry-failed")?.status == 200)
        #expect(call(daemon, "POST", "/-/reload")?.status == 200)
    }

    @Test func withoutATokenARequestFromAnotherHostIsRefused() {
        let remote = HTTPRequest(method: "GET", path: "/api/jobs", clientAddress: "10.1.2.3")
        #expect(App.adminRefusal(remote, token: nil)?.status == 403)
        for local in ["127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"] {
            #expect(
                App.adminRefusal(HTTPRequest(method: "GET", path: "/api/jobs", clientAddress: local), token: nil) == nil
            )
        }
        #expect(App.adminRefusal(HTTPRequest(method: "GET", path: "/api/jobs", clientAddress: ""), token: nil) != nil)
    }

    @Test func withoutATokenARequestAProxyForwardedIsNotLocal() {
        let proxied = HTTPRequest(
            method: "POST", path: "/-/reload", headers: ["x-forwarded-for": "203.0.113.9"], clientAddress: "127.0.0.1")
        #expect(App.adminRefusal(proxied, token: nil)?.status == 403)
    }

    @Test func withATokenTheAddressDoesNotMatterOnlyTheToken() {
        let right = HTTPRequest(
            method: "GET", path: "/api/jobs", headers: ["authorization": "Bearer " + Self.token],
            clientAddress: "10.1.2.3")
        #expect(App.adminRefusal(right, token: Self.token) == nil)
        let wrong = HTTPRequest(
            method: "GET", path: "/api/jobs", headers: ["authorization": "Bearer nope"], clientAddress: "127.0.0.1")
        #expect(App.adminRefusal(wrong, token: Self.token)?.status == 401)
        let bare = HTTPRequest(
            method: "GET", path: "/api/jobs", headers: ["authorization": Self.token], clientAddress: "127.0.0.1")
        #expect(App.adminRefusal(bare, token: Self.token)?.status == 401)
    }
}
