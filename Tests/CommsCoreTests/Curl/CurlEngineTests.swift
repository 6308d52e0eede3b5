import Foundation
import Testing

@testable import CommsCore

/// CurlEngine against real receivers on 127.0.0.1: the Python HTTP/1.1
/// keep-alive server and the aiosmtpd server from Tests/Receivers
/// (http_receiver.py, smtp_receiver.py; see the README there).
@Suite("CurlEngine")
struct CurlEngineTests {
  static let json = HTTPHeaderField(name: "Content-Type", value: "application/json")

  func post(
    _ receiver: TestReceiver, _ path: String = "/hook", body: [UInt8] = Array("{}".utf8),
    headers: [HTTPHeaderField] = [json], timeout: Duration = .seconds(10)
  ) -> CurlRequest {
    CurlRequest(
      payload: .httpPost(
        url: "http://127.0.0.1:\(receiver.port)\(path)", headers: headers, body: body),
      timeout: timeout)
  }

  func mail(
    port: Int, to recipients: [String], message: [UInt8] = Array("Subject: t\r\n\r\nhi\r\n".utf8),
    tls: SMTPTLSMode = .none, username: String? = nil, password: String? = nil
  ) -> CurlRequest.Payload {
    .smtp(
      url: "smtp://127.0.0.1:\(port)", mailFrom: "alerts@commsd.test", recipients: recipients,
      message: message, username: username, password: password, tls: tls)
  }

  // MARK: HTTP

