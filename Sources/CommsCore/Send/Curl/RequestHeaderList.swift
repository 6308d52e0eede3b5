import CCurl

/// A request's header lines as libcurl's list (`CURLOPT_HTTPHEADER`), built
/// in one allocation: the nodes first, then the lines they point to.
///
/// `curl_slist_append` makes two allocations per line (the node and a copy
/// of the text): twelve for a signed webhook's six lines, and as many frees
/// (issue 25). libcurl only reads a header list and never frees it, so the
/// list may be laid out by hand; it must stay where it is until the handle
/// no longer points to it (`CurlTransfer` frees it in its `deinit`).
///
/// Each field becomes "Name: value", or "Name;" for an empty value ("Name:"
/// would tell libcurl to drop the header); `extra` lines are taken as they
/// are. The caller has refused line breaks and NULs in them.
struct RequestHeaderList {
  /// The first node; nil when there are no lines.
  let head: UnsafeMutablePointer<curl_slist>?
  private let block: UnsafeMutableRawPointer?

  init(_ fields: [HTTPHeaderField], extra: [StaticString]) {
    let count = fields.count + extra.count
    guard count > 0 else {
      head = nil
      block = nil
      return
    }
    var text = 0
    for field in fields {
      text += field.name.utf8.count + (field.value.isEmpty ? 2 : field.value.utf8.count + 3)
    }
    for line in extra { text += line.utf8CodeUnitCount + 1 }
    let nodeBytes = count * MemoryLayout<curl_slist>.stride
    let block = UnsafeMutableRawPointer.allocate(
      byteCount: nodeBytes + text, alignment: MemoryLayout<curl_slist>.alignment)
    let nodes = block.bindMemory(to: curl_slist.self, capacity: count)
    var cursor = block + nodeBytes
    var lineStart = cursor
    var index = 0
    func put(_ bytes: UnsafeRawBufferPointer) {
      guard let base = bytes.baseAddress else { return }
      cursor.copyMemory(from: base, byteCount: bytes.count)
      cursor += bytes.count
    }
    func put(byte: UInt8) {
      cursor.storeBytes(of: byte, as: UInt8.self)
      cursor += 1
    }
    /// Ends the line with a NUL and links its node to the next one.
    func endLine() {
      put(byte: 0)
      let next = index + 1 < count ? nodes + index + 1 : nil
      (nodes + index).initialize(
        to: curl_slist(data: lineStart.assumingMemoryBound(to: CChar.self), next: next))
      index += 1
      lineStart = cursor
    }
    for field in fields {
      var name = field.name
      var value = field.value
      name.withUTF8 { put(UnsafeRawBufferPointer($0)) }
      if value.isEmpty {
        put(byte: 0x3B)  // ;
      } else {
        put(byte: 0x3A)  // :
        put(byte: 0x20)
        value.withUTF8 { put(UnsafeRawBufferPointer($0)) }
      }
      endLine()
    }
    for line in extra {
      put(UnsafeRawBufferPointer(start: line.utf8Start, count: line.utf8CodeUnitCount))
      endLine()
    }
    // The room was worked out from the same bytes: a line written past it
    // would overwrite memory; the seeded test runs this in a debug build.
    assert(index == count && cursor == block + nodeBytes + text, "header list miscounted")
    head = nodes
    self.block = block
  }

  /// The lines as libcurl reads them: from the head, node by node.
  var lines: [String] {
    var lines: [String] = []
    var node = head
    while let current = node {
      lines.append(String(cString: current.pointee.data))
      node = current.pointee.next
    }
    return lines
  }

  /// Only once nothing of libcurl's points into the list any more.
  func free() {
    block?.deallocate()
  }
}
