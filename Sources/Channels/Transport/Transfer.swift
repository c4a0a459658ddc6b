import CCurl
import Foundation

/// One request in flight: its easy handle, the buffers libcurl reads from and writes to, and the completion.
/// Owned by the loop thread from `prepare` to `finish`; libcurl's callbacks run on that thread too.
final class Transfer: @unchecked Sendable {
    let request: OutboundRequest
    private let completion: @Sendable (TransportResult) -> Void
    private(set) var easy: UnsafeMutableRawPointer?
    private var lists: [UnsafeMutablePointer<curl_slist>?] = []
    fileprivate var responseBody: [UInt8] = []
    fileprivate var responseHeaders: [(String, String)] = []
    fileprivate var uploadOffset = 0

    init(request: OutboundRequest, completion: @escaping @Sendable (TransportResult) -> Void) {
        self.request = request
        self.completion = completion
    }

    /// Configures the easy handle `handle`, fresh or reset, and takes it over; a failure result when that is
    /// impossible (nil `handle`: libcurl could not make one).
    func prepare(_ handle: UnsafeMutableRawPointer?) -> TransportResult? {
        guard let handle else {
            return .failure(code: -1, message: "cannot create a transfer", timedOut: false)
        }
        easy = handle
        var options = EasyOptions(handle: handle)
        let context = UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
        let timeout = request.timeout.components
        let millis = max(1, Int(timeout.seconds) * 1000 + Int(timeout.attoseconds / 1_000_000_000_000_000))

        options.text(CURLOPT_URL, request.url)
        options.long(CURLOPT_NOSIGNAL, 1)
        options.text(CURLOPT_PROTOCOLS_STR, "http,https,smtp,smtps")
        options.long(CURLOPT_TIMEOUT_MS, millis)
        options.long(CURLOPT_CONNECTTIMEOUT_MS, min(millis, 10_000))
        options.callback(CURLOPT_WRITEFUNCTION, transferWrite)
        options.pointer(CURLOPT_WRITEDATA, context)
        if let username = request.username { options.text(CURLOPT_USERNAME, username) }
        if let password = request.password { options.text(CURLOPT_PASSWORD, password) }

        if request.isSMTP {
            configureSMTP(&options, context: context)
        } else {
            configureHTTP(&options, context: context)
        }
        guard options.code == CURLE_OK else {
            let message = String(cString: curl_easy_strerror(options.code))
            return .failure(code: Int(options.code.rawValue), message: message, timedOut: false)
        }
        return nil
    }

    private func configureHTTP(_ options: inout EasyOptions, context: UnsafeRawPointer) {
        options.text(CURLOPT_USERAGENT, "scrm-notify")
        let lines = request.headers.map { "\(Transfer.clean($0.0)): \(Transfer.clean($0.1))" } + ["Expect:"]
        options.pointer(CURLOPT_HTTPHEADER, UnsafeRawPointer(list(lines)))
        options.callback(CURLOPT_HEADERFUNCTION, transferHeader)
        options.pointer(CURLOPT_HEADERDATA, context)
        let method = request.method.uppercased()
        if method == "GET" {
            options.long(CURLOPT_HTTPGET, 1)
            return
        }
        if method != "POST" { options.text(CURLOPT_CUSTOMREQUEST, method) }
        if method == "POST" || !request.body.isEmpty {
            options.offset(CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            options.bytes(CURLOPT_COPYPOSTFIELDS, request.body)
        }
    }

    private func configureSMTP(_ options: inout EasyOptions, context: UnsafeRawPointer) {
        if request.url.lowercased().hasPrefix("smtp://") {
            let mode = request.requireStartTLS ? CURLUSESSL_ALL : CURLUSESSL_TRY
            options.long(CURLOPT_USE_SSL, Int(mode.rawValue))
        }
        if let from = request.mailFrom { options.text(CURLOPT_MAIL_FROM, "<\(Transfer.clean(from))>") }
        let recipients = request.recipients.map { "<\(Transfer.clean($0))>" }
        options.pointer(CURLOPT_MAIL_RCPT, UnsafeRawPointer(list(recipients)))
        options.long(CURLOPT_UPLOAD, 1)
        options.offset(CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.count))
        options.callback(CURLOPT_READFUNCTION, transferRead)
        options.pointer(CURLOPT_READDATA, context)
    }

