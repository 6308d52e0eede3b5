import Crypto
import Foundation
import Testing

@testable import CommsCore

@Suite struct WebhookSignerTests {
  /// The example of the Standard Webhooks specification, recomputed
  /// independently with Python's hmac module:
  /// base64(HMAC-SHA256(base64decode(secret[6:]), b"id.timestamp.body")).
  @Test func matchesTheStandardWebhooksReferenceSignature() throws {
    let key = try #require(WebhookSigner.key(fromSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    let signature = WebhookSigner.signature(
      id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
      body: Array(#"{"test": 2432232314}"#.utf8), key: key)
    #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
  }

  @Test func anyChangeToIdTimestampOrBodyChangesTheSignature() throws {
    let key = try #require(WebhookSigner.key(fromSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    let body = Array(#"{"a":1}"#.utf8)
    let base = WebhookSigner.signature(id: "dlv_1", timestamp: 100, body: body, key: key)
    #expect(WebhookSigner.signature(id: "dlv_2", timestamp: 100, body: body, key: key) != base)
    #expect(WebhookSigner.signature(id: "dlv_1", timestamp: 101, body: body, key: key) != base)
    #expect(
      WebhookSigner.signature(id: "dlv_1", timestamp: 100, body: Array(#"{"a":2}"#.utf8), key: key)
        != base)
  }

  /// Each key's HMAC is keyed once and copied per signature: signatures
  /// with keys taken in turn must each be that key's, as a fresh HMAC makes
  /// them, and the same again on the second round.
  @Test func keysInTurnEachSignWithTheirOwn() throws {
    let keys = try ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2Vjb25kIGtleSBmb3IgY29tbXNk"]
      .map {
        try #require(WebhookSigner.key(fromSecret: $0))
      }
    let body = Array(#"{"text":"Evakuer bygning 3"}"#.utf8)
    for round in 0..<2 {
      for key in keys {
        var mac = HMAC<SHA256>(key: SymmetricKey(data: key))
        mac.update(data: Array("dlv_\(round).1700000000.".utf8) + body)
        let expected = "v1," + Data(mac.finalize()).base64EncodedString()
        let signed = WebhookSigner.signature(
          id: "dlv_\(round)", timestamp: 1_700_000_000, body: body, key: key)
        #expect(signed == expected)
      }
    }
  }

  @Test func secretsMustBeWhsecBase64() {
    #expect(WebhookSigner.key(fromSecret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil)
    #expect(WebhookSigner.key(fromSecret: "whsec_not base64!") == nil)
    // Five bytes: too short to be a key.
    #expect(WebhookSigner.key(fromSecret: "whsec_c2hvcnQ=") == nil)
  }

  @Test func retryAfterReadsSecondsAndHTTPDates() {
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    #expect(RetryAfter.parse("2", now: now) == .seconds(2))
    #expect(RetryAfter.parse(" 120 ", now: now) == .seconds(120))
    let later = RetryAfter.parse("Mon, 21 Sep 2026 14:13:30 GMT", now: now)
    #expect(later == .seconds(10))
    #expect(RetryAfter.parse("soon", now: now) == nil)
  }

  /// A receiver's header is hostile: any number of digits, a date in the
  /// far future or past, and nothing traps or exceeds a day.
  @Test func retryAfterIsBoundedWhateverTheReceiverSends() {
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    #expect(RetryAfter.parse("100000000000000000", now: now) == RetryAfter.maximum)
    #expect(RetryAfter.parse(String(repeating: "9", count: 60), now: now) == RetryAfter.maximum)
    #expect(RetryAfter.parse(String(repeating: "9", count: 65), now: now) == nil)
    #expect(RetryAfter.parse("86400", now: now) == .seconds(86_400))
    #expect(RetryAfter.parse("-5", now: now) == nil)
    #expect(RetryAfter.parse("Fri, 31 Dec 9999 23:59:59 GMT", now: now) == RetryAfter.maximum)
    #expect(RetryAfter.parse("Mon, 01 Jan 1900 00:00:00 GMT", now: now) == .zero)
    #expect(RetryAfter.parse("", now: now) == nil)
  }

  @Test func classifiesHTTPOutcomes() {
    func response(_ code: Int32, _ status: Int, _ headers: [HTTPHeaderField] = []) -> CurlResponse {
      CurlResponse(
        curlCode: code, errorMessage: code == 0 ? nil : "failed", statusCode: status,
        headers: headers, body: [],
        duration: .zero)
    }
    let now = Date()
    #expect(WebhookTransport.classify(response(0, 204), now: now) == .delivered(status: 204))
    #expect(
      WebhookTransport.classify(
        response(0, 429, [HTTPHeaderField(name: "retry-after", value: "2")]), now: now)
        == .transient(status: 429, reason: "HTTP 429", retryAfter: .seconds(2)))
    #expect(
      WebhookTransport.classify(response(0, 408), now: now)
        == .transient(status: 408, reason: "HTTP 408", retryAfter: nil))
    #expect(
      WebhookTransport.classify(response(0, 503), now: now)
        == .transient(status: 503, reason: "HTTP 503", retryAfter: nil))
    #expect(
      WebhookTransport.classify(response(0, 404), now: now)
        == .permanent(status: 404, reason: "HTTP 404"))
    #expect(
      WebhookTransport.classify(response(0, 301), now: now)
        == .permanent(status: 301, reason: "HTTP 301"))
    #expect(
      WebhookTransport.classify(response(7, 0), now: now)
        == .transient(status: 0, reason: "failed", retryAfter: nil))
  }

  @Test func classifiesSMTPOutcomes() {
    func response(_ code: Int32, _ status: Int) -> CurlResponse {
      CurlResponse(
        curlCode: code, errorMessage: code == 0 ? nil : "failed", statusCode: status, headers: [],
        body: [], duration: .zero)
    }
    #expect(EmailTransport.classify(response(0, 250)) == .delivered(status: 250))
    #expect(
      EmailTransport.classify(response(55, 550))
        == .permanent(status: 550, reason: "SMTP 550: failed"))
    #expect(
      EmailTransport.classify(response(55, 451))
        == .transient(status: 451, reason: "SMTP 451: failed", retryAfter: nil))
    #expect(
      EmailTransport.classify(response(7, 0))
        == .transient(status: 0, reason: "failed", retryAfter: nil))
  }
}
