import Foundation
import Testing

@testable import CommsCore

/// Emails that come back through `commsd mailgate`, as mail clients write
/// them: the tag of the address, the thread, the person's own words in
/// whatever charset and transfer encoding, and the automatic answers that
/// are no questions.
@Suite struct InboundMailTests {
  static let delivery = "dlv_01KB9YQ0W3D2D4Z6X8N1R3T5V7"

  static func mail(_ headers: [String], _ body: String) -> [UInt8] {
    Array((headers.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
  }

  @Test func aReplyNamesItsDeliveryByTheTagAndKeepsOnlyThePersonsOwnWords() throws {
    let bytes = Self.mail(
      [
        "Return-Path: <inger@example.org>",
        "From: =?UTF-8?Q?Inger_M=C3=B8ller?= <Inger@Example.org>",
        "To: =?UTF-8?Q?P=C3=A5r=C3=B8rendetelefonen?= <paaroerende+\(Self.delivery)@kommune.example>",
        "Subject: =?UTF-8?B?U1Y6IEJlc8O4Z3Nmb3JidWQ=?=",
        "Message-ID: <CAF1234@mail.example.org>",
        "In-Reply-To: <\(Self.delivery)@kommune.example>",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
      ],
      "M=C3=A5 vi komme p=C3=A5 s=C3=B8ndag?\r\n\r\nDen 3. dec. 2026 kl. 10.00 skrev Krisestaben:\r\n> Bes=C3=B8gsforbud\r\n"
    )
    let reply = try InboundMail.reply(
      bytes, recipient: "paaroerende+\(Self.delivery.lowercased())@kommune.example",
      sender: "inger@example.org")
    #expect(reply.from == "inger@example.org" && reply.fromName == "Inger Møller")
    #expect(reply.subject == "SV: Besøgsforbud")
    #expect(reply.text == "Må vi komme på søndag?")
    #expect(reply.tag == DeliveryID(rawValue: Self.delivery))
    #expect(reply.thread == [DeliveryID(rawValue: Self.delivery)])
    #expect(reply.reference == "CAF1234@mail.example.org")
    #expect(reply.automatic == nil && reply.channel == .email)
  }

  @Test func theFirstTextPartIsReadInItsCharsetAndHTMLOnlyMailLosesItsTags() throws {
    let multipart = Self.mail(
      [
        "From: bo@example.org", "To: paaroerende@kommune.example", "Subject: Spørgsmål",
        "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"outer\"",
      ],
      """
      --outer\r
      Content-Type: multipart/alternative; boundary=inner\r
      \r
      --inner\r
      Content-Type: text/plain; charset=iso-8859-1\r
      Content-Transfer-Encoding: quoted-printable\r
      \r
      Hvorn=E5r =E5bner Solg=E5rden igen?\r
      --inner\r
      Content-Type: text/html\r
      \r
      <p>ignored</p>\r
      --inner--\r
      --outer\r
      Content-Type: application/pdf\r
      Content-Transfer-Encoding: base64\r
      \r
      JVBERi0xLjQK\r
      --outer--\r

      """)
    let reply = try InboundMail.reply(multipart, recipient: nil, sender: "bo@example.org")
    #expect(reply.text == "Hvornår åbner Solgården igen?")
    #expect(reply.tag == nil && reply.reference?.hasPrefix("sha256:") == true)

    let html = Self.mail(
      [
        "From: a@example.org", "Content-Type: text/html; charset=utf-8",
        "Content-Transfer-Encoding: base64",
      ],
      Data("<div>Kan vi&nbsp;ringe?</div>".utf8).base64EncodedString())
    #expect(try InboundMail.reply(html, recipient: nil, sender: nil).text == "Kan vi ringe?")
  }

  @Test(arguments: [
    (["Auto-Submitted: auto-replied"], "x@example.org", "auto-submitted: auto-replied"),
    (["X-Autoreply: yes"], "x@example.org", "autoresponder"),
    (["Precedence: bulk"], "x@example.org", "precedence: bulk"),
    (
      ["Content-Type: multipart/report; report-type=delivery-status; boundary=b"], "",
      "delivery report"
    ),
    (["From: MAILER-DAEMON@mx.example.org"], "", "bounce (empty envelope sender)"),
    (["Subject: Automatisk svar: Besøgsforbud"], "x@example.org", "subject: automatisk svar"),
    (["Subject: Out of Office: Besøgsforbud"], "x@example.org", "subject: out of office"),
  ])
  func automaticAnswersAreRecognised(headers: [String], sender: String, reason: String) throws {
    var all = headers
    if !headers.contains(where: { $0.hasPrefix("From:") }) { all.append("From: x@example.org") }
    let reply = try InboundMail.reply(
      Self.mail(all, "Jeg er på ferie."), recipient: nil, sender: sender)
    #expect(reply.automatic == reason)
  }

  @Test func aPersonsReplyIsNotTakenForAnAutomaticOne() throws {
    let reply = try InboundMail.reply(
      Self.mail(["From: x@example.org", "Auto-Submitted: no", "Subject: Re: Besøg"], "Tak"),
      recipient: nil, sender: "x@example.org")
    #expect(reply.automatic == nil)
  }

  @Test func inputThatIsNoEmailOrHasNoSenderIsRefusedByName() {
    #expect(throws: InboundMail.Failure.notAnEmail) {
      try InboundMail.reply(
        Array("just some text\nwithout headers".utf8), recipient: nil, sender: nil)
    }
    #expect(throws: InboundMail.Failure.noSender) {
      try InboundMail.reply(Self.mail(["Subject: hej"], "x"), recipient: nil, sender: "")
    }
    // The envelope sender answers for a mail without From.
    #expect(
      (try? InboundMail.reply(Self.mail(["Subject: hej"], "x"), recipient: nil, sender: "a@b.dk"))?
        .from == "a@b.dk")
  }

  @Test func aLongTextIsCutAndSaysSo() throws {
    let reply = try InboundMail.reply(
      Self.mail(["From: x@example.org"], String(repeating: "å", count: 30_000)), recipient: nil,
      sender: nil)
    #expect(reply.text.count == IncomingReply.maxText + 4 && reply.text.hasSuffix("[…]"))
  }

  @Test func theTagRoundTripsAndOnlyAWellFormedOneCounts() throws {
    let address = try EmailAddress(parsing: "Pårørende <paaroerende@kommune.example>")
    let tagged = ReplyTag.tagged(address, delivery: DeliveryID(rawValue: Self.delivery))
    #expect(tagged.address == "paaroerende+\(Self.delivery)@kommune.example")
    #expect(tagged.displayName == "Pårørende")
    #expect(ReplyTag.delivery(in: tagged.address)?.rawValue == Self.delivery)
    #expect(ReplyTag.delivery(in: "paaroerende+dlv_short@kommune.example") == nil)
    #expect(ReplyTag.delivery(in: "paaroerende@kommune.example") == nil)
    // A local part too long for a tag keeps the plain address.
    let long = try EmailAddress(address: String(repeating: "a", count: 40) + "@kommune.example")
    #expect(ReplyTag.tagged(long, delivery: DeliveryID(rawValue: Self.delivery)) == long)
  }

  @Test func encodedWordsDecodeAndMalformedOnesStayAsWritten() {
    #expect(MailDecoding.header("=?utf-8?q?Hej_med_dig?= =?utf-8?b?w6Z4?=") == "Hej med digæx")
    #expect(MailDecoding.header("Re: =?iso-8859-1?q?Bes=F8g?= i dag") == "Re: Besøg i dag")
    #expect(MailDecoding.header("=?utf-8?x?abc?= and =?broken") == "=?utf-8?x?abc?= and =?broken")
  }
}
