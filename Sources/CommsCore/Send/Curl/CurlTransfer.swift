import CCurl

/// What libcurl is told about one transfer, and what it hands back while it
/// runs it.
///
/// Invariants: created, used and released only on the engine thread; owns
/// everything libcurl points into (error buffer, POST body, header and
/// recipient lists) until `deinit`, which runs after the loop has removed
/// the handle from the multi handle and reset it (or cleaned it up). Callbacks reach it
/// through an unretained pointer (`CURLOPT_PRIVATE`, `*DATA`); the engine's
/// table of active transfers keeps it alive for as long as libcurl may call.
///
/// The easy handle is the engine's (`CurlHandles`): lent for the transfer
/// and reset when it comes back, so no option of one transfer (an SMTP
/// password, a CA file, a header) reaches the next. Connections are reused
/// through the multi handle's cache (for SMTP, see `SMTPConnectionPools`).
final class CurlTransfer {
  let work: PendingTransfer
  let easy: UnsafeMutableRawPointer
  /// The share the handle was configured with; it stays on the handle after
  /// a reset, so the handle goes back to the pool kept for it.
  let share: UnsafeMutableRawPointer?
  private let errorBuffer: UnsafeMutablePointer<CChar>
  private var requestHeaders: CurlStringList?
  private var recipientList: CurlStringList?
  private var postFields: UnsafeMutableRawBufferPointer?
  private var message: [UInt8] = []
  private var messageOffset = 0
  private var responseHeaderLines = HeaderLines()
  private var responseBody: [UInt8] = []

  /// A configured transfer, or the answer for one that cannot run.
  enum Setup {
    case ready(CurlTransfer)
    case refused(CurlResponse)
  }

  /// Configures `easy` (a fresh or reset handle) for `work`, or explains
  /// why it cannot run. `connectionCache` is a share handle whose connection
  /// cache replaces the multi handle's (see `SMTPConnectionPools`). Either
  /// way the caller gets the handle back when libcurl is done with it.
  static func make(
    _ work: PendingTransfer, easy: UnsafeMutableRawPointer,
    connectionCache: UnsafeMutableRawPointer?
  ) -> Setup {
    let transfer = CurlTransfer(work, easy: easy, share: connectionCache)
    if let problem = transfer.configure(connectionCache: connectionCache) {
      return .refused(problem)
    }
    return .ready(transfer)
  }

  private init(
    _ work: PendingTransfer, easy: UnsafeMutableRawPointer, share: UnsafeMutableRawPointer?
  ) {
    self.work = work
    self.easy = easy
    self.share = share
    errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
    errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
  }

  /// Runs once the engine has reset or cleaned up the handle: nothing of
  /// libcurl's points into these buffers any more.
  deinit {
    requestHeaders?.free()
    recipientList?.free()
    postFields?.deallocate()
    errorBuffer.deallocate()
  }

  /// Reads the outcome from the handle once libcurl reports it done.
  func response(for code: CURLcode) -> CurlResponse {
    var status = 0
    _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
    var connects = 0
    _ = ccurl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
    var message: String?
    if code != CURLE_OK {
      let detail = String(cString: errorBuffer)
      message = detail.isEmpty ? String(cString: ccurl_easy_strerror(code)) : detail
    }
    var response = CurlResponse(
      curlCode: Int32(code.rawValue),
      errorMessage: message,
      statusCode: status,
      body: responseBody,
      duration: .now - work.started,
      newConnections: connects
    )
    response.headerStorage = .lines(responseHeaderLines)
    return response
  }

  // MARK: Configuration

  private func configure(connectionCache: UnsafeMutableRawPointer?) -> CurlResponse? {
    var options = CurlEasyOptions(easy)
    let context = Unmanaged.passUnretained(self).toOpaque()
    let request = work.request
    options.set(CURLOPT_PRIVATE, pointer: context)
    options.set(CURLOPT_NOSIGNAL, 1)
    if let connectionCache {
      options.set(CURLOPT_SHARE, pointer: connectionCache)
    }
    options.set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
    options.set(CURLOPT_TIMEOUT_MS, request.timeout.curlMilliseconds)
    options.set(CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeout.curlMilliseconds)
    options.set(CURLOPT_TCP_KEEPALIVE, 1)
    options.set(CURLOPT_TCP_KEEPIDLE, 60)
    options.set(CURLOPT_TCP_KEEPINTVL, 30)
    if !request.verifyTLS {
      options.set(CURLOPT_SSL_VERIFYPEER, 0)
      options.set(CURLOPT_SSL_VERIFYHOST, 0)
    }
    if let caFile = request.caFile {
      options.set(CURLOPT_CAINFO, caFile)
    }
    options.set(CURLOPT_WRITEDATA, pointer: context)
    options.set(CURLOPT_WRITEFUNCTION, write: curlCollectBody)

    let problem: String?
    switch request.payload {
    case .httpPost(let url, let headers, let body):
      problem = configureHTTP(&options, url: url, headers: headers, body: body, context: context)
    case .httpGet(let url, let headers):
      problem = configureHTTP(&options, url: url, headers: headers, body: nil, context: context)
    case .smtp(let url, let from, let recipients, let message, let username, let password, let tls):
      problem = configureSMTP(
        &options, url: url, from: from, recipients: recipients, message: message,
        username: username, password: password, tls: tls, context: context)
    }
    if let problem {
      return work.failure(CURLE_BAD_FUNCTION_ARGUMENT, problem)
    }
    if let failure = options.failure {
      let reason = String(cString: ccurl_easy_strerror(failure.code))
      return work.failure(failure.code, "curl option \(failure.option.rawValue) refused: \(reason)")
    }
    return nil
  }