  @Test func postDeliversBodyAndHeadersIntact() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let body = Array(#"{"text":"Evakuer bygning 3 — æøå ÆØÅ","level":"flash"}"#.utf8)
      let headers = [
        Self.json, HTTPHeaderField(name: "X-Commsd-Signature", value: "sha256=abc123"),
        HTTPHeaderField(name: "X-Empty", value: ""),
      ]
      let response = await engine.perform(post(receiver, body: body, headers: headers))
      await engine.shutdown()

      #expect(response.curlCode == 0)
      #expect(response.errorMessage == nil)
      #expect(response.statusCode == 200)
      #expect(response.body == Array("ok".utf8))
      #expect(response.header("x-receiver") == "test")
      #expect(response.header("CONTENT-LENGTH") == "2")

      let received = try receiver.records(as: ReceivedPost.self)
      #expect(received.count == 1)
      let post = try #require(received.first)
      #expect(post.path == "/hook")
      #expect(post.method == "POST")
      #expect(post.bodyBytes == body)
      #expect(post.header("Content-Type") == "application/json")
      #expect(post.header("X-Commsd-Signature") == "sha256=abc123")
      #expect(post.header("X-Empty") == "")  // sent as "X-Empty;", not dropped
      #expect(post.header("Expect") == nil)
    }
  }

  @Test func largeBodiesGoOutWholeWithoutExpectAndComeBackCapped() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let body = (0..<2_000_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
      let response = await engine.perform(post(receiver, "/big", body: body))
      await engine.shutdown()

      #expect(response.curlCode == 0)
      #expect(response.body.count == CurlResponse.bodyLimit)
      let post = try #require(try receiver.records(as: ReceivedPost.self).first)
      #expect(post.bodyBytes == body)
      #expect(post.header("Expect") == nil)
    }
  }

  @Test func statusCodesAndRetryAfterComeBack() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let noContent = await engine.perform(post(receiver, "/status/204"))
      let notFound = await engine.perform(post(receiver, "/status/404"))
      let unavailable = await engine.perform(post(receiver, "/status/503?retry-after=120"))
      await engine.shutdown()

      #expect(noContent.curlCode == 0 && noContent.statusCode == 204 && noContent.body.isEmpty)
      #expect(notFound.curlCode == 0 && notFound.statusCode == 404)
      #expect(notFound.header("Retry-After") == nil)
      #expect(unavailable.curlCode == 0 && unavailable.statusCode == 503)
      #expect(unavailable.header("retry-after") == "120")
      #expect(unavailable.body == Array("status 503".utf8))
    }
  }

  @Test func refusedConnectionFailsWithMessage() async {
    let engine = CurlEngine()
    let request = CurlRequest(
      payload: .httpPost(url: "http://127.0.0.1:\(unusedPort())/hook", headers: [], body: [1]))
    let response = await engine.perform(request)
    await engine.shutdown()

    #expect(response.curlCode == 7)  // CURLE_COULDNT_CONNECT
    #expect(response.errorMessage?.isEmpty == false)
    #expect(response.statusCode == 0)
  }

  @Test func slowReceiverTimesOutAtTheRequestTimeout() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let response = await engine.perform(
        post(receiver, "/delay/5000", timeout: .milliseconds(500)))
      await engine.shutdown()

      #expect(response.curlCode == 28)  // CURLE_OPERATION_TIMEDOUT
      #expect(response.errorMessage?.contains("imed out") == true)
      #expect(response.duration >= .milliseconds(450))
      #expect(response.duration < .milliseconds(2500))
    }
  }

  @Test func sequentialPostsReuseOneConnection() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      var newConnections = 0
      for index in 0..<20 {
        let response = await engine.perform(post(receiver, "/seq/\(index)"))
        #expect(response.statusCode == 200)
        newConnections += response.newConnections
      }
      await engine.shutdown()

      let received = try receiver.records(as: ReceivedPost.self)
      #expect(received.count == 20)
      #expect(Set(received.map(\.clientPort)).count == 1)
      #expect(newConnections == 1)
    }
  }

  @Test func concurrentPostsRunTogether() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let started = ContinuousClock.now
      let statuses = await withTaskGroup(of: Int.self) { group in
        for _ in 0..<50 {
          group.addTask { await engine.perform(post(receiver, "/delay/200")).statusCode }
        }
        return await group.reduce(into: [Int]()) { $0.append($1) }
      }
      let elapsed = ContinuousClock.now - started
      await engine.shutdown()

      #expect(statuses == Array(repeating: 200, count: 50))
      // One after another would take 50 × 200 ms = 10 s.
      #expect(elapsed < .seconds(3), "50 concurrent 200 ms POSTs took \(elapsed)")
    }
  }

  @Test func transfersBeyondTheConnectionLimitQueueAndComplete() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine(maxConnections: 2)
      let statuses = await withTaskGroup(of: Int.self) { group in
        for _ in 0..<12 {
          group.addTask { await engine.perform(post(receiver, "/delay/50")).statusCode }
        }
        return await group.reduce(into: [Int]()) { $0.append($1) }
      }
      await engine.shutdown()

      #expect(statuses == Array(repeating: 200, count: 12))
      let ports = Set(try receiver.records(as: ReceivedPost.self).map(\.clientPort))
      #expect(ports.count <= 2)
    }
  }

  @Test func hostileRequestsAreRefusedBeforeSending() async {
    let engine = CurlEngine()
    let fileURL = await engine.perform(
      CurlRequest(payload: .httpPost(url: "file:///etc/passwd", headers: [], body: [])))
    let injected = await engine.perform(
      CurlRequest(
        payload: .httpPost(
          url: "http://127.0.0.1:1/",
          headers: [HTTPHeaderField(name: "X-A", value: "1\r\nX-Injected: 2")], body: [])))
    await engine.shutdown()

    #expect(fileURL.curlCode == 1)  // CURLE_UNSUPPORTED_PROTOCOL
    #expect(fileURL.body.isEmpty)
    #expect(injected.curlCode == 43)  // CURLE_BAD_FUNCTION_ARGUMENT
    #expect(injected.errorMessage?.contains("line break") == true)
  }

  @Test func httpsChecksCertificatesPerTransfer() async throws {
    try await withHTTPReceiver(tls: true) { receiver in
      let engine = CurlEngine()
      let url = "https://127.0.0.1:\(receiver.port)/secure"
      let payload = CurlRequest.Payload.httpPost(url: url, headers: [Self.json], body: [])
      let unchecked = await engine.perform(CurlRequest(payload: payload, verifyTLS: false))
      let untrusted = await engine.perform(CurlRequest(payload: payload))
      let trusted = await engine.perform(CurlRequest(payload: payload, caFile: receiver.caFile))
      await engine.shutdown()

      #expect(unchecked.curlCode == 0 && unchecked.statusCode == 200)
      #expect(untrusted.curlCode == 60)  // CURLE_PEER_FAILED_VERIFICATION
      #expect(trusted.curlCode == 0 && trusted.statusCode == 200)
      let received = try receiver.records(as: ReceivedPost.self)
      #expect(received.count == 2)
    }
  }

  // MARK: Lifecycle

  @Test func shutdownLetsInFlightTransfersFinishThenRefusesWork() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let inFlight = Task { await engine.perform(post(receiver, "/delay/300")) }
      // Shut down only once the receiver holds the request.
      let arrived = try await receiver.eventually { try !$0.records(as: ReceivedPost.self).isEmpty }
      try #require(arrived)
      await engine.shutdown()
      let finished = await inFlight.value
      #expect(finished.curlCode == 0 && finished.statusCode == 200)

      let started = ContinuousClock.now
      let refused = await engine.perform(post(receiver))
      #expect(refused.curlCode == 2)  // CURLE_FAILED_INIT
      #expect(refused.errorMessage?.contains("shut down") == true)
      #expect(ContinuousClock.now - started < .milliseconds(100))
      await engine.shutdown()  // a second call returns at once
    }
  }

  @Test func cancellingTheAwaitingTaskEndsARunningTransfer() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let transfer = Task { await engine.perform(post(receiver, "/delay/5000")) }
      let arrived = try await receiver.eventually { try !$0.records(as: ReceivedPost.self).isEmpty }
      try #require(arrived)
      let cancelled = ContinuousClock.now
      transfer.cancel()
      let response = await transfer.value
      let afterCancel = ContinuousClock.now - cancelled
      let next = await engine.perform(post(receiver))
      await engine.shutdown()

      #expect(response.curlCode == 42)  // CURLE_ABORTED_BY_CALLBACK
      #expect(response.errorMessage == "cancelled")
      #expect(afterCancel < .seconds(1))
      #expect(next.statusCode == 200)  // the engine goes on
    }
  }

  @Test func aCancelledTaskDoesNotStartATransfer() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let transfer = Task {
        withUnsafeCurrentTask { $0?.cancel() }
        return await engine.perform(post(receiver))
      }
      let response = await transfer.value
      await engine.shutdown()

      #expect(response.curlCode == 42)
      let received = try receiver.records(as: ReceivedPost.self)
      #expect(received.isEmpty)
    }
  }

  // MARK: SMTP

  @Test func smtpDeliversExactBytesToTheEnvelopeRecipient() async throws {
    try await withSMTPReceiver { receiver in
      let engine = CurlEngine()
      let message = Array(
        ("From: Beredskab <alerts@commsd.test>\r\nTo: Drift <ops@example.org>\r\n"
          + "Subject: =?UTF-8?B?w6bDuMOl?=\r\nContent-Type: text/plain; charset=utf-8\r\n"
          + "Content-Transfer-Encoding: 8bit\r\n\r\n"
          + "Brand i bygning 3: gå til samlingspunkt Øst. æøå ÆØÅ\r\n"
          + ".a line starting with a dot\r\n.\r\nend\r\n").utf8)
      let response = await engine.perform(
        CurlRequest(payload: mail(port: receiver.port, to: ["ops@example.org"], message: message)))
      await engine.shutdown()

      #expect(response.curlCode == 0)
      #expect(response.statusCode == 250)
      let received = try receiver.records(as: ReceivedMail.self)
      #expect(received.count == 1)
      let delivered = try #require(received.first)
      #expect(delivered.mailFrom == "alerts@commsd.test")
      #expect(delivered.rcptTos == ["ops@example.org"])
      #expect(Array(delivered.raw.utf8) == message)
    }
  }

  @Test func smtpRefusedRecipientReports550() async throws {
    let rejected = ["--reject", "nobody@example.org", "--reject", "nobody@x.org"]
    try await withSMTPReceiver(rejected) { receiver in
      let engine = CurlEngine()
      let refused = await engine.perform(
        CurlRequest(payload: mail(port: receiver.port, to: ["nobody@example.org"])))
      let mixed = await engine.perform(
        CurlRequest(payload: mail(port: receiver.port, to: ["ops@example.org", "nobody@x.org"])))
      await engine.shutdown()

      #expect(refused.statusCode == 550)
      #expect(refused.curlCode == 55)  // CURLE_SEND_ERROR, "RCPT failed: 550"
      #expect(refused.errorMessage?.contains("550") == true)
      // Without CURLOPT_MAIL_RCPT_ALLLOWFAILS one refusal stops the whole delivery.
      #expect(mixed.statusCode == 550 && mixed.curlCode == 55)
      let delivered = try receiver.records(as: ReceivedMail.self)
      #expect(delivered.isEmpty)
    }
  }

  @Test func smtpClosedPortFails() async {
    let engine = CurlEngine()
    let response = await engine.perform(
      CurlRequest(payload: mail(port: unusedPort(), to: ["ops@example.org"])))
    await engine.shutdown()

    #expect(response.curlCode == 7)  // CURLE_COULDNT_CONNECT
    #expect(response.errorMessage != nil)
  }

  @Test func smtpLogsInWithUsernameAndPassword() async throws {
    try await withSMTPReceiver(["--auth", "relay:s3cret"]) { receiver in
      let engine = CurlEngine()
      let good = await engine.perform(
        CurlRequest(
          payload: mail(
            port: receiver.port, to: ["ops@example.org"], username: "relay", password: "s3cret")))
      let bad = await engine.perform(
        CurlRequest(
          payload: mail(
            port: receiver.port, to: ["ops@example.org"], username: "relay", password: "wrong")))
      await engine.shutdown()

      #expect(good.curlCode == 0)
      #expect(bad.curlCode == 67)  // CURLE_LOGIN_DENIED
      let delivered = try receiver.records(as: ReceivedMail.self)
      #expect(delivered.map(\.authUser) == ["relay"])
    }
  }

  @Test func smtpStartTLSChecksCertificatesOnEveryTransfer() async throws {
    try await withSMTPReceiver(tlsOption: "--starttls") { receiver in
      let engine = CurlEngine()
      let payload = mail(port: receiver.port, to: ["ops@example.org"], tls: .starttls)
      // The unchecked connection stays cached; the checking transfers after
      // it must not reuse it (libcurl 7.88 alone would).
      let unchecked = await engine.perform(CurlRequest(payload: payload, verifyTLS: false))
      let untrusted = await engine.perform(CurlRequest(payload: payload))
      let trusted = await engine.perform(CurlRequest(payload: payload, caFile: receiver.caFile))
      let again = await engine.perform(CurlRequest(payload: payload, caFile: receiver.caFile))
      await engine.shutdown()

      #expect(unchecked.curlCode == 0 && unchecked.statusCode == 250)
      #expect(untrusted.curlCode == 60)  // CURLE_PEER_FAILED_VERIFICATION
      #expect(untrusted.errorMessage?.contains("certificate") == true)
      #expect(trusted.curlCode == 0 && trusted.statusCode == 250)
      #expect(trusted.newConnections == 1)
      #expect(again.curlCode == 0 && again.newConnections == 0)
      let delivered = try receiver.records(as: ReceivedMail.self)
      #expect(delivered.map(\.tls) == [true, true, true])
    }
  }

  @Test func smtpStartTLSNeverReusesAPlainConnection() async throws {
    try await withSMTPReceiver(["--starttls-optional"], tlsOption: "--starttls") { receiver in
      let engine = CurlEngine()
      let plain = await engine.perform(
        CurlRequest(payload: mail(port: receiver.port, to: ["ops@example.org"])))
      let secure = await engine.perform(
        CurlRequest(
          payload: mail(port: receiver.port, to: ["ops@example.org"], tls: .starttls),
          caFile: receiver.caFile))
      let plainAgain = await engine.perform(
        CurlRequest(payload: mail(port: receiver.port, to: ["ops@example.org"])))
      await engine.shutdown()

      #expect(plain.curlCode == 0 && secure.curlCode == 0 && plainAgain.curlCode == 0)
      #expect(secure.newConnections == 1)
      #expect(plainAgain.newConnections == 0)
      let delivered = try receiver.records(as: ReceivedMail.self)
      #expect(delivered.map(\.tls) == [false, true, false])
    }
  }

  @Test func smtpStartTLSIsRequiredNotOpportunistic() async throws {
    try await withSMTPReceiver { receiver in
      let engine = CurlEngine()
      let response = await engine.perform(
        CurlRequest(payload: mail(port: receiver.port, to: ["ops@example.org"], tls: .starttls)))
      await engine.shutdown()

      #expect(response.curlCode == 64)  // CURLE_USE_SSL_FAILED
      let delivered = try receiver.records(as: ReceivedMail.self)
      #expect(delivered.isEmpty)
    }
  }

  @Test func smtpImplicitTLSDelivers() async throws {
    try await withSMTPReceiver(tlsOption: "--implicit-tls") { receiver in
      let engine = CurlEngine()
      // The URL says smtp://; the mode decides the scheme.
      let payload = mail(port: receiver.port, to: ["ops@example.org"], tls: .tls)
      let response = await engine.perform(CurlRequest(payload: payload, verifyTLS: false))
      await engine.shutdown()

      #expect(response.curlCode == 0 && response.statusCode == 250)
      let delivered = try receiver.records(as: ReceivedMail.self)
      #expect(delivered.map(\.tls) == [true])
    }
  }
}
