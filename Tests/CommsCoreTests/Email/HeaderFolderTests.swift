import Foundation
import Testing

@testable import CommsCore

/// Composing an email writes most fields on one line without folding them
/// first, and keeps the Date text of the last second (issue 25). Those
/// shortcuts must give exactly the bytes the general way gives.
@Suite struct HeaderFolderTests {
  static let pieces = [
    "a", "Z", "9", "id_01J", "#", "=", "?", "=?", "?=", ".", ",", "\"", "<", ">", "(", "@", " ",
    "  ", "\t", "ø", "é", "Krisestaben", "Hansen",
    "x".padding(toLength: 40, withPad: "y", startingAt: 0),
  ]

  static func text(_ generator: inout SeededGenerator, upTo count: Int) -> String {
    (0..<Int.random(in: 0...count, using: &generator)).map { _ in
      pieces.randomElement(using: &generator) ?? ""
    }.joined()
  }

  @Test func oneLineValuesAreWhatFoldingGives() {
    var generator = SeededGenerator(state: 2047)
    var shortcuts = 0
    for _ in 0..<5_000 {
      let name =
        ["Subject", "X-Commsd-Delivery", "X-Commsd-Bulletin"].randomElement(
          using: &generator) ?? "Subject"
      let value = Self.text(&generator, upTo: 6)
      var quick = HeaderFolder(name: name)
      quick.append(unstructured: value)
      var folded = HeaderFolder(name: name)
      folded.appendFolded(unstructured: value)
      #expect(quick.rendered == folded.rendered, "\(name): \(value)")
      if !quick.rendered.contains("\r\n ") && !quick.rendered.contains("=?") { shortcuts += 1 }
    }
    #expect(shortcuts > 1_000)  // the shortcut's cases were among them
  }

  @Test func oneLineMailboxesAreWhatFoldingGives() throws {
    var generator = SeededGenerator(state: 5322)
    for _ in 0..<5_000 {
      let local = "r" + String(repeating: "x", count: Int.random(in: 0...60, using: &generator))
      let address = "\(local)@kommune.example"
      let display: String? =
        Bool.random(using: &generator) ? nil : Self.text(&generator, upTo: 5)
      guard let mailbox = try? EmailAddress(address: address, displayName: display) else {
        continue
      }
      let suffix = Bool.random(using: &generator) ? "," : ""
      var quick = HeaderFolder(name: "To")
      quick.append(mailbox: mailbox, suffix: suffix)
      var folded = HeaderFolder(name: "To")
      folded.appendFolded(mailbox: mailbox, suffix: suffix)
      #expect(quick.rendered == folded.rendered, "\(display ?? "nil") <\(address)>")
    }
  }

  /// The Date text kept for a second is that second's in that zone, never
  /// the last one's.
  @Test func theDateKeptIsOnlyForItsSecondAndZone() throws {
    var generator = SeededGenerator(state: 1970)
    let zones = try [
      #require(TimeZone(identifier: "Europe/Copenhagen")), #require(TimeZone(identifier: "UTC")),
      #require(TimeZone(identifier: "America/St_Johns")),
    ]
    var date = Date(timeIntervalSince1970: 1_774_746_000)  // a day with a DST switch near
    for _ in 0..<2_000 {
      date += [0, 0.25, 0.5, 1, 59, 3_600].randomElement(using: &generator) ?? 1
      let zone = zones.randomElement(using: &generator) ?? .gmt
      #expect(RFC5322Date.format(date, in: zone) == RFC5322Date.worked(date, in: zone))
    }
  }
}
