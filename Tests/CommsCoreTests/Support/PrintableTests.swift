import Foundation
import Testing

@testable import CommsCore

@Suite struct PrintableTests {
  @Test func controlCharactersAreEscapedAndLinesKept() {
    #expect(Printable.lines("a\u{1B}[2Jb\nc") == "a\\u{1B}[2Jb\nc")
    #expect(Printable.lines("plain æøå") == "plain æøå")
    #expect(Printable.quoted("a\nb\u{7F}\u{202E}") == "a\\u{A}b\\u{7F}\\u{202E}")
    #expect(Printable.quoted(String(repeating: "x", count: 200), limit: 5) == "xxxxx…")
  }

  /// A key is any quoted TOML string: its escape sequences must not reach
  /// the operator's terminal or the journal raw.
  @Test func aConfigurationErrorNamesAKeyWithoutItsControlCharacters() {
    let text = "data_dir = \"var\"\n\"evil\\u001b[2Jkey\" = 1\n"
    var found: [String] = []
    do { _ = try ConfigurationLoader.parse(text, file: "c.toml") } catch {
      found = error.errors.map(\.description)
    }
    #expect(found.contains { $0.hasPrefix("c.toml:2: evil\\u{1B}[2Jkey: unknown key") }, "\(found)")
    #expect(!found.joined().contains("\u{1B}"))
  }
}
