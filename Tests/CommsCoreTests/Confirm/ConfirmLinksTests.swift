import Crypto
import Foundation
import Testing

@testable import CommsCore

/// The confirmation link: one per delivery, short enough for an SMS,
/// refused when not made with this key; and what its page says when.
@Suite struct ConfirmLinksTests {
  let links = ConfirmLinks(
    key: [UInt8](repeating: 3, count: 32), publicURL: "https://commsd.kommune.example/")
  let delivery = DeliveryID(rawValue: "dlv_01KBX6QW1M8V7Y2D3E4F5G6H7J")

  @Test func aLinkNamesItsDeliveryAndNothingElse() {
    let url = links.url(for: delivery)
    #expect(url.hasPrefix("https://commsd.kommune.example/c/01KBX6QW1M8V7Y2D3E4F5G6H7J."))
    #expect(url.count == "https://commsd.kommune.example/c/".count + 49)
    let token = links.token(for: delivery)
    #expect(links.delivery(fromToken: token) == delivery)
    // Another delivery's id with this MAC, a changed MAC, another key: refused.
    let other = "01KBX6QW1M8V7Y2D3E4F5G6H7K" + token.dropFirst(26)
    #expect(links.delivery(fromToken: String(other)) == nil)
    var changed = Array(token)
    changed[30] = changed[30] == "A" ? "B" : "A"
    #expect(links.delivery(fromToken: String(changed)) == nil)
    let otherKey = ConfirmLinks(key: [UInt8](repeating: 4, count: 32), publicURL: "https://x")
    #expect(otherKey.delivery(fromToken: token) == nil)
    for hostile in ["", ".", String(repeating: "A", count: 49), token + "A", "../../etc/passwd"] {
      #expect(links.delivery(fromToken: hostile) == nil)
    }
    #expect(
      links.line(for: delivery, language: "da").hasPrefix("Bekræft, at du har læst den: https://"))
    #expect(links.line(for: delivery, language: "ar").hasPrefix("Please confirm"))
  }

  /// The MAC is HMAC-SHA256 of "purpose:dlv_<ULID>" under the link key, cut
  /// to 16 bytes, in Base64url, as swift-crypto's `HMAC` makes it: links
  /// sent before the MAC was keyed once (`KeyedSHA256`) still open.
  @Test func theMACIsHMACSHA256OfPurposeAndIdCutTo16Bytes() {
    func expected(_ purpose: String) -> String {
      let code = HMAC<SHA256>.authenticationCode(
        for: Data("\(purpose):\(delivery.rawValue)".utf8),
        using: SymmetricKey(data: [UInt8](repeating: 3, count: 32)))
      return Data(Data(code).prefix(16)).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
    }
    #expect(links.token(for: delivery) == "01KBX6QW1M8V7Y2D3E4F5G6H7J." + expected("confirm"))
    #expect(
      links.approvalURL(for: delivery)
        == "https://commsd.kommune.example/a/01KBX6QW1M8V7Y2D3E4F5G6H7J." + expected("approve"))
  }

  @Test func thePageIsRefusedWhenWithdrawnUsedOrOld() {
    let accepted = Date(timeIntervalSince1970: 1_796_274_000)
    let page = ConfirmationPage(
      subject: "Besøgsforbud", body: "Fra kl. 12.", language: "da", recipientName: "Anne",
      acceptedAt: accepted, deadline: accepted + 1800, confirmedAt: nil, cancelled: false)
    let week = Duration.seconds(7 * 86400)
    #expect(ConfirmController.verdict(page, now: accepted + 60, linkValid: week) == .open(page))
    #expect(ConfirmController.verdict(nil, now: accepted, linkValid: week) == .invalid)
    var notAsked = page
    notAsked.deadline = nil
    #expect(ConfirmController.verdict(notAsked, now: accepted, linkValid: week) == .invalid)
    #expect(
      ConfirmController.verdict(page, now: accepted + 7 * 86400 + 1, linkValid: week)
        == .expired(language: "da"))
    var used = page
    used.confirmedAt = accepted + 300
    #expect(
      ConfirmController.verdict(used, now: accepted + 8 * 86400, linkValid: week)
        == .already(at: accepted + 300, page: used))
    var withdrawn = page
    withdrawn.cancelled = true
    #expect(
      ConfirmController.verdict(withdrawn, now: accepted, linkValid: week)
        == .cancelled(language: "da"))
  }

  @Test func thePageEscapesTheMessageAndOnlyItsButtonConfirms() {
    let page = ConfirmationPage(
      subject: "<script>alert(1)</script>", body: "Linje 1\nLinje 2\n\nAfsnit & mere",
      language: "en",
      recipientName: "Anne", acceptedAt: Date(), deadline: Date(), confirmedAt: nil,
      cancelled: false)
    let html = ConfirmPageHTML.render(.ask, page: page, language: "en")
    #expect(!html.contains("<script>"))
    #expect(html.contains("&lt;script&gt;"))
    #expect(html.contains("Linje 1<br/>Linje 2</p>\n<p>Afsnit &amp; mere</p>"))
    #expect(html.contains(#"<form method="post">"#))
    #expect(html.contains("I have read and understood"))
    #expect(!ConfirmPageHTML.render(.invalid, page: nil, language: "da").contains("<form"))
  }

  @Test func anSMSKeepsTheLinkWholeAndCutsTheRest() {
    let line = links.line(for: delivery, language: "da")
    let long = String(repeating: "Besøg er ikke tilladt indtil videre. ", count: 30)
    let sms = SMSText.render(
      content: MessageContent(subject: "Besøgsforbud", body: long),
      rendered: RenderedMessage(subject: "Besøgsforbud", body: long), footer: nil, mark: nil,
      maxSegments: 2, last: line)
    #expect(sms.text.hasSuffix("\n" + line))
    #expect(sms.segments.count <= 2 && sms.source == .cut)
    let formatted = SMSText.render(
      content: MessageContent(subject: "S", body: long),
      rendered: RenderedMessage(subject: "S", body: long), footer: nil, formatted: long,
      mark: nil, maxSegments: 2, last: line)
    #expect(formatted.text.hasSuffix(" ...\n" + line) && formatted.segments.count <= 2)
    let written = SMSText.render(
      content: MessageContent(subject: "S", body: "b", sms: "Besøgsforbud fra kl. 12."),
      rendered: RenderedMessage(subject: "S", body: "b"), footer: nil, mark: nil, maxSegments: 2,
      last: line)
    #expect(written.text == "Besøgsforbud fra kl. 12.\n" + line)
  }
}
