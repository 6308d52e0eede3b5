import Foundation

/// The one JSON setup of the project: sorted keys (stable bytes for hashing
/// and signing), no escaped slashes, RFC 3339 times via `Timestamp`.
public enum JSONCoding {
  public static func encoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .custom { date, encoder in
      var container = encoder.singleValueContainer()
      try container.encode(Timestamp.format(date))
    }
    return encoder
  }

  public static func decoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .custom { decoder in
      let container = try decoder.singleValueContainer()
      let text = try container.decode(String.self)
      guard let date = Timestamp.parse(text) else {
        throw DecodingError.dataCorruptedError(
          in: container, debugDescription: "not an RFC 3339 time: \(text)")
      }
      return date
    }
    return decoder
  }

  /// `value` as compact JSON text with sorted keys.
  public static func string(_ value: some Encodable) -> String {
    (try? String(decoding: encoder().encode(value), as: UTF8.self)) ?? "{}"
  }
}
