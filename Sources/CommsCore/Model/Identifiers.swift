import Foundation

/// A message id: `msg_` followed by a ULID (time-ordered, 26 characters).
public struct MessageID: Sendable, Hashable, Codable, CustomStringConvertible, IdentifierCoding {
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
  public var description: String { rawValue }

  /// Whether `text` has the shape of a message id (for input validation).
  public static func isWellFormed(_ text: String) -> Bool {
    text.hasPrefix("msg_") && text.utf8.count == 30
      && text.utf8.dropFirst(4).allSatisfy { ULID.alphabet.contains($0) }
  }
}

/// A delivery id: `dlv_` followed by a ULID.
public struct DeliveryID: Sendable, Hashable, Codable, CustomStringConvertible, IdentifierCoding {
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
  public var description: String { rawValue }

  /// Whether `text` has the shape of a delivery id (for input validation).
  public static func isWellFormed(_ text: String) -> Bool {
    text.hasPrefix("dlv_") && text.utf8.count == 30
      && text.utf8.dropFirst(4).allSatisfy { ULID.alphabet.contains($0) }
  }
}

/// Universally unique, lexicographically sortable identifiers
/// (48-bit millisecond time + 80 random bits, Crockford base32).
public enum ULID {
  static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

  /// `prefix` (e.g. `dlv_`) and a new ULID for `date`, with randomness from
  /// `generator`, written straight into one string: an id is made for every
  /// planned delivery. A time outside the 48 bits a ULID holds (before 1970,
  /// after the year 10889, NaN) is written as the nearest end.
  public static func make(
    _ prefix: String = "", at date: Date, using generator: inout some RandomNumberGenerator
  ) -> String {
    let interval = date.timeIntervalSince1970 * 1000
    let latest = Double(UInt64(1) << 48 - 1)
    let millis = interval > 0 ? UInt64(exactly: min(interval, latest).rounded(.down)) ?? 0 : 0
    var random = generator.next() as UInt64
    var more = generator.next() as UInt64
    let start = prefix.utf8.count
    return String(unsafeUninitializedCapacity: start + 26) { out in
      _ = out.initialize(from: prefix.utf8)
      var time = millis
      for index in stride(from: start + 9, through: start, by: -1) {
        out[index] = alphabet[Int(time & 31)]
        time >>= 5
      }
      for index in 10..<26 {
        if index == 22 {
          random = more
          more = 0
        }
        out[start + index] = alphabet[Int(random & 31)]
        random >>= 5
      }
      return start + 26
    }
  }
}

/// An inquiry id: `inq_` followed by a ULID.
public struct InquiryID: Sendable, Hashable, Codable, CustomStringConvertible, IdentifierCoding {
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
  public var description: String { rawValue }

  /// Whether `text` has the shape of an inquiry id (for input validation).
  public static func isWellFormed(_ text: String) -> Bool {
    text.hasPrefix("inq_") && text.utf8.count == 30
      && text.utf8.dropFirst(4).allSatisfy { ULID.alphabet.contains($0) }
  }
}

/// A draft id: `drf_` followed by a ULID.
public struct DraftID: Sendable, Hashable, Codable, CustomStringConvertible, IdentifierCoding {
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
  public var description: String { rawValue }

  /// Whether `text` has the shape of a draft id (for input validation).
  public static func isWellFormed(_ text: String) -> Bool {
    text.hasPrefix("drf_") && text.utf8.count == 30
      && text.utf8.dropFirst(4).allSatisfy { ULID.alphabet.contains($0) }
  }
}

/// An id is a JSON string (`"msg_…"`). Read also as `{"rawValue": "…"}`,
/// the form Swift's synthesized coding wrote before, so that nothing
/// written then becomes unreadable.
protocol IdentifierCoding: Codable {
  var rawValue: String { get }
  init(rawValue: String)
}

extension IdentifierCoding {
  public init(from decoder: any Decoder) throws {
    if let text = try? decoder.singleValueContainer().decode(String.self) {
      self.init(rawValue: text)
      return
    }
    let container = try decoder.container(keyedBy: IdentifierKey.self)
    self.init(rawValue: try container.decode(String.self, forKey: .rawValue))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(rawValue)
  }
}

private enum IdentifierKey: String, CodingKey { case rawValue }
