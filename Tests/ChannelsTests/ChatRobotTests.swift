import Channels
import Crypto
import Foundation
import JSON
import TestKit
import Testing

@Suite struct WeComRobot {
    @Test func textCarriesMentionsSplitIntoUserIDsAndMobiles() async throws {
        let server = try FakeHTTPServer(response: .json(#"{"errcode":0,"errmsg":"ok"}"#))
        defer { server.stop() }
        let robot = try channel(["type": "wecom", "url": server.url + "/cgi-bin/webhook/send?key=K-123"])

        let outcome = await send(robot, ["text": "新预约", "mention": ["13800001111", "wangwu", "@all"]])

        #expect(outcome == .delivered(detail: nil))
        let request = try #require(server.requests.first)
        #expect(request.queryValue("key") == "K-123")
        let body = try json(request)
        #expect(body["msgtype"] == "text")
        #expect(body["text"]?["content"] == "新预约")
        #expect(body["text"]?["mentioned_list"] == ["wangwu", "@all"])
        #expect(body["text"]?["mentioned_mobile_list"] == ["13800001111"])
    }

    @Test func markdownOverTheLimitIsCutAtACharacterBoundaryWithAMarker() async throws {
        let server = try FakeHTTPServer(response: .json(#"{"errcode":0,"errmsg":"ok"}"#))
        defer { server.stop() }
        let robot = try channel(["type": "wecom", "url": server.url])
        let long = String(repeating: "预约", count: 1000)  // 6000 bytes

        _ = await send(robot, ["markdown": .string(long)])

        let content = try #require(try json(server.requests.first)["markdown"]?["content"]?.stringValue)
        #expect(content.utf8.count <= 4096)
        #expect(content.utf8.count > 4000)
        #expect(content.hasSuffix("…(truncated)"))
        #expect(long.hasPrefix(String(content.dropLast("…(truncated)".count))))
    }

    @Test func errcodesDecideBetweenDeliveredRetryAndFailed() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        let robot = try channel(["type": "wecom", "url": server.url])
        server.enqueue(
            .json(#"{"errcode":45009,"errmsg":"api freq out of limit"}"#),
            .json(#"{"errcode":93000,"errmsg":"invalid webhook url"}"#), ScriptedResponse(status: 502))

        let limited = await send(robot, ["text": "a"])
        let invalid = await send(robot, ["text": "a"])
        let down = await send(robot, ["text": "a"])

        #expect(limited == .retry(reason: "errcode 45009: api freq out of limit", after: .seconds(60)))
        #expect(invalid == .failed(reason: "errcode 93000: invalid webhook url"))
        #expect(isRetry(down))
    }

    @Test func aHangingRobotTimesOutAsRetry() async throws {
        let server = try FakeHTTPServer(response: ScriptedResponse(status: 200, delay: .seconds(3)))
        defer { server.stop() }
        let robot = try channel(["type": "wecom", "url": server.url, "timeout": "200ms"])
        #expect(await send(robot, ["text": "a"]) == .retry(reason: "timed out", after: nil))
    }

    @Test func aTextEntryWithoutTextIsAPermanentFailure() async throws {
        let robot = try channel(["type": "wecom", "url": "https://example.invalid/send?key=k"], name: "store-group")
        #expect(
            await send(robot, ["title": "x"]) == .failed(reason: "channel store-group: the notification has no text"))
    }
}

@Suite struct DingTalkRobot {
    @Test func signedMarkdownCarriesTitleAtBlockAndAValidSignature() async throws {
        let server = try FakeHTTPServer(response: .json(#"{"errcode":0,"errmsg":"ok"}"#))
        defer { server.stop() }
        let robot = try channel([
            "type": "dingtalk", "url": server.url + "/robot/send?access_token=T0K", "secret": "SEC",
        ])

        let outcome = await send(robot, ["markdown": "## 新预约\n张三", "title": "预约", "mention": ["13800001111"]])

        #expect(outcome == .delivered(detail: nil))
        let request = try #require(server.requests.first)
        #expect(request.queryValue("access_token") == "T0K")
        let timestamp = try #require(request.queryValue("timestamp").flatMap { Int64($0) })
        #expect(abs(Double(timestamp) / 1000 - Date().timeIntervalSince1970) < 60)
        let mac = Bytes.base64(HMAC.sha256(key: Array("SEC".utf8), message: Array("\(timestamp)\nSEC".utf8)))
        #expect(request.queryValue("sign") == mac)  // the server decoded the URL encoding
        let body = try json(request)
        #expect(body["msgtype"] == "markdown")
        #expect(body["markdown"]?["title"] == "预约")
        #expect(body["markdown"]?["text"]?.stringValue?.hasSuffix("@13800001111") == true)
        #expect(body["at"]?["atMobiles"] == ["13800001111"])
        #expect(body["at"]?["isAtAll"] == false)
    }

    @Test func textToEveryoneSetsIsAtAll() async throws {
        let server = try FakeHTTPServer(response: .json(#"{"errcode":0,"errmsg":"ok"}"#))
        defer { server.stop() }
        let robot = try channel(["type": "dingtalk", "url": server.url])

        _ = await send(robot, ["text": "全员注意", "mention": "@all"])

        let body = try json(server.requests.first)
        #expect(body["text"]?["content"] == "全员注意")
        #expect(body["at"]?["isAtAll"] == true)
        #expect(server.requests.first?.queryValue("sign") == nil)
    }

    @Test func sendingTooFastIsRetriedAndBadTokensFail() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        let robot = try channel(["type": "dingtalk", "url": server.url])
        server.enqueue(
            .json(#"{"errcode":130101,"errmsg":"send too fast"}"#),
            .json(#"{"errcode":310000,"errmsg":"sign not match"}"#))

        #expect(isRetry(await send(robot, ["text": "a"])))
        #expect(await send(robot, ["text": "a"]) == .failed(reason: "errcode 310000: sign not match"))
    }
}

@Suite struct FeishuBot {
    @Test func signedTextCarriesTimestampAndSignInTheBody() async throws {
        let server = try FakeHTTPServer(response: .json(#"{"code":0,"msg":"success","data":{}}"#))
        defer { server.stop() }
        let bot = try channel(["type": "feishu", "url": server.url + "/open-apis/bot/v2/hook/HOOK", "secret": "FS"])

        let outcome = await send(bot, ["text": "新预约"])

        #expect(outcome == .delivered(detail: nil))
        let body = try json(server.requests.first)
        #expect(body["msg_type"] == "text")
        #expect(body["content"]?["text"] == "新预约")
        let timestamp = try #require(body["timestamp"]?.stringValue.flatMap { Int64($0) })
        let expected = Bytes.base64(HMAC.sha256(key: Array("\(timestamp)\nFS".utf8), message: [UInt8]()))
        #expect(body["sign"]?.stringValue == expected)
    }

    @Test func aTitleMakesAPostWithOneParagraphPerLine() async throws {
        let server = try FakeHTTPServer(response: .json(#"{"StatusCode":0,"StatusMessage":"success"}"#))
        defer { server.stop() }
        let bot = try channel(["type": "lark", "url": server.url])

        let outcome = await send(bot, ["title": "预约", "text": "第一行\n第二行"])

        #expect(outcome == .delivered(detail: nil))
        let post = try json(server.requests.first)["content"]?["post"]?["zh_cn"]
        #expect(post?["title"] == "预约")
        #expect(post?["content"]?[1]?[0]?["text"] == "第二行")
    }

    @Test func rateLimitCodesRetryAndOthersFail() async throws {
        let server = try FakeHTTPServer()
        defer { server.stop() }
        let bot = try channel(["type": "feishu", "url": server.url])
        server.enqueue(
            .json(#"{"code":11232,"msg":"frequency limited"}"#), .json(#"{"code":19021,"msg":"sign match fail"}"#))

        #expect(isRetry(await send(bot, ["text": "a"])))
        #expect(await send(bot, ["text": "a"]) == .failed(reason: "code 19021: sign match fail"))
    }
}

@Suite struct SlackWebhook {
    @Test func postsTextAndJudgesStatuses() async throws {
        let server = try FakeHTTPServer(response: ScriptedResponse(status: 200, body: "ok"))
        defer { server.stop() }
        let slack = try channel(["type": "slack", "url": server.url + "/services/T0/B0/XYZ"])
        server.enqueue(
            ScriptedResponse(status: 200, body: "ok"), ScriptedResponse(status: 429, headers: [("Retry-After", "30")]),
            ScriptedResponse(status: 403, body: "invalid_token"))

        #expect(await send(slack, ["text": "hi"]) == .delivered(detail: nil))
        #expect(await send(slack, ["text": "hi"]) == .retry(reason: "HTTP 429", after: .seconds(30)))
        #expect(await send(slack, ["text": "hi"]) == .failed(reason: "HTTP 403: invalid_token"))
        #expect(try json(server.requests.first) == ["text": "hi"])
        #expect(server.requests.first?.path == "/services/T0/B0/XYZ")
    }
}

@Suite struct ConsoleOutput {
    @Test func writesTheRenderedTextAsOneLine() async throws {
        let lines = LineCollector()
        var settings = JSONObject()
        settings["type"] = "console"
        let console = try ChannelFactory.make(
            name: "console", settings: settings, console: ConsoleWriter { lines.append($0) })

        let outcome = await send(console, ["text": "第一行\n第二行"])

        #expect(outcome == .delivered(detail: nil))
        #expect(lines.all == ["[console] 第一行\\n第二行"])
    }
}

/// Lines written by a console channel, for assertions.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
