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
    bytes.append(contentsOf: line)
    if line.last != 0x0A { bytes.append(0x0A) }
  }

  /// The headers, read line by line as `CurlTransfer.parseHeaderLine` reads.
  var fields: [HTTPHeaderField] {
    var headers: [HTTPHeaderField] = []
    bytes.withUnsafeBytes { all in
      var start = 0
      while let end = all[start...].firstIndex(of: 0x0A) {
        CurlTransfer.parseHeaderLine(
          UnsafeRawBufferPointer(rebasing: all[start...end]), into: &headers)
        start = end + 1
      }
    }
    return headers
  }
}
