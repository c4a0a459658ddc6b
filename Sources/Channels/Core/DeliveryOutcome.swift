/// How one send attempt ended, as the delivery workers act on it.
public enum DeliveryOutcome: Sendable, Equatable {
    /// The service accepted the notification; `detail` is its receipt (message id, biz id), if any.
    case delivered(detail: String?)
    /// A transient failure: try again, no sooner than `after` when the service said so.
    case retry(reason: String, after: Duration?)
    /// A permanent failure: retrying cannot help.
    case failed(reason: String)

    /// The reason of a retry or failure, or the detail of a delivery.
    public var reason: String? {
        switch self {
        case .delivered(let detail): detail
        case .retry(let reason, _): reason
        case .failed(let reason): reason
        }
    }

    /// The same outcome with `redactor` applied to its text.
    func redacted(by redactor: Redactor) -> DeliveryOutcome {
        switch self {
        case .delivered(let detail): .delivered(detail: detail.map(redactor.scrub))
        case .retry(let reason, let after): .retry(reason: redactor.scrub(reason), after: after)
        case .failed(let reason): .failed(reason: redactor.scrub(reason))
        }
    }
}
