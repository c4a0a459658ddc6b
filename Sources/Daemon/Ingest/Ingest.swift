import Events
import Foundation
import JSON
import Storage
import Telemetry

/// The platform's push: verify, decrypt, decode and plan, store the event with its plan durably, then answer.
final class Ingest: Sendable {
    let store: Store
    let clock: any Clock
    let crypto: CallbackCrypto?
    let requireEncryption: Bool
    let logger: Logger
    let metrics: DaemonMetrics
    /// Plans each push as it arrives, and plans from the store what could not be planned so.
    let planner: PlanService

    init(
        store: Store, clock: any Clock, crypto: CallbackCrypto?, requireEncryption: Bool,
        logger: Logger, metrics: DaemonMetrics, planner: PlanService
    ) {
        self.store = store
        self.clock = clock
        self.crypto = crypto
        self.requireEncryption = requireEncryption
        self.logger = logger
        self.metrics = metrics
        self.planner = planner
    }

    /// Why a push was refused: the HTTP status and a reason safe to show the sender.
    struct Refusal: Error {
        let status: Int
        let reason: String
        let result: String
    }

    /// Answers `POST /callback`: a refusal at once, or 200 once the event is stored.
    ///
    /// The push is verified, decoded and planned on the HTTP thread; its commit is handed to the store, which
    /// answers from the committing thread, so pushes in flight share commits without holding HTTP threads. The
    /// plan is stored in the same transaction as the event, so an answered push has its jobs too.
    func receive(_ request: HTTPRequest) -> HTTPReply {
        let envelope: Envelope
        let raw: [UInt8]
        do {
            (envelope, raw) = try decode(request.body)
        } catch let refusal as Refusal {
            return .now(refuse(refusal))
        } catch {
            return .now(.platform(500, ok: false, message: "internal error"))
        }
        let now = clock.now()
        let inbox = InboxEvent(
            id: envelope.id, receivedAt: now, kind: envelope.kind, orderKey: envelope.orderNum, raw: raw)
        // An event that does not decode is stored all the same; the planner reports it.
        guard let event = try? Event.decode(envelope, clock: planner.shopClock) else {
            return .later { [self] answer in
                store.accept(inbox) { [self] result in answer(respond(to: result, of: inbox)) }
            }
        }
        let plan = planner.planOnArrival(event, raw: raw, at: now)
        return .later { [self] answer in
            store.accept(inbox, planning: plan.finish(pending:)) { [self] result in
                let response = respond(to: result, of: inbox)
                let stored = (try? result.get()) == .planned
                if stored { plan.logStored() }
                answer(response)
                // Once answered, so that the answers of a batch do not wait behind its sends' dispatch.
                plan.settle(stored: stored)
            }
        }
    }

    /// The answer once the store has committed `inbox`, or failed to.
    private func respond(
        to result: Result<Store.AcceptResult, StoreError>, of inbox: InboxEvent
    ) -> HTTPResponse {
        switch result {
        case .success(.duplicate):
            metrics.eventsReceived(result: "duplicate")
            logger.info("event already stored", ["event.id": inbox.id])
        case .success(let stored):
            metrics.eventsReceived(result: "accepted")
            logger.info(
                "event accepted", ["event.id": inbox.id, "event.kind": inbox.kind, "order": inbox.orderKey ?? ""])
            if stored != .planned { planner.wake() }
        case .failure(let error):
            logger.error("event not stored", ["event.id": inbox.id, "error": "\(error)"])
            return refuse(
                Refusal(status: 503, reason: "storage unavailable, push again later", result: "store_failed"))
        }
        return .platform(200, ok: true, message: "成功")
    }

    private func refuse(_ refusal: Refusal) -> HTTPResponse {
        metrics.eventsReceived(result: refusal.result)
        if refusal.status != 503 {
            logger.warning("push refused", ["status": String(refusal.status), "reason": refusal.reason])
        }
        return .platform(refusal.status, ok: false, message: refusal.reason)
    }

    /// Verifies and decrypts a push; returns the plaintext envelope and the bytes to store for it.
    ///
    /// A plain push is stored as it came; an encrypted one as its envelope around the decrypted body, spliced in
    /// unparsed.
    func decode(_ body: [UInt8]) throws -> (Envelope, [UInt8]) {
        guard !body.isEmpty else { throw Refusal(status: 400, reason: "empty body", result: "malformed") }
        let envelope: Envelope
        do {
            envelope = try Envelope.decode(body)
        } catch {
            throw Refusal(status: 400, reason: "malformed push: \(error)", result: "malformed")
        }
        guard let sealed = envelope.encryptedBody else {
            if requireEncryption {
                throw Refusal(
                    status: 401, reason: "unencrypted push refused: encryption is required", result: "bad_signature")
            }
            return (envelope, body)
        }
        guard let crypto else {
            throw Refusal(
                status: 401, reason: "encrypted push, but no token and aes_key are configured", result: "bad_signature")
        }
        let plain: [UInt8]
        do {
            plain = try crypto.open(sealed)
        } catch {
            throw Refusal(status: 401, reason: "\(error)", result: "bad_signature")
        }
        let inner: JSONValue
        do {
            inner = try JSONValue.parse(plain)
        } catch {
            throw Refusal(status: 400, reason: "decrypted body is not JSON: \(error)", result: "malformed")
        }
        guard inner.objectValue != nil else {
            throw Refusal(status: 400, reason: "malformed push: decrypted body is not an object", result: "malformed")
        }
        let opened = envelope.withBody(inner)
        var raw: [UInt8] = []
        raw.reserveCapacity(plain.count + 128)
        raw.append(contentsOf: Array(#"{"id":"#.utf8))
        JSONValue.writeString(opened.id, into: &raw)
        raw.append(contentsOf: Array(#","event":"#.utf8))
        JSONValue.writeString(opened.event, into: &raw)
        raw.append(contentsOf: Array(#","action":"#.utf8))
        JSONValue.writeString(opened.action, into: &raw)
        raw.append(contentsOf: Array(#","body":"#.utf8))
        raw.append(contentsOf: plain)
        raw.append(UInt8(ascii: "}"))
        return (opened, raw)
    }

    /// Answers `GET /callback?…`: URL verification returns the decrypted echo as plain text.
    func verifyURL(_ request: HTTPRequest) -> HTTPResponse {
        guard let crypto else { return .text(400, "URL verification needs callback.token and callback.aes_key") }
        guard let signature = request.queryValue(anyOf: ["msgSignature", "msg_signature", "signature"]),
            let timestamp = request.queryValue(anyOf: ["timeStamp", "timestamp"]),
            let nonce = request.queryValue(anyOf: ["nonce"]),
            let echo = request.queryValue(anyOf: ["encrypt", "echostr"])
        else { return .text(400, "URL verification needs signature, timestamp, nonce and echostr") }
        do {
            let plain = try crypto.open(signature: signature, timestamp: timestamp, nonce: nonce, encrypt: echo)
            logger.info("callback URL verified")
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], body: plain)
        } catch {
            logger.warning("callback URL verification failed", ["reason": "\(error)"])
            return .text(401, "\(error)")
        }
    }
}
