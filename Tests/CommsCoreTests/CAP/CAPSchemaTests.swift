import Foundation
import Testing

@testable import CommsCore

/// What the writer writes validates against the official CAP 1.2 schema, by
/// Tests/Support/cap-validate.sh (xmllint; it installs it and fetches the
/// schema on first use). Serialized: the first run may install.
@Suite(.serialized, .timeLimit(.minutes(10))) struct CAPSchemaTests {
  /// Runs the validator on `files`; its exit status and what it said.
  static func validate(_ files: [URL]) throws -> (status: Int32, output: String) {
    let log = FileManager.default.temporaryDirectory
      .appendingPathComponent("cap-validate-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: log) }
    let handle = try FileHandle(forWritingTo: log)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [CAPFixtures.validator.path] + files.map(\.path)
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    process.waitUntilExit()
    try handle.close()
    return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
  }

  /// A fresh directory with `documents` written to it, one file each.
  static func write(_ documents: [String: String]) throws -> URL {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("cap-schema-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    for (name, text) in documents {
      try Data(text.utf8).write(to: directory.appendingPathComponent("\(name).xml"))
    }
    return directory
  }

  @Test func fixturesAndWriterOutputValidate() throws {
    var documents = ["everything": CAPWriter.xml(CAPWriterTests.everything)]
    for name in CAPFixtures.names {
      documents["written-\(name)"] = CAPWriter.xml(try CAPFixtures.alert(name))
    }
    let directory = try Self.write(documents)
    defer { try? FileManager.default.removeItem(at: directory) }
    let written = documents.keys.sorted().map { directory.appendingPathComponent("\($0).xml") }
    let fixtures = CAPFixtures.names.map {
      CAPFixtures.directory.appendingPathComponent("\($0).xml")
    }
    let result = try Self.validate(written + fixtures)
    #expect(result.status == 0, "\(result.output)")
  }

  /// The negative control: if the validator passed everything, the test
  /// above would prove nothing. Exit 1 means "checked and invalid", not
  /// "could not check" (2).
  @Test func brokenDocumentsFailValidation() throws {
    let good = CAPWriter.xml(try CAPFixtures.alert("severe-thunderstorm"))
    let broken = [
      "bad-urgency": good.replacingOccurrences(
        of: "<urgency>Immediate</urgency>", with: "<urgency>Soon</urgency>"),
      "bad-order": good.replacingOccurrences(
        of: "<status>Actual</status>\n  <msgType>Alert</msgType>",
        with: "<msgType>Alert</msgType>\n  <status>Actual</status>"),
      "utc-z": good.replacingOccurrences(of: "-07:00</sent>", with: "Z</sent>"),
    ]
    for (name, text) in broken {
      #expect(text != good, "\(name) changed nothing")
      let directory = try Self.write([name: text])
      defer { try? FileManager.default.removeItem(at: directory) }
      let result = try Self.validate([directory.appendingPathComponent("\(name).xml")])
      #expect(result.status == 1, "\(name): \(result.output)")
    }
  }
}
