import Crypto
import Foundation
import JSON

/// Aliyun SMS (阿里云短信) `SendSms`: a signed GET with the job id as `OutId`.
public struct AliyunSMSChannel: Channel {
    /// The service endpoint.
    public static let endpoint = "https://dysmsapi.aliyuncs.com/"

    /// The channel's name in the config.
    public let name: String
    /// `aliyun-sms`.
    public var type: String { "aliyun-sms" }
    /// Rate limit, quiet hours, timeout, maximum age.
    public let options: ChannelOptions
    let url: String
    let accessKeyID: String
    let accessKeySecret: String
    let signName: String?
    let region: String
    private let redactor: Redactor

    init(name: String, settings: Settings) throws(ChannelConfigError) {
        self.name = name
        url = try settings.url(default: AliyunSMSChannel.endpoint)
        accessKeyID = try settings.required("access_key_id")
        accessKeySecret = try settings.required("access_key_secret")
        signName = try settings.string("sign_name")
        region = try settings.string("region") ?? "cn-hangzhou"
        options = try ChannelOptions.parse(settings, defaultRateLimit: nil)
        redactor = Redactor(Redactor.secrets(inURL: url) + [accessKeySecret, accessKeyID])
    }

    /// The signed `SendSms` request: `to` (one or a list), `template`, `params` (an object, sent as JSON), and
    /// `sign_name` from the entry or the channel.
    public func makeRequest(_ payload: JSONValue, context: SendContext) throws(ChannelError) -> OutboundRequest? {
        let entry = Entry(channel: name, payload: payload)
        let phones = entry.list("to", split: true)
        guard !phones.isEmpty else { throw .missingField(channel: name, field: "to") }
        guard let sign = entry.string("sign_name") ?? signName else {
            throw .missingField(channel: name, field: "sign_name")
        }
        var parameters: [(String, String)] = [
            ("AccessKeyId", accessKeyID), ("Action", "SendSms"), ("Format", "JSON"),
            ("PhoneNumbers", phones.joined(separator: ",")), ("RegionId", region), ("SignName", sign),
            ("SignatureMethod", "HMAC-SHA1"), ("SignatureNonce", Bytes.uuid()), ("SignatureVersion", "1.0"),
            ("TemplateCode", try entry.required("template")), ("Timestamp", AliyunSMSChannel.timestamp(context.now)),
            ("Version", "2017-05-25"), ("OutId", context.jobID),
        ]
        if let params = payload["params"], !params.isNull {
            guard params.objectValue != nil else {
                throw .invalidField(channel: name, field: "params", reason: "expected a mapping of template variables")
            }
            parameters.append(("TemplateParam", params.serialized()))
        }
        let signature = AliyunSigner.signature(parameters: parameters, secret: accessKeySecret)
        let query = "Signature=\(percentEncode(signature))&" + AliyunSigner.canonicalQuery(parameters)
        let base = url.contains("?") ? String(url.prefix { $0 != "?" }) : url
        return OutboundRequest(method: "GET", url: base + "?" + query, timeout: options.timeout)
    }

    /// Judges `Code` in the body (also on 4xx): `OK` delivered; `isv.BUSINESS_LIMIT_CONTROL` and `Throttling*`
    /// retry; other codes failed.
    public func classify(_ result: TransportResult) -> DeliveryOutcome {
        // Aliyun answers throttling and most errors with a 4xx carrying a Code: the Code decides, not the status.
        if case .response(let status, let headers, let body) = result, (400..<500).contains(status),
            let verdict = AliyunSMSChannel.judge(body)
        {
            let relabelled = TransportResult.response(status: 200, headers: headers, body: body)
            return Classifier.classify(relabelled, redactor: redactor) { _, _ in verdict }
        }
        return Classifier.classify(result, redactor: redactor) { _, body in
            AliyunSMSChannel.judge(body) ?? .rejected("unexpected answer\(Classifier.snippet(body))")
        }
    }

    static func judge(_ body: [UInt8]) -> Classifier.Verdict? {
        guard let object = Classifier.object(body), let code = object["Code"]?.stringValue else { return nil }
        if code == "OK" { return .ok(object["BizId"]?.stringValue) }
        let reason = "\(code): \(String((object["Message"]?.text ?? "").prefix(160)))"
        if code == "isv.BUSINESS_LIMIT_CONTROL" || code.hasPrefix("Throttling") {
            return .rateLimited(reason, after: nil)
        }
        return .rejected(reason)
    }

    /// `date` as Aliyun's UTC timestamp, `2017-07-12T02:42:19Z`.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return formatter.string(from: date)
    }
}
