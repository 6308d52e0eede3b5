import Foundation
import Testing

@testable import CommsCore

/// A release time typed in Copenhagen: local times around summer time's
/// start and end, offsets, and whatever else is typed.
@Suite struct LocalTimeTextTests {
  static let copenhagen = TimeZone(identifier: "Europe/Copenhagen")!

  static func read(_ text: String) -> Result<Date, LocalTimeText.Failure> {
    LocalTimeText.read(text, in: copenhagen)
  }

  @Test func aLocalTimeIsTheMunicipalitysClock() throws {
    // Winter: +01:00; summer: +02:00.
    #expect(try Self.read("2026-11-26T14:00").get() == Timestamp.parse("2026-11-26T13:00:00Z"))
    #expect(try Self.read("2026-06-01 14:00:30").get() == Timestamp.parse("2026-06-01T12:00:30Z"))
    #expect(
      try Self.read("2026-11-26T14:00:00+01:00").get() == Timestamp.parse("2026-11-26T13:00:00Z"))
  }

  @Test func theSkippedHourIsRefusedAndTheRepeatedOneNeedsItsOffset() throws {
    guard case .failure(let gap) = Self.read("2026-03-29T02:30") else {
      Issue.record("02:30 on 29 March 2026 does not exist in Copenhagen")
      return
    }
    #expect(gap == .nonexistent("2026-03-29T02:30:00", zone: "Europe/Copenhagen"))
    #expect("\(gap)".contains("does not exist in Europe/Copenhagen"))
    guard case .failure(let twice) = Self.read("2026-10-25T02:30") else {
      Issue.record("02:30 on 25 October 2026 occurs twice in Copenhagen")
      return
    }
    #expect(
      twice
        == .ambiguous(
          "2026-10-25T02:30:00", zone: "Europe/Copenhagen", offsets: ["+02:00", "+01:00"]))
    #expect("\(twice)".contains("2026-10-25T02:30:00+02:00 or 2026-10-25T02:30:00+01:00"))
    // With the offset it is one instant; the hours either side are plain.
    #expect(
      try Self.read("2026-10-25T02:30:00+01:00").get() == Timestamp.parse("2026-10-25T01:30:00Z"))
    #expect(try Self.read("2026-03-29T03:30").get() == Timestamp.parse("2026-03-29T01:30:00Z"))
    #expect(try Self.read("2026-10-25T03:30").get() == Timestamp.parse("2026-10-25T02:30:00Z"))
  }

  @Test(arguments: [
    "", "14:00", "2026-11-26", "2026-13-01T10:00", "2026-02-30T10:00", "2026-11-26T24:00",
    "2026-11-26T10:60", "2026-11-26X10:00", "２０２６-11-26T10:00", "2026-11-26T10:00:00:00",
    String(repeating: "9", count: 5000),
  ])
  func anythingElseIsMalformed(text: String) {
    guard case .failure(.malformed) = Self.read(text) else {
      Issue.record("\(text.prefix(40)) was read")
      return
    }
  }

  /// Seeded, bounded: mutated times never trap, and what is read is a
  /// time whose local form reads back to the same instant.
  @Test func mutatedTimesNeverTrap() {
    var generator = SeededGenerator(state: 20_261_203)
    let seeds = ["2026-03-29T02:30", "2026-10-25T02:30:00", "2026-11-26 14:00", "2026-06-01T12:00"]
    let alphabet = Array("0123456789-:T +Z.".utf8) + [0, 255, 0xC3]
    for round in 0..<4000 {
      var bytes = Array(seeds[round % seeds.count].utf8)
      for _ in 0..<Int.random(in: 1...3, using: &generator) {
        let at = Int.random(in: 0..<max(1, bytes.count), using: &generator)
        let byte = alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
        switch Int.random(in: 0..<3, using: &generator) {
        case 0 where !bytes.isEmpty: bytes[at] = byte
        case 1: bytes.insert(byte, at: min(at, bytes.count))
        default: if !bytes.isEmpty { bytes.remove(at: at) }
        }
      }
      if case .success(let date) = Self.read(String(decoding: bytes, as: UTF8.self)) {
        #expect(date.timeIntervalSince1970.isFinite)
      }
    }
  }
}
