import Foundation
import Testing

@testable import CommsCore

@Suite struct EmailAddressTests {
  @Test(arguments: [
    ("Jens Hansen <jens@example.dk>", "Jens Hansen", "jens@example.dk"),
    ("\"Hansen, Jens\" <jens@example.dk>", "Hansen, Jens", "jens@example.dk"),
    ("  \"A \\\"B\\\" \\\\ C\"\t<a@b.dk>  ", "A \"B\" \\ C", "a@b.dk"),
    ("Søren Ærø <soeren@aeroe.dk>", "Søren Ærø", "soeren@aeroe.dk"),
    ("\"Name <with> brackets\" <x@y.dk>", "Name <with> brackets", "x@y.dk"),
    ("<bare@example.dk>", nil, "bare@example.dk"),
    ("\"\" <bare@example.dk>", nil, "bare@example.dk"),
    ("bare@example.dk", nil, "bare@example.dk"),
    ("first.last+tag@sub-domain.example.dk", nil, "first.last+tag@sub-domain.example.dk"),
  ])
  func parsesMailboxes(text: String, name: String?, address: String) throws {
    let mailbox = try EmailAddress(parsing: text)
    #expect(mailbox.displayName == name)
    #expect(mailbox.address == address)
    #expect(try EmailAddress(parsing: mailbox.description) == mailbox)
  }

  @Test func descriptionQuotesOnlyWhenNeeded() throws {
    #expect(
      try EmailAddress(address: "a@b.dk", displayName: "Jens Hansen").description
        == "Jens Hansen <a@b.dk>")
    #expect(
      try EmailAddress(address: "a@b.dk", displayName: "Hansen, Jens").description
        == "\"Hansen, Jens\" <a@b.dk>")
    #expect(try EmailAddress(address: "a@b.dk").description == "a@b.dk")
    #expect(try EmailAddress(address: "a@b.dk", displayName: "").displayName == nil)
  }

  @Test func domainIsThePartAfterTheAt() throws {
    #expect(
      try EmailAddress(address: "jens@commsd.kommune.example").domain == "commsd.kommune.example")
  }

  @Test(arguments: [
    "", "plain", "two@@example.dk", "a@b@example.dk", "@example.dk", "jens@",
    "jens hansen@example.dk",
    "jens@exa mple.dk", "<jens@example.dk>", "jens>@example.dk", "søren@example.dk", "jens@ærø.dk",
    ".jens@example.dk", "jens.@example.dk", "je..ns@example.dk", "jens(x)@example.dk",
    "\"jens\"@example.dk",
    "jens@-example.dk", "jens@example-.dk", "jens@example..dk", "jens@.example.dk",
    "jens@example.dk.",
    "jens@exa_mple.dk", "jens@[192.0.2.1]", String(repeating: "l", count: 65) + "@example.dk",
    "jens@" + String(repeating: "d", count: 64) + ".dk",
    String(repeating: "l", count: 64) + "@" + String(repeating: "d.", count: 94) + "dk",
  ])
  func invalidAddressesAreRefused(address: String) {
    let error = #expect(throws: EmailCompositionError.self) { try EmailAddress(address: address) }
    guard case .invalidAddress(address, let reason) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    #expect(!reason.isEmpty)
  }

  @Test func lengthLimitsAreInclusive() throws {
    let local = String(repeating: "l", count: 64)
    _ = try EmailAddress(address: local + "@example.dk")
    let longest = local + "@" + String(repeating: "d.", count: 93) + "ddk"
    #expect(longest.utf8.count == 254)
    _ = try EmailAddress(address: longest)
  }

  @Test func nonASCIIAddressesGetAClearReason() {
    let error = #expect(throws: EmailCompositionError.self) {
      try EmailAddress(address: "jens@ærø.dk")
    }
    #expect(error?.description.contains("non-ASCII") == true)
    #expect(error?.description.contains("xn--") == true)
  }

  @Test(arguments: [
    "Jens <jens@example.dk", "Jens jens@example.dk>", "\"Jens <jens@example.dk>",
    "\"Jens\" x <jens@example.dk>",
    "Je\"ns <jens@example.dk>", "Jens <a@b.dk> <c@d.dk>", "Jens <jens@example.dk> trailing",
  ])
  func malformedMailboxesAreRefused(text: String) {
    #expect(throws: EmailCompositionError.self) { try EmailAddress(parsing: text) }
  }

  /// The domain's labels as they were checked before they were read as
  /// bytes (issue 25): split into substrings, their scalars read.
  static func labelReasonAsBefore(_ domain: String) -> String? {
    for label in domain.split(separator: ".", omittingEmptySubsequences: false) {
      if label.isEmpty {
        return "the domain has an empty label (a leading, trailing or double dot)"
      }
      if label.utf8.count > 63 { return "a domain label is longer than 63 characters" }
      let isLDH = label.unicodeScalars.allSatisfy { scalar in
        scalar == "-" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
          || ("0"..."9").contains(scalar)
      }
      if !isLDH { return "the domain may hold only letters, digits, hyphens and dots" }
      if label.hasPrefix("-") || label.hasSuffix("-") {
        return "a domain label starts or ends with a hyphen"
      }
    }
    return nil
  }

  /// Seeded: 3,000 domains of letters, digits, hyphens, dots and a few
  /// other ASCII bytes, some with labels of 60 to 70 bytes, are refused for
  /// the same reason as before, or accepted as before.
  @Test func domainLabelsAreJudgedAsBefore() {
    var random = SeededGenerator(state: 0xD0_4A1F)
    let alphabet = Array("aZ9-._+!".utf8)
    for round in 0..<3_000 {
      let size =
        round % 10 == 0
        ? Int.random(in: 60...140, using: &random) : Int.random(in: 1...20, using: &random)
      let domain = String(
        decoding: (0..<size).map { _ in
          round % 10 == 0 && Int.random(in: 0..<20, using: &random) > 0
            ? UInt8(ascii: "d") : alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
        }, as: UTF8.self)
      let expected = Self.labelReasonAsBefore(domain)
      do {
        _ = try EmailAddress(address: "jens@" + domain)
        #expect(expected == nil, "\(domain) was accepted")
      } catch {
        guard case .invalidAddress(_, let reason) = error else {
          Issue.record("unexpected \(error)")
          continue
        }
        #expect(reason == expected, "\(domain)")
      }
    }
  }
}
