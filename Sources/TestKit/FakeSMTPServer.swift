import Foundation
import JSON

/// A message the SMTP sink accepted.
public struct ReceivedMail: Sendable {
    /// The envelope sender.
    public var mailFrom: String
    /// The envelope recipients.
    public var recipients: [String]
    /// The message as received (headers and body, CRLF lines).
    public var data: String
    /// The login the client authenticated with.
    public var login: String?
}

/// An SMTP server on 127.0.0.1 (aiosmtpd, run from `Tests/Fixtures/Channels/smtp_sink.py`) that accepts AUTH for
/// one user and password and records every message.
public final class FakeSMTPServer: @unchecked Sendable {
    /// The port the sink listens on.
    public let port: Int
    /// The login the sink accepts.
    public let username: String
    /// The password the sink accepts.
    public let password: String
    private let process: Process
    private let folder: URL

    /// Starts the sink and waits (up to 10 seconds) until it accepts connections.
    public init(
        username: String = "mailer", password: String = "mail-pass", script: URL = FakeSMTPServer.defaultScript
    ) throws(FakeServerError) {
        self.username = username
        self.password = password
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-sink-" + UUID().uuidString)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw .cannotStart("cannot create \(folder.path)")
        }
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            python, "-W", "ignore", script.path, folder.appendingPathComponent("mail.jsonl").path,
            folder.appendingPathComponent("ready").path, username, password,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .cannotStart("cannot run \(python): \(error)")
        }
        let ready = folder.appendingPathComponent("ready")
        let deadline = Date().addingTimeInterval(10)
        var found: Int?
        while Date() < deadline && process.isRunning {
            if let text = try? String(contentsOf: ready, encoding: .utf8), let value = Int(text) {
                found = value
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        guard let found else {
            process.terminate()
            throw .cannotStart("aiosmtpd did not come up (is python3-aiosmtpd installed?)")
        }
        port = found
    }

    deinit { stop() }

    /// The script next to this package's test fixtures.
    public static var defaultScript: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/Channels/smtp_sink.py")
    }

    /// `smtp://127.0.0.1:PORT`.
    public var url: String { "smtp://127.0.0.1:\(port)" }

    /// The messages received so far.
    public var messages: [ReceivedMail] {
        guard let text = try? String(contentsOf: folder.appendingPathComponent("mail.jsonl"), encoding: .utf8) else {
            return []
        }
        return text.split(separator: "\n").compactMap { line in
            guard let value = try? JSONValue.parse(String(line)) else { return nil }
            return ReceivedMail(
                mailFrom: value["mail_from"]?.stringValue ?? "",
                recipients: value["rcpt_tos"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                data: value["data"]?.stringValue ?? "", login: value["login"]?.stringValue)
        }
    }

    /// Stops the sink and removes its files.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: folder)
    }
}