    /// The result of the finished transfer whose curl code is `code`.
    func result(_ code: CURLcode) -> TransportResult {
        var status = 0
        if let easy { _ = scrm_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status) }
        let message = String(cString: curl_easy_strerror(code))
        if code == CURLE_OK {
            return .response(status: status, headers: responseHeaders, body: responseBody)
        }
        // An SMTP server's refusal (a 4xx or 5xx reply) says whether to try again; keep its code.
        if request.isSMTP && status >= 400 {
            return .response(status: status, headers: [], body: Array(message.utf8))
        }
        return .failure(code: Int(code.rawValue), message: message, timedOut: code == CURLE_OPERATION_TIMEDOUT)
    }

    /// Releases the handle, unless `detach` has taken it, and the lists, and hands `result` to the completion.
    func finish(_ result: TransportResult) {
        if let easy { curl_easy_cleanup(easy) }
        easy = nil
        for item in lists { curl_slist_free_all(item) }
        lists = []
        completion(result)
    }

    /// Takes the easy handle away from the transfer, for another to reuse; `finish` then leaves it alone. Read the
    /// result first: it comes from the handle.
    func detach() -> UnsafeMutableRawPointer? {
        defer { easy = nil }
        return easy
    }

    private func list(_ lines: [String]) -> UnsafeMutablePointer<curl_slist>? {
        var head: UnsafeMutablePointer<curl_slist>?
        for line in lines { head = curl_slist_append(head, line) }
        lists.append(head)
        return head
    }

    /// `text` with CR and LF removed, so a value cannot start a header or command of its own.
    static func clean(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) else { return text }
        return String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }.map(Character.init))
    }
}

/// Sets options on one easy handle, remembering the first error.
private struct EasyOptions {
    let handle: UnsafeMutableRawPointer
    var code = CURLE_OK

    mutating func long(_ option: CURLoption, _ value: Int) {
        if code == CURLE_OK { code = scrm_curl_setopt_long(handle, option, value) }
    }

    mutating func text(_ option: CURLoption, _ value: String) {
        if code == CURLE_OK { code = value.withCString { scrm_curl_setopt_ptr(handle, option, $0) } }
    }

    mutating func pointer(_ option: CURLoption, _ value: UnsafeRawPointer?) {
        if code == CURLE_OK { code = scrm_curl_setopt_ptr(handle, option, value) }
    }

    mutating func offset(_ option: CURLoption, _ value: curl_off_t) {
        if code == CURLE_OK { code = scrm_curl_setopt_off(handle, option, value) }
    }

    /// Copies `bytes` into libcurl (for `CURLOPT_COPYPOSTFIELDS`).
    mutating func bytes(_ option: CURLoption, _ value: [UInt8]) {
        guard code == CURLE_OK else { return }
        code = (value.isEmpty ? [0] : value).withUnsafeBytes { scrm_curl_setopt_ptr(handle, option, $0.baseAddress) }
    }

    mutating func callback(
        _ option: CURLoption,
        _ function: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int
    ) {
        if code == CURLE_OK { code = scrm_curl_setopt_write(handle, option, function) }
    }
}

private func transferWrite(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    data.withMemoryRebound(to: UInt8.self, capacity: length) {
        transfer.responseBody.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
    }
    return length
}

private func transferHeader(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    data.withMemoryRebound(to: UInt8.self, capacity: length) {
        let line = UnsafeBufferPointer(start: $0, count: length)
        if line.starts(with: "HTTP/".utf8) {
            // A new status line (after a 100 Continue or a redirect): only the last response's headers count.
            transfer.responseHeaders = []
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            let name = headerText(line[..<colon])
            let value = headerText(line[(colon + 1)...])
            transfer.responseHeaders.append((name, value))
        }
    }
    return length
}

/// The text of one part of a header line, without the spaces, tabs and line ends around it. Read byte by byte:
/// libcurl calls for every header of every response, and Foundation's trimming was most of the loop thread's
/// own time.
private func headerText(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
    let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
    guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
    else { return "" }
    return String(decoding: bytes[first...last], as: UTF8.self)
}

private func transferRead(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let buffer, let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let body = transfer.request.body
    let length = min(size * count, body.count - transfer.uploadOffset)
    guard length > 0 else { return 0 }
    body.withUnsafeBytes { raw in
        UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + transfer.uploadOffset, byteCount: length)
    }
    transfer.uploadOffset += length
    return length
}
