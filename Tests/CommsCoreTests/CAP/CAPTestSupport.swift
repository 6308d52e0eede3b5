import Foundation
import Testing

@testable import CommsCore

/// The CAP fixtures in Tests/Fixtures/cap, found from this file's path (the
/// test target declares no resources), and small documents to break.
enum CAPFixtures {
  static let tests = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent()  // Tests/CommsCoreTests/CAP
    .appendingPathComponent("../..").standardizedFileURL  // Tests

  static let directory = tests.appendingPathComponent("Fixtures/cap")
  static let validator = tests.appendingPathComponent("Support/cap-validate.sh")

  static let names = [
    "homeland-security", "severe-thunderstorm", "earthquake-update", "amber-alert",
    "danish-exercise", "cancel",
  ]

  static func data(_ name: String) throws -> Data {
    try Data(contentsOf: directory.appendingPathComponent("\(name).xml"))
  }

  static func alert(_ name: String) throws -> CAPAlert {
    try CAPReader.parse(try data(name))
  }

  /// A small valid alert with one info, to break one thing at a time with
  /// `replacing`. Its lines are numbered in the comments for line checks.
  static let minimal = """
    <?xml version="1.0" encoding="UTF-8"?>
    <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
      <identifier>X-1</identifier>
      <sender>ops@example.dk</sender>
      <sent>2025-01-02T03:04:05+01:00</sent>
      <status>Actual</status>
      <msgType>Alert</msgType>
      <scope>Public</scope>
      <info>
        <category>Safety</category>
        <event>Drill</event>
        <urgency>Immediate</urgency>
        <severity>Severe</severity>
        <certainty>Observed</certainty>
        <area>
          <areaDesc>Here</areaDesc>
        </area>
      </info>
    </alert>
    """

  /// `minimal` with each `(old, new)` replaced once.
  static func minimal(_ changes: (String, String)...) -> Data {
    var text = minimal
    for (old, new) in changes {
      precondition(text.contains(old), "minimal document has no \(old)")
      if let range = text.range(of: old) { text.replaceSubrange(range, with: new) }
    }
    return Data(text.utf8)
  }

  /// The error `parse` throws for `data`, or nil if it accepts it.
  static func refusal(_ data: Data) -> CAPError? {
    do {
      _ = try CAPReader.parse(data)
      return nil
    } catch {
      return error
    }
  }

  /// A UTC date from its parts, for expectations.
  static func utc(_ text: String) -> Date? { CAPDateTime.parse(text + "+00:00") }
}
