import Crypto
import Events
import FuzzSupport

private let aesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
private let anyCompany = try! CallbackCrypto(token: "thisisatoken", encodingAESKey: aesKey, receiveID: "")
private let oneCompany = try! CallbackCrypto(token: "thisisatoken", encodingAESKey: aesKey, receiveID: "P00000000023")
private let key = Bytes.fromBase64(aesKey + "=")!

/// Feeds arbitrary bytes to the callback decryption; the first byte picks which layer the rest attacks.
///
/// Random ciphertext almost never gets past the padding check, so two modes encrypt the fuzzer's bytes first:
/// one raw (the fuzzer controls padding, length and receive id), one with valid padding added.
func fuzzOne(_ bytes: [UInt8]) {
    guard let mode = bytes.first else { return }
    let rest = Array(bytes.dropFirst())
    let text = String(decoding: rest, as: UTF8.self)
    switch mode % 5 {
    case 0:
        // signature \n timestamp \n nonce \n encrypt, as an envelope body carries them.
        let parts = text.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        let field = { (index: Int) in parts.indices.contains(index) ? parts[index] : "" }
        _ = try? anyCompany.open(signature: field(0), timestamp: field(1), nonce: field(2), encrypt: field(3))
        let signed = anyCompany.signature(timestamp: field(1), nonce: field(2), encrypt: field(3))
        _ = try? oneCompany.open(signature: signed, timestamp: field(1), nonce: field(2), encrypt: field(3))
    case 1:
        _ = try? anyCompany.decrypt(text)
        _ = try? oneCompany.decrypt(text)
    case 2:
        var plain = rest
        plain.append(contentsOf: repeatElement(0, count: (16 - plain.count % 16) % 16))
        openRaw(plain)
    case 3:
        var plain = rest
        let pad = 32 - plain.count % 32
        plain.append(contentsOf: repeatElement(UInt8(pad), count: pad))
        openRaw(plain)
    default:
        // Round trip: what the platform's scheme encrypts must decrypt to the same message.
        let sealed = oneCompany.encrypt(rest, random: Array(repeating: 7, count: 16))
        precondition((try? oneCompany.decrypt(sealed)) == rest, "encrypt then decrypt changed the message")
        _ = try? CallbackCrypto(token: text, encodingAESKey: text, receiveID: text)
    }
}

/// Encrypts block-aligned plaintext with the callback key, then decrypts it the way a push is opened.
private func openRaw(_ plain: [UInt8]) {
    guard !plain.isEmpty, let sealed = try? AES256CBC.encrypt(key: key, iv: Array(key[0..<16]), plaintext: plain)
    else { return }
    let encrypt = Bytes.base64(sealed)
    _ = try? anyCompany.decrypt(encrypt)
    _ = try? oneCompany.decrypt(encrypt)
}

/// libFuzzer's per-input hook; with `-sanitize=fuzzer` libFuzzer's own driver calls it for every input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(fuzzInput(data, size))
    return 0
}

@main enum Main {
    static func main() { FuzzMain.run(fuzzerTestOneInput, replaying: fuzzOne) }
}
