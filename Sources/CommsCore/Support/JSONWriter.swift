/// Writes JSON objects straight into bytes, for the per-delivery hot path
/// (webhook payloads, audit details) where `JSONEncoder` costs more than the
/// transfer itself.
///
/// The output is byte-for-byte what `JSONCoding.encoder()` writes for the same
/// object (sorted keys, unescaped slashes, compact): the caller adds keys in
/// sorted order, and a test holds the two to the same bytes. One format,
/// two writers.
public struct JSONWriter {
  public private(set) var bytes: [UInt8] = []
  private var needsComma = CommaStack()

  public init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

  public mutating func beginObject() { open(UInt8(ascii: "{")) }

  public mutating func endObject() { close(UInt8(ascii: "}")) }

  /// An array of objects: `beginArray()`, then for each element
  /// `beginObject()` … `endObject()` and `endMember()`, then `endArray()`.
  public mutating func beginArray() { open(UInt8(ascii: "[")) }

  public mutating func endArray() { close(UInt8(ascii: "]")) }

  private mutating func open(_ bracket: UInt8) {
    separate()
    bytes.append(bracket)
    needsComma.push()
  }

  private mutating func close(_ bracket: UInt8) {
    bytes.append(bracket)
    needsComma.pop()
  }

  /// Starts a member whose value follows (an object, or a value call).
  public mutating func key(_ name: String) {
    separate()
    appendString(name)
    bytes.append(UInt8(ascii: ":"))
    needsComma.top = false
  }

  public mutating func member(_ name: String, _ value: String) {
    key(name)
    appendString(value)
    markWritten()
  }

  public mutating func member(_ name: String, _ value: Int) {
    key(name)
    bytes.append(contentsOf: String(value).utf8)
    markWritten()
  }

  /// A member whose value is JSON text already (e.g. a stored object); the
  /// caller vouches that it is valid JSON.
  public mutating func member(_ name: String, json: String) {
    key(name)
    bytes.append(contentsOf: json.utf8)
    markWritten()
  }

  private mutating func separate() {
    if needsComma.top { bytes.append(UInt8(ascii: ",")) }
  }

  private mutating func markWritten() {
    needsComma.top = true
  }

  /// Call after `endObject()` of a nested object, so the next member gets a comma.
  public mutating func endMember() { markWritten() }

  /// A string element of an array (`beginArray()` … `endArray()`).
  public mutating func element(_ text: String) {
    separate()
    appendString(text)
    markWritten()
  }

  /// Takes the bytes written so far and leaves the writer empty, at the
  /// same place in the object: after `key(_:)`, the value becomes a hole
  /// that `string(_:)` fills later (see `WebhookBodyFrame`). Call
  /// `endMember()` to go on after the hole.
  public mutating func cut() -> [UInt8] {
    defer { bytes.removeAll(keepingCapacity: true) }
    return bytes
  }

  /// Appends bytes cut before.
  public mutating func append(raw: [UInt8]) { bytes += raw }

  /// Appends `text` as a JSON string, for a hole left by `cut()`.
  public mutating func string(_ text: String) { appendString(text) }

  /// Copies runs of bytes that need no escaping in one go: this is on the
  /// per-delivery path (payloads, audit details and their hashes), and a
  /// byte-at-a-time loop was 3.5 % of the daemon's CPU.
  private mutating func appendString(_ text: String) {
    bytes.append(UInt8(ascii: "\""))
    var text = text
    text.withUTF8 { utf8 in
      var start = 0
      for index in utf8.indices {
        let byte = utf8[index]
        guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
          continue
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
        appendEscaped(byte)
        start = index + 1
      }
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
    }
    bytes.append(UInt8(ascii: "\""))
  }

  private mutating func appendEscaped(_ byte: UInt8) {
    switch byte {
    case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
    case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
    case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
    case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
    case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
    case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
    case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
    default:
      let hex = Array("0123456789abcdef".utf8)
      bytes.append(contentsOf: [
        0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)],
      ])
    }
  }
}

extension JSONWriter {
  /// `text` escaped as the inside of a JSON string (without its quotes):
  /// for a value a template puts between its own quotes.
  public static func escaped(_ text: String) -> String {
    var writer = JSONWriter(capacity: text.utf8.count + 8)
    writer.appendString(text)
    return String(decoding: writer.bytes.dropFirst().dropLast(), as: UTF8.self)
  }

  /// A flat object of string members with sorted keys, e.g. an audit detail.
  public static func object(_ members: [String: String]) -> String {
    var writer = JSONWriter(capacity: 64 + members.count * 32)
    writer.beginObject()
    for (key, value) in members.sorted(by: { $0.key < $1.key }) { writer.member(key, value) }
    writer.endObject()
    return String(decoding: writer.bytes, as: UTF8.self)
  }
}

/// Whether each open object or array has a member yet, for its commas: a bit
/// per level in one word, so a writer allocates nothing for it (one is made
/// for every delivery's audit event and contact list); levels past 64, which
/// nothing here writes, in an array. Outside any level, `top` is false and
/// setting it does nothing.
private struct CommaStack {
  private var bits: UInt64 = 0
  private var depth = 0
  private var deeper: [Bool] = []

  mutating func push() {
    depth += 1
    if depth > 64 { deeper.append(false) }
    top = false
  }

  mutating func pop() {
    guard depth > 0 else { return }
    if depth > 64 { deeper.removeLast() }
    depth -= 1
  }

  var top: Bool {
    get {
      guard depth > 0 else { return false }
      return depth > 64 ? deeper[deeper.count - 1] : bits & (1 << (depth - 1)) != 0
    }
    set {
      guard depth > 0 else { return }
      if depth > 64 {
        deeper[deeper.count - 1] = newValue
      } else if newValue {
        bits |= 1 << (depth - 1)
      } else {
        bits &= ~(1 << (depth - 1))
      }
    }
  }
}
