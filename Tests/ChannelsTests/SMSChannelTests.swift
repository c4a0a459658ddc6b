import Channels
import Crypto
import Foundation
import JSON
import TestKit
import Testing

@Suite struct AliyunSMS {
    let settings = [
        "type": "aliyun-sms", "access_key_id": "LTAIid", "access_key_secret": "aliSecret", "sign_name": "某店",
    ]

    @Test func sendSmsIsASignedGetWithTheJobIDAsOutId() async throws {
        let server = try FakeHTTPServer(
            response: .json(#"{"Code":"OK","Message":"OK","BizId":"900619746936498440^0"}"#))
        defer { server.stop() }
        var config = settings
        config["url"] = server.url + "/"
        let sms = try channel(config)

        let outcome = await send(
            sms, ["to": "13800001111", "template": "SMS_1", "params": ["name": "张三", "time": "10:00"]], job: "job-7")

        #expect(outcome == .delivered(detail: "900619746936498440^0"))
        let request = try #require(server.requests.first)
        #expect(request.method == "GET")
        #expect(request.queryValue("Action") == "SendSms")
        #expect(request.queryValue("Format") == "JSON")
        #expect(request.queryValue("PhoneNumbers") == "13800001111")
        #expect(request.queryValue("SignName") == "某店")
        #expect(request.queryValue("TemplateCode") == "SMS_1")
        #expect(request.queryValue("OutId") == "job-7")
        #expect(try JSONValue.parse(request.queryValue("TemplateParam") ?? "") == ["name": "张三", "time": "10:00"])
        // Recompute the signature from what arrived, encoding and sorting independently.
        let unsigned = request.query.filter { $0.0 != "Signature" }
        let canonical = unsigned.map { (encode($0.0), encode($0.1)) }.sorted { $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let toSign = "GET&%2F&" + encode(canonical)
        let expected = Bytes.base64(HMAC.sha1(key: Array("aliSecret&".utf8), message: Array(toSign.utf8)))
        #expect(request.queryValue("Signature") == expected)
    }

    @Test func throttlingCodesRetryAndOtherCodesFail() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        var config = settings
        config["url"] = server.url
        let sms = try channel(config)
        server.enqueue(
            .json(#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控"}"#),
            .json(#"{"Code":"Throttling.User","Message":"Request was denied"}"#, status: 400),
            .json(#"{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"非法手机号"}"#),
            .json(
                #"{"Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found."}"#, status: 404),
            ScriptedResponse(status: 503))
        let entry: JSONValue = ["to": "13800001111", "template": "SMS_1"]

        #expect(await send(sms, entry) == .retry(reason: "isv.BUSINESS_LIMIT_CONTROL: 触发分钟级流控", after: nil))
        #expect(isRetry(await send(sms, entry)))
        #expect(await send(sms, entry) == .failed(reason: "isv.MOBILE_NUMBER_ILLEGAL: 非法手机号"))
        #expect(isFailed(await send(sms, entry)))
        #expect(isRetry(await send(sms, entry)))
    }

    private func encode(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

@Suite struct TencentSMS {
    let settings = [
        "type": "tencent-sms", "secret_id": "AKIDtest", "secret_key": "tcSecretKey", "sdk_app_id": "1400000000",
        "sign_name": "某店",
    ]

    @Test func sendSmsCarriesE164NumbersSessionContextAndAValidTC3Signature() async throws {
        let server = try FakeHTTPServer(
            response: .json(
                #"{"Response":{"SendStatusSet":[{"SerialNo":"2028:1","Code":"Ok","Message":"send success"}],"RequestId":"r"}}"#
            ))
        defer { server.stop() }
        var config = settings
        config["url"] = server.url + "/"
        let sms = try channel(config)

        let outcome = await send(
            sms, ["to": ["13800001111", "+85261234567"], "template": "1234", "params": ["张三", "10:00"]], job: "job-9")

        #expect(outcome == .delivered(detail: "2028:1"))
        let request = try #require(server.requests.first)
        let body = try json(request)
        #expect(body["PhoneNumberSet"] == ["+8613800001111", "+85261234567"])
        #expect(body["SmsSdkAppId"] == "1400000000")
        #expect(body["TemplateId"] == "1234")
        #expect(body["SignName"] == "某店")
        #expect(body["TemplateParamSet"] == ["张三", "10:00"])
        #expect(body["SessionContext"] == "job-9")
        #expect(request.header("X-TC-Action") == "SendSms")
        #expect(request.header("X-TC-Version") == "2021-01-11")
        let timestamp = try #require(request.header("X-TC-Timestamp").flatMap { Int64($0) })
        let host = try #require(request.header("Host"))
        let signer = TC3Signer(secretID: "AKIDtest", secretKey: "tcSecretKey", service: "sms")
        let expected = signer.authorization(
            host: host, contentType: "application/json; charset=utf-8", payload: request.body, timestamp: timestamp)
        #expect(request.header("Authorization") == expected)
        #expect(expected.contains("Credential=AKIDtest/"))
    }

    @Test func errorCodesDecideBetweenRetryAndFailed() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        var config = settings
        config["url"] = server.url
        let sms = try channel(config)
        server.enqueue(
            .json(#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"too many"},"RequestId":"r"}}"#),
            .json(
                #"{"Response":{"SendStatusSet":[{"Code":"LimitExceeded.PhoneNumberThirtySecondLimit","Message":"30s"}]}}"#
            ),
            .json(
                #"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"bad sign"},"RequestId":"r"}}"#),
            ScriptedResponse(status: 500))
        let entry: JSONValue = ["to": "13800001111", "template": "1234"]

        #expect(await send(sms, entry) == .retry(reason: "RequestLimitExceeded: too many", after: nil))
        #expect(isRetry(await send(sms, entry)))
        #expect(await send(sms, entry) == .failed(reason: "AuthFailure.SignatureFailure: bad sign"))
        #expect(isRetry(await send(sms, entry)))
    }

    @Test func aHangingGatewayTimesOutAsRetry() async throws {
        let server = try FakeHTTPServer(response: ScriptedResponse(status: 200, delay: .seconds(3)))
        defer { server.stop() }
        var config = settings
        config["url"] = server.url
        config["timeout"] = "200ms"
        let sms = try channel(config)
        #expect(await send(sms, ["to": "13800001111", "template": "1"]) == .retry(reason: "timed out", after: nil))
    }
}
