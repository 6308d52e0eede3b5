import Foundation
import Testing

@testable import CommsCore

/// Durations typed at 3 a.m.: every value bounded, every refusal named.
@Suite struct DurationTextTests {
  @Test func readsTheFormsOperatorsWrite() {
    #expect(DurationText.parse("250ms") == .milliseconds(250))
    #expect(DurationText.parse("1h30m") == .seconds(5400))
    #expect(DurationText.parse("2d") == .seconds(172_800))
    #expect(DurationText.parse("0.5s") == .milliseconds(500))
    #expect(DurationText.parse(DurationText.format(DurationText.maximum)) == DurationText.maximum)
  }

  @Test func refusesWhatIsTooLongWithoutTrapping() {
    for text in [
      "99999999999999999d", "3661d", String(repeating: "9", count: 60) + "s",
      "100000000000000000000000ms",
    ] {
      #expect(DurationText.read(text) == .failure(.tooLong), "\(text)")
    }
    #expect(DurationText.read("3660d") == .success(DurationText.maximum))
  }

  @Test func refusesWhatIsNotADuration() {
    for text in [
      "", "5", "s", "-5s", "5 s", "5y", "٣s", "5s;", "nan", "infs",
      String(repeating: "1", count: 70),
    ] {
      #expect(DurationText.read(text) == .failure(.malformed), "\(text)")
    }
  }

  /// A setting outside its key's range names file, line and key.
  @Test func aConfigurationDurationOutsideItsRangeNamesTheKey() {
    let text = """
      data_dir = "var"
      [dispatch]
      lease = "99999999999999999d"
      poll_interval = "2h"
      [retry]
      max_delay = "0s"
      """
    var found: [String] = []
    do { _ = try ConfigurationLoader.parse(text, file: "/etc/commsd/commsd.toml") } catch {
      found = error.errors.map(\.description)
    }
    #expect(
      found.contains {
        $0.hasPrefix("/etc/commsd/commsd.toml:3: dispatch.lease: \"99999999999999999d\" is longer")
      }, "\(found)")
    #expect(
      found.contains {
        $0.hasPrefix(
          "/etc/commsd/commsd.toml:4: dispatch.poll_interval: expected a duration from 1ms to 1h")
      }, "\(found)")
    #expect(
      found.contains { $0.hasPrefix("/etc/commsd/commsd.toml:6: retry.max_delay: expected") },
      "\(found)")
  }
}
