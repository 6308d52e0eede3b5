import Foundation
import Testing

@testable import CommsCore

#if canImport(Glibc)
  import Glibc
#endif

/// Every parser of outside input, fed thousands of generated inputs: valid
/// documents with random mutations (bytes flipped, cut, repeated, and
/// hostile tokens spliced in: huge numbers, control characters, deep
/// nesting, far dates), and plain random bytes. None may trap, and every
/// refusal must be a clear, typed error that says where.
///
/// Bounded and repeatable: a fixed seed and count (about 2 s in all here);
/// `COMMSD_FUZZ_SEED` and `COMMSD_FUZZ_COUNT` run another seed or more.
@Suite struct HostileInputFuzzTests {
  static let seed: UInt64 =
    ProcessInfo.processInfo.environment["COMMSD_FUZZ_SEED"].flatMap { UInt64($0) }
    ?? 0x0C0F_FEE5_2026_1202
  static let count: Int =
    ProcessInfo.processInfo.environment["COMMSD_FUZZ_COUNT"].flatMap { Int($0) } ?? 2000

  static let repository = ConfigurationLoaderTests.repository

  static func fixture(_ path: String) -> String {
    (try? String(contentsOfFile: repository + "/" + path, encoding: .utf8)) ?? ""
  }

  /// Tokens that broke parsers somewhere: numbers past every integer type,
  /// NaN and infinities, control and bidi characters, nesting, far dates.
  static let hostile: [String] = [
    "99999999999999999999", "100000000000000000", "-1", "-0", "1e309", "-1e309", "nan", "inf",
    "0x7fffffffffffffff", "9223372036854775808", "\u{0}", "\r", "\n", "\r\n", "\t", "\u{1B}[2J",
    "\u{202E}", "\u{FEFF}", "\u{7F}", "\u{85}", "\"", "'", "\\", "\\u0000", "\\uD800", "[", "]",
    "{", "}", "<", ">", "&", "&amp;", "=", ",", ";", "|", ":", "#", "99999999999999999d",
    "9999-12-31T23:59:59Z", "0000-00-00T00:00:00Z", "9999-12-31T23:59:59-23:59",
    "2026-02-30T25:61:61+00:00", "<!DOCTYPE a [<!ENTITY b \"c\">]>", "&b;", "ÿ", "ÆØÅ", "ﷺ",
    String(repeating: "[", count: 700), String(repeating: "{\"a\":", count: 700),
    String(repeating: "<a>", count: 400), String(repeating: "x", count: 5000),
    "\"\"\"", "'''", "[[a]]", "a.b.c.d.e = 1",
  ]

  /// Deterministic (SplitMix64, as the retry tests use), so a failure repeats.
  typealias Generator = SeededGenerator

