import Foundation
import Testing

@testable import CommsCore

@Suite struct EmailComposerTests {
  static let danishSubject = "Besøgsforbud på plejehjem — ændrede regler for pårørende"
  static let arabicSubject = "تحديث: قيود الزيارة"
  static let danishBody =
    "Kære pårørende,\n\nFra i dag er der besøgsforbud på alle kommunens plejehjem. "
    + "Undtaget er besøg hos beboere i livets sidste fase, hvor én pårørende ad gangen må "
    + "komme efter aftale.\u{20}\u{20}\nFrom the municipality: spørgsmål = ring 70 20 30 40."
    + "\r\nÆ Ø Å æ ø å\rSlut.\t"

  static func message(
    subject: String = danishSubject,
    body: String = danishBody,
    fromName: String? = "Kriseberedskabet i Ærø Kommune",
    to: [EmailAddress]? = nil,
    messageID: String = "dlv_01JABCDEF@commsd.kommune.example",
    date: Date = Date(timeIntervalSince1970: 1_795_698_309),
    extraHeaders: [(name: String, value: String)] = []
  ) throws -> EmailMessage {
    EmailMessage(
      from: try EmailAddress(address: "krise@aeroe.kommune.example", displayName: fromName),
      to: try to ?? [EmailAddress(address: "jens.hansen@example.dk", displayName: "Jens Hansen")],
      subject: subject, textBody: body, messageID: messageID, date: date,
      extraHeaders: extraHeaders)
  }

