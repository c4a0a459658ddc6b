import Events
import Foundation
import JSON
import Storage
import Telemetry

/// The platform's push: verify, decrypt, decode, store durably, then answer — and only then plan.
final class Ingest: Sendable {
    let store: Store
    let clock: any Clock
    let shopClock: ShopClock
    let crypto: CallbackCrypto?
    let requireEncryption: Bool
    let logger: Logger
    let metrics: DaemonMetrics
    /// Called after an event was newly stored; plans it off the request's thread.
    let stored: @Sendable (Event) -> Void

    init(
        store: Store, clock: any Clock, shopClock: ShopClock, crypto: CallbackCrypto?, requireEncryption: Bool,
        logger: Logger, metrics: DaemonMetrics, stored: @escaping @Sendable (Event) -> Void
    ) {
        self.store = store
        self.clock = clock
        self.shopClock = shopClock
        self.crypto = crypto
        self.requireEncryption = requireEncryption
        self.logger = logger
        self.metrics = metrics
        self.stored = stored
    }

    /// Why a push was refused: the HTTP status and a reason safe to show the sender.
    struct Refusal: Error {
        let status: Int
        let reason: String
        let result: String
    }

    /// Answers `POST /callback`.
    func receive(_ request: HTTPRequest) -> HTTPResponse {
        do {
            let event = try decode(request.body)
            let inbox = InboxEvent(
                id: event.envelope.id, receivedAt: clock.now(), kind: event.kind, orderKey: event.orderNum,
                raw: event.envelope.json.serializedBytes())
            let result: Store.AcceptResult
            do {
                result = try store.accept(inbox)
            } catch {
                logger.error("event not stored", ["event.id": event.envelope.id, "error": "\(error)"])
                throw Refusal(status: 503, reason: "storage unavailable, push again later", result: "store_failed")
            }
            switch result {
            case .stored:
                metrics.eventsReceived(result: "accepted")
                logger.info(
                    "event accepted",
                    ["event.id": event.envelope.id, "event.kind": event.kind, "order": event.orderNum ?? ""])
                stored(event)
            case .duplicate:
                metrics.eventsReceived(result: "duplicate")
                logger.info("event already stored", ["event.id": event.envelope.id])
            }
            return .platform(200, ok: true, message: "成功")
        } catch let refusal as Refusal {
            metrics.eventsReceived(result: refusal.result)
            if refusal.status != 503 {
                logger.warning("push refused", ["status": String(refusal.status), "reason": refusal.reason])
            }
            return .platform(refusal.status, ok: false, message: refusal.reason)
        } catch {
            return .platform(500, ok: false, message: "internal error")
        }
    }

    /// Decodes a push body into an event with a plaintext envelope.
    func decode(_ body: [UInt8]) throws -> Event {
        guard !body.isEmpty else { throw Refusal(status: 400, reason: "empty body", result: "malformed") }
        var envelope: Envelope
        do {
            envelope = try Envelope.decode(body)
        } catch {
            throw Refusal(status: 400, reason: "malformed push: \(error)", result: "malformed")
        }
        if let sealed = envelope.encryptedBody {
            guard let crypto else {
                throw Refusal(
                    status: 401, reason: "encrypted push, but no token and aes_key are configured",
                    result: "bad_signature")
            }
            let plain: [UInt8]
            do {
                plain = try crypto.open(sealed)
            } catch {
                throw Refusal(status: 401, reason: "\(error)", result: "bad_signature")
            }
            do {
                envelope = envelope.withBody(try JSONValue.parse(plain))
            } catch {
                throw Refusal(status: 400, reason: "decrypted body is not JSON: \(error)", result: "malformed")
            }
        } else if requireEncryption {
            throw Refusal(
                status: 401, reason: "unencrypted push refused: encryption is required", result: "bad_signature")
        }
        do {
            return try Event.decode(envelope, clock: shopClock)
        } catch {
            throw Refusal(status: 400, reason: "malformed push: \(error)", result: "malformed")
        }
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