  /// `count` inputs made from `seeds`: mostly mutated seeds, some random bytes.
  static func inputs(_ seeds: [String], salt: UInt64) -> [[UInt8]] {
    var generator = Generator(state: seed ^ salt)
    var out: [[UInt8]] = []
    for _ in 0..<count {
      if Int.random(in: 0..<10, using: &generator) == 0 {
        let length = Int.random(in: 0..<300, using: &generator)
        out.append((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
        continue
      }
      var bytes = Array(seeds.randomElement(using: &generator)!.utf8)
      for _ in 0..<Int.random(in: 1...4, using: &generator) {
        mutate(&bytes, using: &generator)
      }
      out.append(bytes)
    }
    return out
  }

  static func mutate(_ bytes: inout [UInt8], using generator: inout Generator) {
    let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
    switch Int.random(in: 0..<6, using: &generator) {
    case 0:  // splice a hostile token in
      bytes.insert(contentsOf: Array(hostile.randomElement(using: &generator)!.utf8), at: at)
    case 1:  // replace a run of digits or letters with a hostile token
      var end = at
      while end < bytes.count, end - at < 24,
        (48...57).contains(bytes[end]) || (97...122).contains(bytes[end])
      {
        end += 1
      }
      bytes.replaceSubrange(at..<end, with: Array(hostile.randomElement(using: &generator)!.utf8))
    case 2:  // flip a byte
      if !bytes.isEmpty { bytes[at] = UInt8.random(in: 0...255, using: &generator) }
    case 3:  // cut
      bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...64, using: &generator)))
    case 4:  // truncate
      bytes.removeSubrange(at..<bytes.count)
    default:  // repeat a slice
      let end = min(bytes.count, at + Int.random(in: 1...32, using: &generator))
      let slice = Array(bytes[at..<end])
      for _ in 0..<Int.random(in: 1...20, using: &generator) {
        bytes.insert(contentsOf: slice, at: at)
      }
    }
  }

  /// A line an operator reads: says something, and points inside the input.
  static func expectClear(_ error: ConfigError, file: String, lines: Int, input: [UInt8]) {
    #expect(error.file == file)
    #expect(error.line >= 1 && error.line <= lines + 1, "line \(error.line) of \(lines)")
    #expect(!error.message.isEmpty)
    #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{7F}" })
  }

  @Test func configurationFiles() {
    let seeds = [
      Self.fixture("config/example/commsd.toml"),
      ConfigurationLoaderTests.minimal,
      "data_dir = \"var\"\n[dispatch]\nlease = \"5m\"\npoll_interval = \"200ms\"\n[retry]\nfactor = 2.5\n",
    ]
    for input in Self.inputs(seeds, salt: 1) {
      let text = String(decoding: input, as: UTF8.self)
      let lines = text.reduce(1) { $1 == "\n" || $1 == "\r\n" ? $0 + 1 : $0 }
      do {
        _ = try ConfigurationLoader.parse(text, file: "fuzz.toml")
      } catch {
        #expect(!error.errors.isEmpty)
        for problem in error.errors {
          Self.expectClear(problem, file: "fuzz.toml", lines: lines, input: input)
        }
      }
    }
  }

  @Test func recipientLists() {
    let seeds = [
      Self.fixture("config/example/recipients/staff.csv"),
      Self.fixture("config/example/recipients/relatives.csv"),
      "id,name,audiences,contacts,language\ns1,\"Hansen, Mette\",staff,sms:+4520000001|a@b.dk,da\n",
    ]
    for input in Self.inputs(seeds, salt: 2) {
      let text = String(decoding: input, as: UTF8.self)
      let lines = text.reduce(1) { $1 == "\n" || $1 == "\r\n" ? $0 + 1 : $0 }
      let list = RecipientListReader.parseList(
        text, file: "fuzz.csv", audiences: ["staff", "relatives"], endpoints: ["sms", "hook"])
      for problem in list.errors {
        Self.expectClear(problem, file: "fuzz.csv", lines: lines, input: input)
      }
      for entry in list.entries { #expect(entry.line >= 1 && entry.line <= lines) }
    }
  }

  @Test func capAlerts() throws {
    let directory = Self.repository + "/Tests/Fixtures/cap"
    let seeds = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
      .filter { $0.hasSuffix(".xml") }
      .map { Self.fixture("Tests/Fixtures/cap/\($0)") }
    #expect(seeds.count >= 3)
    for input in Self.inputs(seeds, salt: 3) {
      do {
        _ = try CAPReader.parse(Data(input))
      } catch {
        #expect(!error.message.isEmpty)
        #expect(error.line.map { $0 >= 1 } ?? true)
      }
    }
  }

  @Test func apiMessageBodies() {
    let seeds = [
      """
      {"audiences": ["relatives"], "priority": "urgent", "kind": "update", "subject": "Besøg",
       "body": "Tekst", "language": "da", "translations": {"en": {"subject": "Visits", "body": "x"}},
       "where": {"unit": ["solgaarden"]}, "expires_at": "2026-11-26T18:00:00+01:00", "mode": "exercise"}
      """,
      "{\"audiences\": [\"staff\"], \"subject\": \"a\", \"body\": \"b\"}",
      """
      {"template": "besoegsforbud", "vars": {"enhed": "Solgården", "fra": "26.11 kl. 12"},
       "not_before": "2026-10-25T02:30", "audiences": ["relatives"], "mode": "exercise"}
      """,
      "{\"audiences\": [\"staff\"], \"subject\": \"a\", \"body\": \"b\", \"not_before\": \"2026-11-26T14:00\"}",
    ]
    let sender = Sender(kind: .api, name: "fuzz", origin: "127.0.0.1")
    // The shipped templates, so a mutated body also reaches rendering.
    let templates = TemplateLibrary(
      folder: Self.repository + "/config/example/templates", defaultLanguage: "da")
    for input in Self.inputs(seeds, salt: 4) {
      do {
        let (request, _) = try MessageRequestBody.parse(
          input, defaultLanguage: "da", sender: sender, idempotencyKey: nil,
          templates: templates, now: Date(timeIntervalSince1970: 1_790_000_000))
        if let expires = request.expiresAt { _ = Timestamp.format(expires) }
        if let release = request.notBefore { _ = LocalTimeText.format(release) }
      } catch {
        #expect(error.status.code == 400 || error.status.code == 422, "\(error)")
        #expect(!error.detail.isEmpty)
        if error.status.code == 422 { #expect(error.field?.isEmpty == false, "\(error)") }
      }
    }
  }

  /// Frames on the intake socket: a length header and JSON, from a client
  /// that may send anything (a huge length, a short body, garbage).
  @Test func intakeFrames() throws {
    let seeds = [
      String(
        decoding: try JSONCoding.encoder().encode(
          IntakeWire.Request(
            SendRequest(
              audiences: ["staff"], priority: .flash, kind: .alert,
              contents: ["da": MessageContent(subject: "Evakuering", body: "Forlad bygningen")],
              sender: Sender(kind: .cli, name: "anna", origin: "host")))), as: UTF8.self)
    ]
    for (index, input) in Self.inputs(seeds, salt: 5).prefix(Self.count / 4).enumerated() {
      var pair: [Int32] = [0, 0]
      guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else {
        Issue.record("socketpair failed")
        return
      }
      defer {
        close(pair[0])
        close(pair[1])
      }
      // Every other input gets a true length header; the rest send raw bytes.
      let frame: [UInt8]
      if index % 2 == 0 {
        let count = UInt32(input.count)
        frame =
          [
            UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF),
            UInt8(count & 0xFF),
          ] + input
      } else {
        frame = input
      }
      let written = frame.withUnsafeBytes { send(pair[1], $0.baseAddress, $0.count, 0) }
      #expect(written == frame.count)
      shutdown(pair[1], Int32(SHUT_WR))
      SocketFrames.setTimeout(2, on: pair[0])
      do {
        let payload = try SocketFrames.read(
          from: pair[0], limit: IntakeWire.maxRequestBytes, deadline: .now + .seconds(2))
        _ = try? JSONCoding.decoder().decode(IntakeWire.Request.self, from: Data(payload))
      } catch {
        switch error {
        case .closed, .tooLarge, .timedOut: break
        case .system(let code): Issue.record("a system error \(code) for a client's bytes")
        }
      }
    }
  }

  @Test func timesFromOutside() {
    let seeds = [
      "2026-11-25T12:03:04.512Z", "2026-11-25T18:00:00+01:00", "2003-04-02T14:39:01-05:00",
      "Mon, 21 Sep 2026 14:13:30 GMT", "120", "1h30m", "250ms", "3660d",
    ]
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    for input in Self.inputs(seeds, salt: 6) {
      let text = String(decoding: input, as: UTF8.self)
      if let date = Timestamp.parse(text) {
        #expect(date >= Timestamp.minimum && date < Timestamp.maximum)
        #expect(Timestamp.parse(Timestamp.format(date)) != nil)
      }
      if let date = CAPDateTime.parse(text) { _ = CAPDateTime.format(date) }
      if let pause = RetryAfter.parse(text, now: now) {
        #expect(pause >= .zero && pause <= RetryAfter.maximum)
      }
      switch DurationText.read(text) {
      case .success(let duration):
        #expect(duration >= .zero && duration <= DurationText.maximum)
        _ = DurationText.format(duration)
      case .failure(let failure):
        #expect(!DurationText.explain(failure, text).isEmpty)
      }
      var gate = TargetGate(.init(rate: 10, burst: 2))
      gate.record(
        .transient(
          status: 503, reason: "HTTP 503", retryAfter: RetryAfter.parse(text, now: now)), at: now)
      if case .paused(let until) = gate.admit(at: now) {
        #expect(until <= now.addingTimeInterval(TargetGate.Settings.standardMaxPause.seconds))
        _ = Timestamp.format(until)
      }
    }
  }

  @Test func emailAddressesAndContacts() {
    let seeds = [
      "Krisestab <krisestab@kommune.example>", "\"Hansen, Mette\" <mette@kommune.example>",
      "sms:+4520000001", "mailto:jens@example.net", "intranet:aisha.rahimi",
    ]
    for input in Self.inputs(seeds, salt: 7) {
      let text = String(decoding: input, as: UTF8.self)
      do { _ = try EmailAddress(parsing: text) } catch {
        #expect(!error.description.isEmpty)
      }
      if case .failure(let reason) = ContactParser.parse(text, endpoints: ["sms", "intranet"]) {
        #expect(!reason.description.isEmpty)
      }
    }
  }

  @Test func phoneNumbersAndSMSText() {
    let seeds = [
      "+45 20 00 00 02", "0045 2000-0002", "20000002", "+46 (70) 123 45 67",
      "Kog vandet før brug €",
    ]
    let contacts = ContactEndpoints(names: ["sms"], phoneCountryCodes: ["sms": "45"])
    for input in Self.inputs(seeds, salt: 8) {
      let text = String(decoding: input, as: UTF8.self)
      switch PhoneNumber.e164(text) {
      case .success(let number):
        #expect(PhoneNumber.msisdn(number) != nil, "\(number)")
      case .failure(let reason):
        #expect(!reason.description.isEmpty)
      }
      _ = ContactParser.parse("sms:" + text, endpoints: contacts)
      let segments = SMSSegments(text)
      #expect(segments.count >= 0 && segments.units >= 0)
      let sms = SMSText.render(
        content: MessageContent(subject: "s", body: text),
        rendered: RenderedMessage(subject: "s", body: text),
        footer: text, mark: nil, maxSegments: 1)
      #expect(!sms.text.isEmpty)
    }
  }

  /// A provider's answer (status, headers, body) is outside input: every
  /// format reads it without trapping, and a refusal says why.
  @Test func providerAnswers() throws {
    let seeds = [
      #"{"ids": [421332671], "usage": {"countries": {"DK": 1}, "currency": "DKK", "total_cost": 0.3}}"#,
      #"{"code": "0x0216", "incident_uuid": "d8127429", "message": "Insufficient credit"}"#,
      #"{"code": 21211, "message": "Invalid 'To' Phone Number", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#,
      #"{"sid": "SM1", "status": "failed", "error_code": 30003}"#, "invalid_payload",
      "channel_not_found", "ok",
    ]
    let sample = try TemplateFormat(
      source: #"{"to": "{{contact}}"}"#, file: "t", contentType: .json, text: .sms)
    let formats: [EndpointFormat] = [
      .commsd, .gatewayAPI(GatewayAPIFormat(sender: "Kommunen")),
      .twilio(TwilioFormat(sender: .from("+4570123456"))), .teamsWorkflows, .slack,
      .template(sample),
    ]
    var generator = Generator(state: Self.seed ^ 9)
    for input in Self.inputs(seeds, salt: 9) {
      let status = [200, 201, 202, 204, 400, 401, 403, 404, 410, 422, 429, 500, 503, 0, -1, 99_999]
        .randomElement(using: &generator)!
      let response = CurlResponse(
        curlCode: status == 0 ? 7 : 0, statusCode: status,
        headers: [
          HTTPHeaderField(
            name: "Retry-After", value: String(decoding: input.prefix(40), as: UTF8.self))
        ],
        body: input)
      for format in formats {
        switch format.classify(response, now: Date(timeIntervalSince1970: 1_790_000_000)) {
        case .delivered(let code), .accepted(let code, _, _): #expect((200..<300).contains(code))
        case .transient(_, let reason, _), .permanent(_, let reason): #expect(!reason.isEmpty)
        }
      }
    }
  }

  /// Receipt callbacks: signed hostile claims and forms never trap, and
  /// every value kept is short and printable.
  @Test func receiptCallbacks() {
    let secret = Array("gw-webhook-t0ken".utf8)
    let seeds = [
      #"{"id": 1000001, "msisdn": 4587654321, "time": 1450000000, "status": "DELIVERED", "userref": "dlv_01KBX6QW1M8V7Y2D3E4F5G6H7J"}"#,
      #"{"id": 1, "time": 99999999999999999999, "status": "UNDELIVERABLE", "code": "0x1010", "error": "Unknown subscriber"}"#,
      "MessageSid=SM1&MessageStatus=delivered&ErrorCode=&To=%2B4520000002",
      "MessageSid=SM1&MessageStatus=failed&ErrorCode=30003%ZZ",
      #"{"data": {"ref": "dlv_1", "state": "FAILED", "at": "2026-12-03T05:00:00.250+01:00", "why": "absent"}}"#,
      "ref=dlv_1&state=DELIVRD&at=1764738000123",
      "Basic YWxpY2U6czNjcmV0",
    ]
    func printable(_ text: String?) -> Bool {
      text.map { $0.count <= 256 && $0.unicodeScalars.allSatisfy { $0.value >= 0x20 } } ?? true
    }
    for input in Self.inputs(seeds, salt: 11) {
      if let claims = (try? JSONSerialization.jsonObject(with: Data(input))) as? [String: Any] {
        let token = GatewayAPIReceipt.token(claims: claims, secret: secret)
        if let receipt = try? GatewayAPIReceipt.read(signature: token, secret: secret) {
          #expect(printable(receipt.deliveryID) && printable(receipt.providerRef))
          #expect(printable(receipt.status))
        }
      }
      _ = try? GatewayAPIReceipt.read(
        signature: String(decoding: input, as: UTF8.self), secret: secret)
      let url = "https://commsd.example/v1/receipts/t?delivery=dlv_1"
      if let fields = FormDecoding.decode(input) {
        let signature = TwilioReceipt.signature(url: url, fields: fields, authToken: "t")
        if let receipt = try? TwilioReceipt.read(
          url: url, body: input, signature: signature, authToken: "t")
        {
          #expect(printable(receipt.providerRef) && printable(receipt.status))
        }
      }
      // A template gateway's receipt, as JSON and as a form; its Basic credentials.
      for contentType in TemplateFormat.ContentType.allCases {
        let mapping = TemplateReceiptMapping(
          contentType: contentType, reference: contentType == .json ? "data.ref" : "ref",
          status: contentType == .json ? "data.state" : "state", delivered: ["delivrd"],
          undeliverable: ["failed"], time: contentType == .json ? "data.at" : "at",
          error: contentType == .json ? "data.why" : "why")
        if let receipt = try? TemplateReceipt.read(input, mapping: mapping) {
          #expect(printable(receipt.deliveryID) && printable(receipt.status))
          if let time = receipt.providerTime {
            #expect((946_684_800...4_102_444_800).contains(time.timeIntervalSince1970))
          }
        }
      }
      _ = BasicCredentials(String(decoding: input, as: UTF8.self))
      // A confirmation link's token, as any visitor may type it.
      let links = ConfirmLinks(key: secret, publicURL: "https://c.example")
      #expect(links.delivery(fromToken: String(decoding: input, as: UTF8.self)) == nil)
      // An approval link's token, and a reason typed on its page.
      #expect(links.delivery(fromApprovalToken: String(decoding: input, as: UTF8.self)) == nil)
      if let reason = try? ApprovalDecision.checkedReason(
        String(decoding: input, as: UTF8.self), required: true)
      {
        #expect(reason.count <= 500 && !reason.isEmpty)
      }
    }
  }

  /// Inbound SMS callbacks (GatewayAPI's MO SMS, Twilio's incoming
  /// message) and the confirmation words: never a trap, a sender kept only
  /// as + and digits, a text never longer than InboundSMS.maxText.
  @Test func inboundSMS() {
    let secret = Array("gw-webhook-t0ken".utf8)
    let seeds = [
      #"{"id": 1000001, "msisdn": 4587654321, "receiver": 451204, "message": "foo OK", "senttime": 1450000000, "webhook_label": "test"}"#,
      #"{"id": 1e300, "msisdn": -1, "message": "ja\u0000", "senttime": "x"}"#,
      "From=%2B4511111111&To=%2B4520000002&Body=Ok.&MessageSid=SM1",
      "From=%2B45%ZZ&Body=&Body=ja",
      "krise  OK!!", "ok men hvad med besøg?", "BEKRÆFT", "\u{202E}ok",
    ]
    for input in Self.inputs(seeds, salt: 12) {
      func check(_ sms: InboundSMS) {
        #expect(sms.from.hasPrefix("+") && sms.from.dropFirst().allSatisfy(\.isNumber))
        #expect(sms.text.count <= InboundSMS.maxText)
      }
      if let claims = (try? JSONSerialization.jsonObject(with: Data(input))) as? [String: Any] {
        let token = GatewayAPIReceipt.token(claims: claims, secret: secret)
        if let sms = try? InboundSMS.gatewayAPI(body: input, signature: token, secret: secret) {
          check(sms)
        }
      }
      let url = "https://commsd.example/v1/inbound/t"
      if let fields = FormDecoding.decode(input) {
        let signature = TwilioReceipt.signature(url: url, fields: fields, authToken: "t")
        if let sms = try? InboundSMS.twilio(
          url: url, body: input, signature: signature, authToken: "t")
        {
          check(sms)
        }
      }
      let text = String(decoding: input, as: UTF8.self)
      _ = ConfirmKeywords.standard.confirms(text, prefix: "krise")
    }
  }
}
