import Channels
import Crypto
import Testing

@Suite struct PublishedSignatureVectors {
    @Test func dingTalkSignMatchesTheCheckValue() {
        #expect(
            DingTalkChannel.sign(timestamp: 1_700_000_000_000, secret: "secret")
                == "OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D")
    }

    @Test func aliyunRPCSignatureMatchesTheDocumentedExample() {
        let parameters = [
            ("AccessKeyId", "testId"), ("Action", "SendSms"), ("Format", "XML"), ("OutId", "123"),
            ("PhoneNumbers", "15300000001"), ("RegionId", "cn-hangzhou"), ("SignName", "阿里云短信测试专用"),
            ("SignatureMethod", "HMAC-SHA1"), ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
            ("SignatureVersion", "1.0"), ("TemplateCode", "SMS_71390007"), ("TemplateParam", "{\"customer\":\"test\"}"),
            ("Timestamp", "2017-07-12T02:42:19Z"), ("Version", "2017-05-25"),
        ]
        #expect(AliyunSigner.signature(parameters: parameters, secret: "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4=")
    }

    @Test func tc3SignatureMatchesTencentsPublishedExample() {
        let signer = TC3Signer(
            secretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", secretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            service: "cvm")
        let payload = Array(
            #"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#.utf8)
        let signature = signer.signature(
            host: "cvm.tencentcloudapi.com", contentType: "application/json; charset=utf-8", payload: payload,
            timestamp: 1_551_113_065)
        #expect(signature == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")
        let authorization = signer.authorization(
            host: "cvm.tencentcloudapi.com", contentType: "application/json; charset=utf-8", payload: payload,
            timestamp: 1_551_113_065)
        #expect(
            authorization
                == "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
                + "SignedHeaders=content-type;host, Signature=\(signature)")
    }

    @Test func feishuSignIsHMACOfAnEmptyMessageKeyedByTimestampAndSecret() {
        let expected = Bytes.base64(HMAC.sha256(key: Array("1700000000\nabc".utf8), message: [UInt8]()))
        #expect(FeishuChannel.sign(timestamp: 1_700_000_000, secret: "abc") == expected)
        #expect(FeishuChannel.sign(timestamp: 1_700_000_001, secret: "abc") != expected)
    }
}
