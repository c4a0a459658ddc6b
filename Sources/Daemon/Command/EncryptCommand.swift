import Crypto
import Events
import Foundation
import JSON

/// `scrm-notify encrypt`: seals a plaintext envelope the way the platform does, for testing a setup.
enum EncryptCommand {
    static let help = """
        usage: scrm-notify encrypt --token T --aes-key K [--receive-id R] < plain.json

        Reads a plaintext envelope ({id, event, action, body}) on standard input and prints it with its body
        encrypted and signed as the platform sends it (WXBizMsgCrypt, JSON mode).
        """

    static func run(_ words: ArraySlice<String>) -> Int32 {
        let arguments: Arguments
        switch CommandLineTool.parse(words, help: help, valued: ["token", "aes-key", "receive-id"]) {
        case .success(let parsed): arguments = parsed
        case .failure(let exit): return exit.code
        }
        guard let token = arguments.options["token"], let key = arguments.options["aes-key"] else {
            printError("scrm-notify: encrypt needs --token and --aes-key\n\n\(help)")
            return 2
        }
        let input = FileHandle.standardInput.readDataToEndOfFile()
        do {
            let crypto = try CallbackCrypto(
                token: token, encodingAESKey: key, receiveID: arguments.options["receive-id"] ?? "")
            let envelope = try Envelope.decode(Array(input))
            let timestamp = String(Int(Date().timeIntervalSince1970))
            let nonce = String(Bytes.hex(Bytes.random(8)))
            let sealed = crypto.seal(envelope.body.serializedBytes(), timestamp: timestamp, nonce: nonce)
            print(envelope.withBody(sealed.json).json.serialized())
            return 0
        } catch {
            printError("scrm-notify: \(error)")
            return 2
        }
    }
}
