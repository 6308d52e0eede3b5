import Foundation
import Testing

@testable import CommsCore

@Suite struct TimestampTests {
  @Test func formatsFixedWidthUTCWithMilliseconds() {
    #expect(
      Timestamp.format(Date(timeIntervalSince1970: 1_795_000_000.512)) == "2026-11-18T11:06:40.512Z"
    )
    #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
  }

  /// Total over every date: a bug or a hostile value once made a date in
  /// the year 3 billion, and formatting it stopped the daemon.
  @Test func formatsEveryDateWithoutTrapping() {
    #expect(
      Timestamp.format(Date(timeIntervalSince1970: 1e20)) == "9999-12-31T23:59:59.999Z")
    #expect(
      Timestamp.format(Date(timeIntervalSince1970: -1e20)) == "0001-01-01T00:00:00.000Z")
    #expect(Timestamp.format(.distantFuture).hasPrefix("4001-01-01"))
    #expect(Timestamp.format(Date(timeIntervalSince1970: .infinity)) == "9999-12-31T23:59:59.999Z")
    #expect(Timestamp.format(Date(timeIntervalSince1970: .nan)) == "1970-01-01T00:00:00.000Z")
  }

  @Test func roundTripsToTheMillisecond() {
    for seconds in stride(from: 1_700_000_000.0, to: 1_800_000_000.0, by: 7_777_777.123) {
      let date = Date(timeIntervalSince1970: seconds)
      let text = Timestamp.format(date)
      #expect(Timestamp.format(Timestamp.parse(text)!) == text)
    }
  }

  @Test func parsesOffsetsAndRejectsGarbage() {
    #expect(Timestamp.parse("2026-11-25T13:00:00+01:00") == Timestamp.parse("2026-11-25T12:00:00Z"))
    #expect(Timestamp.parse("2026-11-25 12:00:00Z") != nil)
    #expect(Timestamp.parse("2026-13-25T12:00:00Z") == nil)
    #expect(Timestamp.parse("yesterday") == nil)
    #expect(Timestamp.parse("2026-11-25T12:00:00") == nil)
  }

  @Test func timesFormatCannotWriteBackAreRefused() {
    // 9999-12-31T23:59:59-01:00 is in the year 10000 in UTC.
    #expect(Timestamp.parse("9999-12-31T23:59:59-01:00") == nil)
    #expect(Timestamp.parse("9999-12-31T23:59:59+01:00") != nil)
    #expect(Timestamp.parse("0000-01-01T00:00:00+99:99") == nil)
    #expect(Timestamp.parse("2026-11-25T10:00:00+01:60") == nil)
  }

  @Test func durationsReadAsOperatorsWriteThem() {
    #expect(DurationText.parse("250ms") == .milliseconds(250))
    #expect(DurationText.parse("5s") == .seconds(5))
    #expect(DurationText.parse("1h30m") == .seconds(5400))
    #expect(DurationText.parse("24h") == .seconds(86_400))
    #expect(DurationText.parse("5") == nil)
    #expect(DurationText.parse("soon") == nil)
    #expect(DurationText.format(.seconds(5400)) == "1h30m")
  }
}
