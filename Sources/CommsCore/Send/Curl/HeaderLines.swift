/// A response's header lines as libcurl hands them over (outside input),
/// kept as bytes and read only when asked (`fields`).
///
/// A status line starts them afresh: only the final response's count (after
/// a 100 Continue, or a 401 before authentication). At most
/// `CurlResponse.headerLimit` bytes are kept; from the first line that does
/// not fit, the rest of that response's lines are dropped.
struct HeaderLines: Sendable {
  /// The kept lines, each ending in a line feed.
  private(set) var bytes: [UInt8] = []
  private var full = false
  /// A little more than nginx's or a provider's usual answer (status line,
  /// Server, Date, Content-Type, Content-Length, Connection).
  static let usualSize = 512

  mutating func keep(_ line: UnsafeRawBufferPointer) {
    if line.starts(with: "HTTP/".utf8) {
      bytes.removeAll(keepingCapacity: true)
      full = false
    }
    guard !full else { return }
    guard bytes.count + line.count < CurlResponse.headerLimit else {
      full = true
      return
    }
    // Room for a usual answer's headers at once: grown line by line, the
    // array was allocated four times per answer (issue 25).
    if bytes.capacity == 0 { bytes.reserveCapacity(Self.usualSize) }
    bytes.append(contentsOf: line)
    if line.last != 0x0A { bytes.append(0x0A) }
  }

  /// The headers, read line by line (`parse`).
  var fields: [HTTPHeaderField] {
    var headers: [HTTPHeaderField] = []
    bytes.withUnsafeBytes { all in
      var start = 0
      while let end = all[start...].firstIndex(of: 0x0A) {
        Self.parse(UnsafeRawBufferPointer(rebasing: all[start...end]), into: &headers)
        start = end + 1
      }
    }
    return headers
  }

  /// One header line of an answer (outside input), as libcurl hands it over
  /// (with its line end): a status line starts the headers afresh (only the
  /// final response's count, after a 100 Continue or a 401 before auth); a
  /// line starting with a space or tab continues the last header; a line
  /// with a colon is a header, its name and value trimmed of spaces and
  /// tabs; anything else is ignored.
  ///
  /// Parsed on bytes: Swift's `Character` view (grapheme breaking) over
  /// every header line of every answer was about a microsecond per webhook
  /// (issue 25).
  static func parse(
    _ bytes: UnsafeRawBufferPointer, into headers: inout [HTTPHeaderField]
  ) {
    var end = bytes.count
    while end > 0, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
    let line = UnsafeRawBufferPointer(rebasing: bytes[..<end])
    guard let first = line.first else { return }
    if line.starts(with: "HTTP/".utf8) {
      headers.removeAll()
    } else if first == 0x20 || first == 0x09 {
      let more = trimmed(line[...])
      guard !headers.isEmpty, !more.isEmpty else { return }
      let last = headers.count - 1
      headers[last].value = headers[last].value.isEmpty ? more : headers[last].value + " " + more
    } else if let colon = line.firstIndex(of: 0x3A) {
      let name = trimmed(line[..<colon])
      let value = trimmed(line[(colon + 1)...])
      headers.append(HTTPHeaderField(name: name, value: value))
    }
  }

  private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
    var start = bytes.startIndex
    var end = bytes.endIndex
    while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
    while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
    return String(decoding: bytes[start..<end], as: UTF8.self)
  }
}
