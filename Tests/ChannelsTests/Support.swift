import Channels
import Foundation
import JSON
import TestKit
import Testing

/// One client for the whole test process, as the daemon has.
let client = HTTPClient()

/// Makes a channel from YAML-like string settings.
func channel(_ settings: [String: String], name: String = "test", extra: [(String, JSONValue)] = []) throws
    -> any Channel
{
    var object = JSONObject()
    for key in settings.keys.sorted() { object[key] = .string(settings[key]!) }
    for (key, value) in extra { object[key] = value }
    return try ChannelFactory.make(name: name, settings: object, console: nil)
}

/// Builds and performs one send, returning the outcome.
func send(
    _ channel: any Channel, _ payload: JSONValue, job: String = "job-1", event: JSONValue? = nil,
    eventBytes: [UInt8]? = nil
) async -> DeliveryOutcome {
    let deliverer = Deliverer(client: client)
    return await deliverer.send(
        channel: channel, payload: payload, context: SendContext(jobID: job, event: event, eventBytes: eventBytes))
}

/// The body of a recorded request as JSON.
func json(_ request: RecordedRequest?) throws -> JSONValue {
    try JSONValue.parse(request?.body ?? [])
}

/// Whether `outcome` is a retry.
func isRetry(_ outcome: DeliveryOutcome) -> Bool {
    if case .retry = outcome { return true }
    return false
}

/// Whether `outcome` is a permanent failure.
func isFailed(_ outcome: DeliveryOutcome) -> Bool {
    if case .failed = outcome { return true }
    return false
}
