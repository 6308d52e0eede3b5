import Foundation
import Testing

@testable import CommsCore

/// The engine keeps easy handles between transfers (`CurlHandles`), reset to
/// libcurl's defaults: a kept handle is reused, and nothing of one transfer
/// (a header, a body, a login, a relaxed certificate check) reaches the next.
/// Each test first shows that the handle really was reused, so a leak
/// through it would show.
@Suite("Curl handle reuse")
struct CurlHandleReuseTests {
  func url(_ receiver: TestReceiver, _ path: String, scheme: String = "http") -> String {
    "\(scheme)://127.0.0.1:\(receiver.port)\(path)"
  }

  @Test func aKeptHandleCarriesNoHeaderBodyOrMethodOfTheLastTransfer() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let secret = HTTPHeaderField(name: "X-Secret", value: "only-for-the-first")
      let first = await engine.perform(
        CurlRequest(
          payload: .httpPost(
            url: url(receiver, "/first"), headers: [secret], body: Array("{\"a\":1}".utf8))))
      let second = await engine.perform(
        CurlRequest(payload: .httpGet(url: url(receiver, "/second"), headers: [])))
      await engine.shutdown()

      #expect(first.statusCode == 200 && second.statusCode == 200)
      #expect(engine.easyHandlesMade == 1)
      let received = try receiver.records(as: ReceivedPost.self)
      #expect(received.map(\.path) == ["/first", "/second"])
      #expect(received.first?.header("X-Secret") == "only-for-the-first")
      let later = try #require(received.last)
      #expect(later.method == "GET")
      #expect(later.header("X-Secret") == nil)
      #expect(later.bodyBytes.isEmpty)
      // Both went over the one kept connection: the reset keeps the caches.
      #expect(Set(received.map(\.clientPort)).count == 1)
    }
  }

  @Test func aKeptHandleChecksCertificatesAgainAfterAnUncheckedTransfer() async throws {
    try await withHTTPReceiver(tls: true) { receiver in
      let engine = CurlEngine()
      let payload = CurlRequest.Payload.httpPost(
        url: url(receiver, "/secure", scheme: "https"), headers: [], body: [])
      let unchecked = await engine.perform(CurlRequest(payload: payload, verifyTLS: false))
      let untrusted = await engine.perform(CurlRequest(payload: payload))
      await engine.shutdown()

      #expect(engine.easyHandlesMade == 1)
      #expect(unchecked.curlCode == 0 && unchecked.statusCode == 200)
      #expect(untrusted.curlCode == 60)  // CURLE_PEER_FAILED_VERIFICATION
      let received = try receiver.records(as: ReceivedPost.self)
      #expect(received.count == 1)
    }
  }

  @Test func aKeptHandleForgetsTheLastLogin() async throws {
    try await withSMTPReceiver(["--auth", "relay:s3cret"]) { receiver in
      let engine = CurlEngine()
      func mail(login: Bool) -> CurlRequest {
        CurlRequest(
          payload: .smtp(
            url: "smtp://127.0.0.1:\(receiver.port)", mailFrom: "alerts@commsd.test",
            recipients: ["ops@example.org"], message: Array("Subject: t\r\n\r\nhi\r\n".utf8),
            username: login ? "relay" : nil, password: login ? "s3cret" : nil, tls: .none))
      }
      let withLogin = await engine.perform(mail(login: true))
      let without = await engine.perform(mail(login: false))
      await engine.shutdown()

      #expect(engine.easyHandlesMade == 1)
      #expect(withLogin.curlCode == 0)
      // The relay asks for a login: had the password stayed on the handle,
      // the second message would have gone out with it.
      #expect(without.curlCode != 0)
      let delivered = try receiver.records(as: ReceivedMail.self)
      #expect(delivered.map(\.authUser) == ["relay"])
    }
  }

  @Test func httpAndSMTPKeepHandlesOfTheirOwn() async throws {
    try await withHTTPReceiver { http in
      try await withSMTPReceiver { smtp in
        let engine = CurlEngine()
        let mail = CurlRequest(
          payload: .smtp(
            url: "smtp://127.0.0.1:\(smtp.port)", mailFrom: "alerts@commsd.test",
            recipients: ["ops@example.org"], message: Array("Subject: t\r\n\r\nhi\r\n".utf8),
            username: nil, password: nil, tls: .none))
        let post = CurlRequest(payload: .httpPost(url: url(http, "/hook"), headers: [], body: []))
        var codes: [Int32] = []
        for _ in 0..<3 {
          codes.append(await engine.perform(mail).curlCode)
          codes.append(await engine.perform(post).curlCode)
        }
        await engine.shutdown()

        #expect(codes == Array(repeating: 0, count: 6))
        // An SMTP handle keeps its connection cache's share after a reset,
        // so it is never lent to an HTTP transfer: one handle each.
        #expect(engine.easyHandlesMade == 2)
        let mails = try smtp.records(as: ReceivedMail.self)
        let posts = try http.records(as: ReceivedPost.self)
        #expect(mails.count == 3 && posts.count == 3)
      }
    }
  }

  @Test func aSteadyStreamMakesNoMoreHandlesThanRunAtOnce() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine(maxConnections: 4)
      let statuses = await withTaskGroup(of: Int.self) { group in
        for index in 0..<120 {
          let request = CurlRequest(
            payload: .httpPost(url: url(receiver, "/s/\(index)"), headers: [], body: []))
          group.addTask { await engine.perform(request).statusCode }
        }
        return await group.reduce(into: [Int]()) { $0.append($1) }
      }
      await engine.shutdown()

      #expect(statuses == Array(repeating: 200, count: 120))
      // At most twice the connections run at once (`CurlMultiLoop`).
      #expect(engine.easyHandlesMade <= 8)
    }
  }
}
