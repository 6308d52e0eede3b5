import Testing

@testable import CommsCore

/// A receiver's header lines are outside input, read on bytes
/// (`CurlTransfer.parseHeaderLine`).
@Suite struct HeaderLineTests {
  static func parse(_ lines: [String]) -> [HTTPHeaderField] {
    var headers: [HTTPHeaderField] = []
    for line in lines {
      Array(line.utf8).withUnsafeBytes { CurlTransfer.parseHeaderLine($0, into: &headers) }
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
    for input in HostileInputFuzzTests.inputs(seeds, salt: 25) {
      input.withUnsafeBytes { CurlTransfer.parseHeaderLine($0, into: &headers) }
      if headers.count > 64 { headers.removeFirst(32) }
      for header in headers {
        for text in [header.name, header.value] {
          #expect(text.utf8.first != 0x20 && text.utf8.first != 0x09)
          #expect(text.utf8.last != 0x20 && text.utf8.last != 0x09)
        }
      }
    }
  }
}
