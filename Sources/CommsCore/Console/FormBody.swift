import Foundation

/// A form's fields as the browser posts them
/// (`application/x-www-form-urlencoded`), or a query string: names to
/// values in order, a name given more than once keeping each value (the
/// audiences' checkboxes). Hostile input gives a clear error, never a trap:
/// bad percent escapes and fields beyond `maxFields` are refused.
public struct FormBody: Sendable, Equatable {
  public private(set) var fields: [(name: String, value: String)]

  public static let maxFields = 500

  public struct Invalid: Error, Equatable, CustomStringConvertible {
    public var description: String
  }

  public init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }

  public static func == (lhs: FormBody, rhs: FormBody) -> Bool {
    lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
  }

  /// Parses `bytes`: `name=value` pairs joined by `&`, `+` for a space,
  /// `%XX` for a byte; the result must be UTF-8.
  public static func parse(_ bytes: some Collection<UInt8>) throws(Invalid) -> FormBody {
    var fields: [(name: String, value: String)] = []
    for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
      guard fields.count < maxFields else {
        throw Invalid(description: "more than \(maxFields) form fields")
      }
      let parts = pair.split(
        separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
      let name = try decode(parts[0])
      let value = parts.count > 1 ? try decode(parts[1]) : ""
      fields.append((name, value))
    }
    return FormBody(fields)
  }

  static func decode(_ bytes: some Collection<UInt8>) throws(Invalid) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = bytes.startIndex
    while index != bytes.endIndex {
      let byte = bytes[index]
      if byte == UInt8(ascii: "+") {
        out.append(0x20)
      } else if byte == UInt8(ascii: "%") {
        let high = bytes.index(after: index)
        guard high != bytes.endIndex, bytes.index(after: high) != bytes.endIndex,
          let h = LowerHex.value(bytes[high]),
          let l = LowerHex.value(bytes[bytes.index(after: high)])
        else { throw Invalid(description: "a form field has a bad % escape") }
        out.append(h << 4 | l)
        index = bytes.index(after: high)
      } else {
        out.append(byte)
      }
      index = bytes.index(after: index)
    }
    guard let text = String(validating: out, as: UTF8.self) else {
      throw Invalid(description: "a form field is not UTF-8")
    }
    return text
  }

  /// The first value of `name`, if given.
  public subscript(_ name: String) -> String? {
    fields.first { $0.name == name }?.value
  }

  /// The first value of `name`, trimmed; nil when absent or blank.
  public func text(_ name: String) -> String? {
    guard let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty
    else { return nil }
    return value
  }

  /// Every value of `name`, in order.
  public func all(_ name: String) -> [String] {
    fields.filter { $0.name == name }.map(\.value)
  }

  /// The fields as a query string, encoded as a browser would.
  public var encoded: String {
    fields.map { "\(Self.encode($0.name))=\(Self.encode($0.value))" }.joined(separator: "&")
  }

  static func encode(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
      switch byte {
      case 48...57, 65...90, 97...122, UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
        UInt8(ascii: "~"):
        out.unicodeScalars.append(Unicode.Scalar(byte))
      case 0x20: out += "+"
      default: out += String(format: "%%%02X", byte)
      }
    }
    return out
  }
}
