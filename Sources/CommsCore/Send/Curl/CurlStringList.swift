import CCurl

/// A list of lines for libcurl (`curl_slist`): a request's header lines
/// (`CURLOPT_HTTPHEADER`) or an email's recipients (`CURLOPT_MAIL_RCPT`),
/// built in one allocation: the nodes first, then the lines they point to.
///
/// `curl_slist_append` makes two allocations per line (the node and a copy
/// of the text): twelve for a signed webhook's six header lines, and as many
/// frees (issue 25). libcurl only reads these lists and never frees them, so
/// they may be laid out by hand; a list must stay where it is until the
/// handle no longer points to it (`CurlTransfer` frees it in its `deinit`).
///
/// The caller has refused line breaks and NULs in the lines.
struct CurlStringList {
  /// The first node; nil when there are no lines.
  let head: UnsafeMutablePointer<curl_slist>?
  private let block: UnsafeMutableRawPointer?

  /// A request's header lines: each field as "Name: value", or "Name;" for
  /// an empty value ("Name:" would tell libcurl to drop the header), then
  /// the `extra` lines as they are.
  init(headers fields: [HTTPHeaderField], extra: [StaticString]) {
    var size = 0
    for field in fields {
      size += field.name.utf8.count + (field.value.isEmpty ? 2 : field.value.utf8.count + 3)
    }
    for line in extra { size += line.utf8CodeUnitCount + 1 }
    guard var writer = Writer(lines: fields.count + extra.count, bytes: size) else {
      (head, block) = (nil, nil)
      return
    }
    for field in fields {
      var name = field.name
      var value = field.value
      name.withUTF8 { writer.put(UnsafeRawBufferPointer($0)) }
      if value.isEmpty {
        writer.put(byte: 0x3B)  // ;
      } else {
        writer.put(byte: 0x3A)  // :
        writer.put(byte: 0x20)
        value.withUTF8 { writer.put(UnsafeRawBufferPointer($0)) }
      }
      writer.endLine()
    }
    for line in extra {
      writer.put(UnsafeRawBufferPointer(start: line.utf8Start, count: line.utf8CodeUnitCount))
      writer.endLine()
    }
    (head, block) = writer.finish()
  }

  /// Lines taken as they are (an email's recipients).
  init(_ lines: [String]) {
    let size = lines.reduce(0) { $0 + $1.utf8.count + 1 }
    guard var writer = Writer(lines: lines.count, bytes: size) else {
      (head, block) = (nil, nil)
      return
    }
    for var line in lines {
      line.withUTF8 { writer.put(UnsafeRawBufferPointer($0)) }
      writer.endLine()
    }
    (head, block) = writer.finish()
  }

  /// Only once nothing of libcurl's points into the list any more.
  func free() {
    block?.deallocate()
  }

  /// Fills one block with `lines` nodes and `bytes` of text (each line's
  /// bytes and its NUL), line by line.
  private struct Writer {
    let count: Int
    let block: UnsafeMutableRawPointer
    let nodes: UnsafeMutablePointer<curl_slist>
    let end: UnsafeMutableRawPointer
    var cursor: UnsafeMutableRawPointer
    var lineStart: UnsafeMutableRawPointer
    var index = 0

    /// Nil for no lines: an empty list is no list (`head` nil).
    init?(lines: Int, bytes: Int) {
      guard lines > 0 else { return nil }
      count = lines
      let nodeBytes = lines * MemoryLayout<curl_slist>.stride
      block = UnsafeMutableRawPointer.allocate(
        byteCount: nodeBytes + bytes, alignment: MemoryLayout<curl_slist>.alignment)
      nodes = block.bindMemory(to: curl_slist.self, capacity: lines)
      end = block + nodeBytes + bytes
      cursor = block + nodeBytes
      lineStart = cursor
    }

    mutating func put(_ bytes: UnsafeRawBufferPointer) {
      guard let base = bytes.baseAddress else { return }
      cursor.copyMemory(from: base, byteCount: bytes.count)
      cursor += bytes.count
    }

    mutating func put(byte: UInt8) {
      cursor.storeBytes(of: byte, as: UInt8.self)
      cursor += 1
    }

    /// Ends the line with a NUL and links its node to the next one.
    mutating func endLine() {
      put(byte: 0)
      let next = index + 1 < count ? nodes + index + 1 : nil
      (nodes + index).initialize(
        to: curl_slist(data: lineStart.assumingMemoryBound(to: CChar.self), next: next))
      index += 1
      lineStart = cursor
    }

    /// The first node and the block to free. The room was worked out from
    /// the same bytes: a line written past it would overwrite memory; the
    /// seeded tests run this in a debug build.
    func finish() -> (UnsafeMutablePointer<curl_slist>?, UnsafeMutableRawPointer?) {
      assert(index == count && cursor == end, "curl list miscounted")
      return (nodes, block)
    }
  }
}
