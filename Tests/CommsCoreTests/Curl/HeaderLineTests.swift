import Testing

@testable import CommsCore

/// A receiver's header lines are outside input, kept as bytes and read
/// on bytes when asked (`HeaderLines`).
@Suite struct HeaderLineTests {
  static func parse(_ lines: [String]) -> [HTTPHeaderField] {
    var headers: [HTTPHeaderField] = []
    for line in lines {
      Array(line.utf8).withUnsafeBytes { HeaderLines.parse($0, into: &headers) }
    }
    return headers
  }

  @Test func headersAreNamedTrimmedContinuedAndOnlyTheFinalResponsesCount() {
    let headers = Self.parse([
      "HTTP/1.1 100 Continue\r\n", "X-Early: gone\r\n", "\r\n",
      "HTTP/1.1 429 Too Many Requests\r\n",
      "Retry-After: \t 120 \t\r\n",
      "X-Folded: first\r\n", " \tsecond part \r\n",
      "X-Empty:\r\n",
      "X-Late:\r\n", "  late \r\n", " \t \r\n",
      "not a header\r\n",
      "X-Æøå: værdi — ok\n",
      "Location: http://127.0.0.1:1/a:b\r\n",
      "\r\n",
    ])
    #expect(
      headers == [
        HTTPHeaderField(name: "Retry-After", value: "120"),
        HTTPHeaderField(name: "X-Folded", value: "first second part"),
        HTTPHeaderField(name: "X-Empty", value: ""),
        HTTPHeaderField(name: "X-Late", value: "late"),
        HTTPHeaderField(name: "X-Æøå", value: "værdi — ok"),
        HTTPHeaderField(name: "Location", value: "http://127.0.0.1:1/a:b"),
      ])
  }

  /// The lines as a transfer keeps them, read when asked (`HeaderLines`).
  static func kept(_ lines: [[UInt8]]) -> [HTTPHeaderField] {
    var kept = HeaderLines()
    for line in lines { line.withUnsafeBytes { kept.keep($0) } }
    return kept.fields
  }

  /// Kept and read later, the lines give the same headers as read one by
  /// one: the answer before the final one dropped, continuations joined, a
  /// last line without its line feed still read.
  @Test func keptLinesReadLaterGiveTheSameHeaders() {
    let lines = [
      "HTTP/1.1 100 Continue\r\n", "X-Early: gone\r\n", "\r\n", "HTTP/1.1 503 Busy\r\n",
      "Retry-After: 120\r\n", "X-Folded: first\r\n", " second\r\n", "X-Last: no line feed",
    ]
    #expect(Self.kept(lines.map { Array($0.utf8) }) == Self.parse(lines))
    #expect(Self.kept(lines.map { Array($0.utf8) }).first?.name == "Retry-After")
  }

  /// A receiver cannot make the daemon keep more than 64 KiB of headers:
  /// from the first line that does not fit, the rest are dropped (a short
  /// one after it too); those before are kept. The next response starts
  /// afresh.
  @Test func keptLinesStopAtTheLimit() {
    let filler = Array("X-Filler: \(String(repeating: "a", count: 1_000))\r\n".utf8)
    let lines =
      [Array("HTTP/1.1 429 Slow down\r\n".utf8), Array("X-First: 1\r\n".utf8)]
      + Array(repeating: filler, count: 100) + [Array("Retry-After: 5\r\n".utf8)]
    let headers = Self.kept(lines)
    #expect(headers.first == HTTPHeaderField(name: "X-First", value: "1"))
    #expect(headers.count < 66 && headers.count > 60)
    #expect(!headers.contains { $0.name == "Retry-After" })
    let next = Self.kept(lines + [Array("HTTP/1.1 200 OK\r\n".utf8), Array("A: 1\r\n".utf8)])
    #expect(next == [HTTPHeaderField(name: "A", value: "1")])
  }

  @Test func aContinuationBeforeAnyHeaderIsIgnored() {
    #expect(
      Self.parse(["HTTP/1.1 200 OK\r\n", "  stray\r\n", "A: 1\r\n"]) == [
        HTTPHeaderField(name: "A", value: "1")
      ])
  }

  /// Seeded, bounded: hostile lines never trap, and no name or value keeps
  /// an outer space or tab.
  @Test func hostileLinesNeverTrap() {
    let seeds = [
      "HTTP/1.1 200 OK\r\n", "Retry-After: 5\r\n", " folded\r\n", ":\r\n", "\r\n", "\u{0}: \u{0}\n",
      "X: \u{FF}\u{FE}\r\n",
    ]
    var headers: [HTTPHeaderField] = []
    var kept = HeaderLines()  // the same lines, kept as a transfer keeps them
    for input in HostileInputFuzzTests.inputs(seeds, salt: 25) {
      input.withUnsafeBytes { HeaderLines.parse($0, into: &headers) }
      input.withUnsafeBytes { kept.keep($0) }
      if headers.count > 64 { headers.removeFirst(32) }
      if kept.bytes.count > 4_096 { kept = HeaderLines() }
      for header in headers + kept.fields {
        for text in [header.name, header.value] {
          #expect(text.utf8.first != 0x20 && text.utf8.first != 0x09)
          #expect(text.utf8.last != 0x20 && text.utf8.last != 0x09)
        }
      }
    }
  }
}