  /// Renders, checks the wire format, and has Python read it back.
  static func roundTrip(
    _ message: EmailMessage,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> PythonReading {
    let bytes = try EmailComposer.render(message)
    expectWellFormed(bytes, sourceLocation: sourceLocation)
    let reading = try PythonReading.read(bytes)
    #expect(reading.defects.isEmpty, "\(reading.defects)", sourceLocation: sourceLocation)
    #expect(sameScalars(reading.subject, message.subject), sourceLocation: sourceLocation)
    #expect(
      sameScalars(reading.body, expectedDecodedBody(message.textBody)),
      sourceLocation: sourceLocation)
    #expect(reading.from.count == 1, sourceLocation: sourceLocation)
    #expect(
      sameScalars(reading.from.first?[0] ?? "?", message.from.displayName ?? ""),
      sourceLocation: sourceLocation)
    #expect(reading.to.count == message.to.count, sourceLocation: sourceLocation)
    for (read, sent) in zip(reading.to, message.to) {
      #expect(sameScalars(read[0], sent.displayName ?? ""), sourceLocation: sourceLocation)
    }
    #expect(reading.from.first?[1] == message.from.address, sourceLocation: sourceLocation)
    let replyTo = message.replyTo.map { [[$0.displayName ?? "", $0.address]] } ?? []
    #expect(reading.replyTo == replyTo, sourceLocation: sourceLocation)
    #expect(reading.to.map { $0[1] } == message.to.map(\.address), sourceLocation: sourceLocation)
    #expect(reading.messageID == "<\(message.messageID)>", sourceLocation: sourceLocation)
    #expect(
      reading.timestamp == message.date.timeIntervalSince1970.rounded(.down),
      sourceLocation: sourceLocation)
    return reading
  }

  @Test func danishRoundTrip() throws {
    let reading = try Self.roundTrip(try Self.message())
    #expect(reading.to == [["Jens Hansen", "jens.hansen@example.dk"]])
  }

  @Test func arabicRoundTrip() throws {
    let message = try Self.message(
      subject: Self.arabicSubject,
      body: "تم تحديث قيود الزيارة في جميع دور رعاية المسنين التابعة للبلدية. "
        + "يرجى الاتصال بنا قبل الزيارة.\nشكراً لتفهمكم.",
      fromName: "بلدية آرو — الطوارئ")
    _ = try Self.roundTrip(message)
  }

  static let subjects: [String] = [
    String(String(repeating: "Vigtig information om vandforsyningen ", count: 8).prefix(300)),
    String(
      String(repeating: "Kogeanbefaling for drikkevand i Ærøskøbing og Marstal ", count: 6).prefix(
        300)),
    String(repeating: "x", count: 300),
    String(repeating: "تحديث: قيود الزيارة ", count: 15),
    String(repeating: "🇩🇰👨‍👩‍👧e\u{301}\u{302} ", count: 30),
    "  leading and trailing blanks\t ", "looks like =?UTF-8?Q?an_encoded_word?= but is not",
    "tab\tinside", "",
  ]

  @Test(arguments: subjects)
  func subjectsRoundTrip(subject: String) throws {
    _ = try Self.roundTrip(try Self.message(subject: subject))
  }

  @Test func shortAsciiSubjectStaysLiteralAndLongOneFoldsAtSpaces() throws {
    let short = try EmailComposer.render(try Self.message(subject: "Vandet er rent igen"))
    #expect(String(decoding: short, as: UTF8.self).contains("\r\nSubject: Vandet er rent igen\r\n"))
    let subject = String(repeating: "Vigtig information om vandforsyningen ", count: 8)
      .trimmingCharacters(in: .whitespaces)
    let text = String(
      decoding: try EmailComposer.render(try Self.message(subject: subject)), as: UTF8.self)
    #expect(!text.components(separatedBy: "Subject:")[1].contains("=?"))
    #expect(text.contains("Subject: Vigtig information om vandforsyningen Vigtig"))
    #expect(text.contains("\r\n vandforsyningen"))
  }

  @Test func encodedWordsKeepGraphemesWhole() throws {
    let subject = String(repeating: "Ærø 🇩🇰 e\u{301} 👨‍👩‍👧 ", count: 12) + "slut"
    let text = String(
      decoding: try EmailComposer.render(try Self.message(subject: subject)), as: UTF8.self)
    let field = text.components(separatedBy: "\r\nMessage-ID:")[0]
      .components(separatedBy: "\r\nSubject:")[1]
    let words = encodedWords(in: field).compactMap(\.text)
    #expect(words.count > 3)
    #expect(sameScalars(words.joined(), subject))
    #expect(words.map(\.count).reduce(0, +) == subject.count)
  }

  /// Encoded-words of every length land right after each field name, where no fold is
  /// possible, and after a comma in To; none may push a line past 78.
  @Test(arguments: 0...60)
  func encodedWordsFitTheFirstLineWhateverTheirLength(extra: Int) throws {
    let text = "Ærø " + String(repeating: "x", count: extra)
    var message = try Self.message(
      subject: text, fromName: text,
      to: [
        EmailAddress(address: "a@example.dk", displayName: text),
        EmailAddress(address: "b@example.dk", displayName: text),
      ],
      extraHeaders: [(String(repeating: "X", count: 50), text)])
    message.replyTo = try EmailAddress(address: "svar@example.dk", displayName: text)
    let reading = try Self.roundTrip(message)
    #expect(reading.headers.last == [String(repeating: "X", count: 50), text])
  }

  @Test func headersComeInOrder() throws {
    var message = try Self.message(extraHeaders: [
      ("X-Commsd-Delivery", "dlv_01JABCDEF"), ("X-Commsd-Priority", "urgent"),
    ])
    message.replyTo = try EmailAddress(address: "svar@aeroe.kommune.example")
    let reading = try Self.roundTrip(message)
    #expect(
      reading.headers.map { $0[0] } == [
        "Date", "From", "To", "Reply-To", "Subject", "Message-ID", "MIME-Version", "Content-Type",
        "Content-Transfer-Encoding", "X-Commsd-Delivery", "X-Commsd-Priority",
      ])
    #expect(reading.headers.last == ["X-Commsd-Priority", "urgent"])
    #expect(reading.replyTo == [["", "svar@aeroe.kommune.example"]])
    let text = String(decoding: try EmailComposer.render(message), as: UTF8.self)
    #expect(text.contains("\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"))
    #expect(text.contains("\r\nContent-Transfer-Encoding: quoted-printable\r\n"))
  }

  @Test func bodyLineEndingsBecomeCRLFAndQuotedPrintableIsSafe() throws {
    let body = "a\nb\r\nc\rd\n\ntrailing  \nequals=sign\nFrom here\n"
    let bytes = try EmailComposer.render(try Self.message(body: body))
    let raw = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n\r\n")
      .dropFirst().joined(separator: "\r\n\r\n")
    #expect(raw == "a\r\nb\r\nc\r\nd\r\n\r\ntrailing =20\r\nequals=3Dsign\r\n=46rom here\r\n")
    // Multi-byte characters at every offset relative to the 76-character limit.
    let aligned = (0..<80).map { String(repeating: "x", count: $0) + "æø€😀e\u{301}= \t" }
    _ = try Self.roundTrip(try Self.message(body: aligned.joined(separator: "\n") + " "))
    _ = try Self.roundTrip(try Self.message(body: String(repeating: "å", count: 500)))
  }

  @Test func displayNamesAreQuotedOrEncodedAsNeeded() throws {
    let names = [
      "Hansen, Jens", "Jens \"JJ\" \\ Hansen", "Dr. Jens Hansen", "Jens  Hansen",
      "=?UTF-8?Q?x?=", "Søren Ærø-Åberg", String(repeating: "Kommunens Krisestab ", count: 6),
    ]
    for name in names {
      _ = try Self.roundTrip(try Self.message(fromName: name))
    }
    let text = String(
      decoding: try EmailComposer.render(try Self.message(fromName: "Hansen, Jens")), as: UTF8.self)
    #expect(text.contains("\r\nFrom: \"Hansen, Jens\" <krise@aeroe.kommune.example>\r\n"))
    let escaped = String(
      decoding: try EmailComposer.render(try Self.message(fromName: "A \"B\" \\ C")), as: UTF8.self)
    #expect(escaped.contains("From: \"A \\\"B\\\" \\\\ C\" <"))
  }

  @Test func manyRecipientsFoldWithinTheLineLimit() throws {
    let to = try (1...12).map { number throws(EmailCompositionError) in
      try EmailAddress(
        address: "borger\(number)@example.dk", displayName: "Borger nr. \(number), Ærø")
    }
    let reading = try Self.roundTrip(try Self.message(to: to))
    #expect(reading.to.map { $0[0] } == to.map { $0.displayName! })
  }

  @Test func extraHeaderValuesRoundTrip() throws {
    let reading = try Self.roundTrip(
      try Self.message(extraHeaders: [
        ("X-Commsd-Delivery", "dlv_01JABCDEF"), ("X-Commsd-Note", "Beredskab på Ærø"),
      ]))
    #expect(
      reading.headers.suffix(2) == [
        ["X-Commsd-Delivery", "dlv_01JABCDEF"], ["X-Commsd-Note", "Beredskab på Ærø"],
      ])
  }

  @Test(arguments: [
    "\r\n", "\n", "\r", "\u{0}", "\u{0B}", "\u{1B}", "\u{7F}", "\u{85}", "\u{2028}",
  ])
  func headerInjectionIsRefusedNamingTheField(breaker: String) throws {
    let evil = "Hej\(breaker)Bcc: alle@example.dk"
    #expect(throws: EmailCompositionError.headerInjection(field: "Subject")) {
      try EmailComposer.render(try Self.message(subject: evil))
    }
    #expect(throws: EmailCompositionError.headerInjection(field: "Message-ID")) {
      try EmailComposer.render(try Self.message(messageID: "dlv_1@x.example\(breaker)Bcc: a@b.dk"))
    }
    #expect(throws: EmailCompositionError.headerInjection(field: "X-Commsd-Delivery")) {
      try EmailComposer.render(try Self.message(extraHeaders: [("X-Commsd-Delivery", evil)]))
    }
    #expect(throws: EmailCompositionError.headerInjection(field: "display name")) {
      try EmailAddress(address: "a@example.dk", displayName: evil)
    }
    #expect(throws: EmailCompositionError.headerInjection(field: "display name")) {
      try EmailAddress(parsing: "\(evil) <a@example.dk>")
    }
    #expect(throws: EmailCompositionError.headerInjection(field: "address")) {
      try EmailAddress(address: "a@example.dk\(breaker)")
    }
  }

  @Test func refusalsReadWell() {
    #expect(
      EmailCompositionError.headerInjection(field: "Subject").description
        == "the Subject contains a line break or other control character; header injection is refused"
    )
    #expect(
      EmailCompositionError.invalidAddress("a b@x.dk", reason: "it contains a space").description
        == "\"a b@x.dk\" is not a usable email address: it contains a space")
  }

  @Test func badHeaderNamesAndMessageIDsAndNoRecipientsAreRefused() throws {
    for name in ["", "X Commsd", "X-Commsd:", "X-Æ", String(repeating: "X", count: 51)] {
      #expect(throws: EmailCompositionError.invalidHeaderName(name)) {
        try EmailComposer.render(try Self.message(extraHeaders: [(name, "v")]))
      }
    }
    for name in ["Bcc", "subject", "Content-Type"] {
      #expect(throws: EmailCompositionError.reservedHeaderName(name)) {
        try EmailComposer.render(try Self.message(extraHeaders: [(name, "v")]))
      }
    }
    for messageID in ["", "<a@b.dk>", "a b@c.dk", "no-at-sign", "a@b@c", "ø@b.dk", "a..b@c.dk"] {
      let error = #expect(throws: EmailCompositionError.self) {
        try EmailComposer.render(try Self.message(messageID: messageID))
      }
      guard case .invalidMessageID(messageID, _) = error else {
        Issue.record("\(messageID): \(String(describing: error))")
        continue
      }
    }
    #expect(throws: EmailCompositionError.noRecipients) {
      try EmailComposer.render(try Self.message(to: []))
    }
  }

  @Test(arguments: [
    ("2026-07-15T10:00:00Z", "Europe/Copenhagen", "Wed, 15 Jul 2026 12:00:00 +0200"),
    ("2026-01-15T10:00:00Z", "Europe/Copenhagen", "Thu, 15 Jan 2026 11:00:00 +0100"),
    ("2026-11-25T12:05:09Z", "Europe/Copenhagen", "Wed, 25 Nov 2026 13:05:09 +0100"),
    ("2026-03-29T00:59:59Z", "Europe/Copenhagen", "Sun, 29 Mar 2026 01:59:59 +0100"),
    ("2026-03-29T01:00:00Z", "Europe/Copenhagen", "Sun, 29 Mar 2026 03:00:00 +0200"),
    ("2026-10-25T00:59:59Z", "Europe/Copenhagen", "Sun, 25 Oct 2026 02:59:59 +0200"),
    ("2026-10-25T01:00:00Z", "Europe/Copenhagen", "Sun, 25 Oct 2026 02:00:00 +0100"),
    ("2026-01-01T02:00:00Z", "America/St_Johns", "Wed, 31 Dec 2025 22:30:00 -0330"),
    ("2026-05-04T23:59:59Z", "UTC", "Mon, 04 May 2026 23:59:59 +0000"),
  ])
  func dateHeaderUsesTheOffsetInForce(instant: String, zone: String, expected: String) throws {
    let date = try #require(ISO8601DateFormatter().date(from: instant))
    let timeZone = try #require(TimeZone(identifier: zone))
    let bytes = try EmailComposer.render(try Self.message(date: date), timeZone: timeZone)
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(text.hasPrefix("Date: \(expected)\r\nFrom: "))
    #expect(try PythonReading.read(bytes).timestamp == date.timeIntervalSince1970)
  }
}
