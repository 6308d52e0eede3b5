import Foundation
import Testing

@testable import CommsCore

/// A fan-out's emails share their encoded body, Subject, From and Reply-To
/// fields (`EmailPartsCache`): the bytes must be exactly those composed
/// without it.
@Suite struct EmailPartsCacheTests {
  static let zone = TimeZone(identifier: "Europe/Copenhagen") ?? .gmt

  static func message(to index: Int, subject: String, body: String) throws -> EmailMessage {
    EmailMessage(
      from: try EmailAddress(address: "krise@aeroe.kommune.example", displayName: "Ærø Kommune"),
      to: [try EmailAddress(address: "p\(index)@example.dk", displayName: "Person \(index)")],
      subject: subject, textBody: body, messageID: "dlv_\(index)@aeroe.kommune.example",
      date: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)),
      extraHeaders: [(name: "X-Commsd-Delivery", value: "dlv_\(index)")])
  }

  @Test func cachedPartsComposeTheSameBytes() throws {
    let cache = EmailPartsCache()
    let subjects = [
      "Skolerne lukker i morgen", "Vandforsyning: kog vandet før brug — område Ærøskøbing",
      String(repeating: "Meget lang overskrift med æøå ", count: 8),
    ]
    let bodies = [
      "Kære borger,\n\nSkolerne holder lukket.\n",
      "Linje med mellemrum til sidst   \r\nog CR\rslut",
      String(repeating: "Tekst med ÆØÅ og en lang linje der skal brydes blødt. ", count: 40), "",
    ]
    for index in 0..<60 {
      let subject = subjects[index % subjects.count]
      // Every fifth body is personal (a reader's own confirmation line).
      var body = bodies[index % bodies.count]
      if index % 5 == 0 { body += "\n\nBekræft: https://kommune.example/c/\(index)" }
      let message = try Self.message(to: index, subject: subject, body: body)
      let plain = try EmailComposer.render(message, timeZone: Self.zone)
      let cached = try EmailComposer.render(message, timeZone: Self.zone, parts: cache)
      #expect(cached == plain, "email \(index)")
    }
    // The shared bodies once each, the personal ones one each.
    #expect(cache.keptBodies == bodies.count + 12)
  }

  @Test func theCacheIsBoundedAndHugeBodiesAreNotKept() throws {
    let cache = EmailPartsCache()
    for index in 0..<(EmailPartsCache.capacity * 3) {
      let message = try Self.message(to: index, subject: "s", body: "personal \(index)")
      _ = try EmailComposer.render(message, timeZone: Self.zone, parts: cache)
      #expect(cache.keptBodies <= EmailPartsCache.capacity)
    }
    let huge = String(repeating: "x", count: EmailPartsCache.largestKept + 1)
    let empty = EmailPartsCache()
    let message = try Self.message(to: 1, subject: "s", body: huge)
    #expect(
      try EmailComposer.render(message, timeZone: Self.zone, parts: empty)
        == EmailComposer.render(message, timeZone: Self.zone))
    #expect(empty.keptBodies == 0)
  }

  @Test func senderFieldsFromTheCacheAreTheSameBytesPerFieldAndMailbox() throws {
    let cache = EmailPartsCache()
    let senders = [
      try EmailAddress(
        address: "krisestab@kommune.example", displayName: "Krisestaben, Benchmark Kommune"),
      try EmailAddress(address: "krise@aeroe.kommune.example", displayName: "Ærø Kommune"),
      try EmailAddress(address: "noreply@kommune.example"),
      try EmailAddress(
        address: "a@kommune.example",
        displayName: String(repeating: "Beredskab \"Syd\" ", count: 9)),
    ]
    for index in 0..<40 {
      var message = try Self.message(to: index, subject: "s", body: "b")
      message.from = senders[index % senders.count]
      // The same mailbox as a Reply-To: a field of its own, not the From.
      message.replyTo = index % 3 == 0 ? senders[(index + 1) % senders.count] : nil
      let plain = try EmailComposer.render(message, timeZone: Self.zone)
      let cached = try EmailComposer.render(message, timeZone: Self.zone, parts: cache)
      #expect(cached == plain, "email \(index)")
    }
  }
}