  /// A POST of `body`, or a GET when there is none.
  private func configureHTTP(
    _ options: inout CurlEasyOptions, url: String, headers: [HTTPHeaderField], body: [UInt8]?,
    context: UnsafeMutableRawPointer
  ) -> String? {
    guard !containsLineBreak(url) else { return "the URL contains a line break or NUL" }
    options.set(CURLOPT_URL, url)
    options.set(CURLOPT_PROTOCOLS_STR, "http,https")
    options.set(CURLOPT_FOLLOWLOCATION, 0)
    if let body {
      options.set(CURLOPT_POST, 1)
      // POSTFIELDS is not copied: the buffer is ours until deinit. Never
      // empty, so libcurl never sees NULL and falls back to reading stdin.
      let buffer = UnsafeMutableRawBufferPointer.allocate(
        byteCount: max(1, body.count), alignment: 1)
      buffer.copyBytes(from: body)
      postFields = buffer
      options.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(body.count))
      options.set(CURLOPT_POSTFIELDS, pointer: buffer.baseAddress)
    } else {
      options.set(CURLOPT_HTTPGET, 1)
    }

    for field in headers
    where containsLineBreak(field.name) || containsLineBreak(field.value) || field.name.isEmpty {
      return "HTTP header \(field.name.debugDescription) has an empty name, a line break or NUL"
    }
    // An empty Expect: keeps libcurl from waiting for 100-continue on big bodies.
    let list = CurlStringList(headers: headers, extra: ["Expect:"])
    requestHeaders = list
    options.set(CURLOPT_HTTPHEADER, list: list.head)
    options.set(CURLOPT_HEADERDATA, pointer: context)
    options.set(CURLOPT_HEADERFUNCTION, header: curlCollectHeader)
    return nil
  }

  private func configureSMTP(
    _ options: inout CurlEasyOptions, url: String, from: String, recipients: [String],
    message: [UInt8], username: String?, password: String?, tls: SMTPTLSMode,
    context: UnsafeMutableRawPointer
  ) -> String? {
    guard !recipients.isEmpty else { return "an SMTP delivery needs at least one recipient" }
    for address in recipients + [from] where containsLineBreak(address) {
      return "mail address \(address.debugDescription) contains a line break or NUL"
    }
    for text in [url, username ?? "", password ?? ""] where containsLineBreak(text) {
      return "the SMTP URL or login contains a line break or NUL"
    }
    options.set(CURLOPT_URL, smtpURL(url, tls: tls))
    options.set(CURLOPT_PROTOCOLS_STR, tls == .tls ? "smtps" : "smtp")
    if tls == .starttls {
      options.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
    }
    if let username { options.set(CURLOPT_USERNAME, username) }
    if let password { options.set(CURLOPT_PASSWORD, password) }
    options.set(CURLOPT_MAIL_FROM, from)
    let list = CurlStringList(recipients)
    recipientList = list
    options.set(CURLOPT_MAIL_RCPT, list: list.head)
    self.message = message
    options.set(CURLOPT_UPLOAD, 1)
    options.set(CURLOPT_INFILESIZE_LARGE, offset: Int64(message.count))
    options.set(CURLOPT_READDATA, pointer: context)
    options.set(CURLOPT_READFUNCTION, read: curlReadMessage)
    return nil
  }

  /// The scheme follows the TLS mode, so a configuration cannot say `.tls`
  /// and silently talk plain text to port 465.
  private func smtpURL(_ url: String, tls: SMTPTLSMode) -> String {
    let scheme = tls == .tls ? "smtps://" : "smtp://"
    for known in ["smtps://", "smtp://"] where url.lowercased().hasPrefix(known) {
      return scheme + url.dropFirst(known.count)
    }
    return url
  }

  private func containsLineBreak(_ text: String) -> Bool {
    text.utf8.contains { $0 == 0x0A || $0 == 0x0D || $0 == 0 }
  }

  // MARK: Callback bodies (engine thread, inside curl_multi_perform)

  fileprivate func appendBody(_ bytes: UnsafeRawBufferPointer) {
    let room = CurlResponse.bodyLimit - responseBody.count
    if room > 0 {
      responseBody.append(contentsOf: bytes.prefix(room))
    }
  }

  fileprivate func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) {
    responseHeaderLines.keep(bytes)
  }

  fileprivate func readMessage(into buffer: UnsafeMutableRawBufferPointer) -> Int {
    let count = min(buffer.count, message.count - messageOffset)
    guard count > 0 else { return 0 }
    message.withUnsafeBytes { source in
      buffer.copyMemory(
        from: UnsafeRawBufferPointer(rebasing: source[messageOffset..<messageOffset + count]))
    }
    messageOffset += count
    return count
  }
}

/// Everything libcurl sends back is consumed, so the transfer never fails
/// for a large answer; `appendBody` keeps only the first 64 KiB.
private let curlCollectBody: ccurl_write_callback = { data, size, count, context in
  let length = size * count
  if let data, let context, length > 0 {
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    transfer.appendBody(UnsafeRawBufferPointer(start: data, count: length))
  }
  return length
}

private let curlCollectHeader: ccurl_header_callback = { data, size, count, context in
  let length = size * count
  if let data, let context, length > 0 {
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    transfer.appendHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
  }
  return length
}

private let curlReadMessage: ccurl_read_callback = { buffer, size, count, context in
  guard let buffer, let context else { return 0 }
  let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
  return transfer.readMessage(
    into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
}
