import Foundation
import JSON

/// Tencent Cloud SMS (腾讯云短信) `SendSms` 2021-01-11, signed with TC3-HMAC-SHA256, with the job id as
/// `SessionContext`.
public struct TencentSMSChannel: Channel {
    /// The service endpoint.
    public static let endpoint = "https://sms.tencentcloudapi.com/"
    static let contentType = "application/json; charset=utf-8"

    /// The channel's name in the config.
    public let name: String
    /// `tencent-sms`.
    public var type: String { "tencent-sms" }
    /// Rate limit, quiet hours, timeout, maximum age.
    public let options: ChannelOptions
    let url: String
    let signer: TC3Signer
    let sdkAppID: String
    let signName: String?
    let region: String
    private let redactor: Redactor

    init(name: String, settings: Settings) throws(ChannelConfigError) {
        self.name = name
        url = try settings.url(default: TencentSMSChannel.endpoint)
        let secretID = try settings.required("secret_id")
        let secretKey = try settings.required("secret_key")
        signer = TC3Signer(secretID: secretID, secretKey: secretKey, service: "sms")
        sdkAppID = try settings.required("sdk_app_id")
        signName = try settings.string("sign_name")
        region = try settings.string("region") ?? "ap-guangzhou"
        options = try ChannelOptions.parse(settings, defaultRateLimit: nil)
        redactor = Redactor(Redactor.secrets(inURL: url) + [secretKey, secretID])
    }

    /// The signed request: `to` (one or a list, made E.164), `template`, `params` (a list, or a mapping whose
    /// values are taken in order) and `sign_name` from the entry or the channel.
    public func makeRequest(_ payload: JSONValue, context: SendContext) throws(ChannelError) -> OutboundRequest? {
        let entry = Entry(channel: name, payload: payload)
        let phones = entry.list("to", split: true).map(MobileNumber.e164)
        guard !phones.isEmpty else { throw .missingField(channel: name, field: "to") }
        guard let sign = entry.string("sign_name") ?? signName else {
            throw .missingField(channel: name, field: "sign_name")
        }
        var params: [JSONValue] = []
        if let value = payload["params"], !value.isNull {
            guard let items = value.arrayValue ?? value.objectValue.map({ $0.map(\.value) }) else {
                throw .invalidField(channel: name, field: "params", reason: "expected a list of template values")
            }
            params = items.map { .string($0.stringValue ?? $0.text) }
        }
        let body = jsonObject([
            ("PhoneNumberSet", .array(phones.map { .string($0) })), ("SmsSdkAppId", .string(sdkAppID)),
            ("SignName", .string(sign)), ("TemplateId", .string(try entry.required("template"))),
            ("TemplateParamSet", .array(params)), ("SessionContext", .string(context.jobID)),
        ]).serializedBytes()
        let host = TencentSMSChannel.host(of: url)
        let timestamp = Int64(context.now.timeIntervalSince1970.rounded(.down))
        let headers: [(String, String)] = [
            ("Content-Type", TencentSMSChannel.contentType), ("Host", host),
            (
                "Authorization",
                signer.authorization(
                    host: host, contentType: TencentSMSChannel.contentType,
                    payload: body, timestamp: timestamp)
            ),
            ("X-TC-Action", "SendSms"), ("X-TC-Version", "2021-01-11"), ("X-TC-Timestamp", String(timestamp)),
            ("X-TC-Region", region),
        ]
        return OutboundRequest(method: "POST", url: url, headers: headers, body: body, timeout: options.timeout)
    }

    /// Judges `Response.Error.Code` (`RequestLimitExceeded*`, `LimitExceeded*` retry; others failed), then every
    /// `SendStatusSet[].Code` (`Ok` delivered).
    public func classify(_ result: TransportResult) -> DeliveryOutcome {
        Classifier.classify(result, redactor: redactor) { _, body in
            guard let response = Classifier.object(body)?["Response"] else {
                return .rejected("unexpected answer\(Classifier.snippet(body))")
            }
            if let error = response["Error"] {
                return TencentSMSChannel.judge(code: error["Code"]?.text ?? "", message: error["Message"]?.text ?? "")
            }
            let statuses = response["SendStatusSet"]?.arrayValue ?? []
            guard !statuses.isEmpty else { return .rejected("answer without SendStatusSet") }
            if let bad = statuses.first(where: { $0["Code"]?.text != "Ok" }) {
                return TencentSMSChannel.judge(code: bad["Code"]?.text ?? "", message: bad["Message"]?.text ?? "")
            }
            return .ok(statuses.compactMap { $0["SerialNo"]?.stringValue }.joined(separator: ","))
        }
    }

    static func judge(code: String, message: String) -> Classifier.Verdict {
        let reason = "\(code): \(String(message.prefix(160)))"
        if code.hasPrefix("RequestLimitExceeded") || code.hasPrefix("LimitExceeded") {
            return .rateLimited(reason, after: nil)
        }
        if code.hasPrefix("InternalError") { return .transient(reason) }
        return .rejected(reason)
    }

    /// The `host[:port]` part of `url`.
    static func host(of url: String) -> String {
        let rest = url.range(of: "://").map { url[$0.upperBound...] } ?? Substring(url)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        return String(authority.split(separator: "@").last ?? authority)
    }
}
