import Foundation

/// How a receipt from any other gateway (format `template`) is read: the
/// endpoint's `receipt_*` keys name the fields of its callback.
///
/// ```toml
/// receipt_reference = "reference"        # commsd's delivery id, as the body template sent it
/// receipt_status = "status"
/// receipt_delivered = ["DELIVERED", "DELIVRD"]
/// receipt_undeliverable = ["FAILED", "UNDELIV", "EXPIRED", "REJECTED"]
/// receipt_time = "done_at"               # optional: RFC 3339, or Unix seconds / milliseconds
/// receipt_error = "error"                # optional: the provider's reason
/// receipt_content_type = "application/json"   # or application/x-www-form-urlencoded
/// ```
///
/// A JSON field is named by its path (`data.status`, `results.0.status`).
/// Statuses are compared without regard to case; one in neither list is a
/// status on the way (queued, enroute) and records nothing.
public struct TemplateReceiptMapping: Sendable, Hashable {
  public var contentType: TemplateFormat.ContentType
  public var reference: String
  public var status: String
  /// Lowercased.
  public var delivered: Set<String>
  /// Lowercased.
  public var undeliverable: Set<String>
  public var time: String?
  public var error: String?

  public init(
    contentType: TemplateFormat.ContentType, reference: String, status: String,
    delivered: Set<String>, undeliverable: Set<String>, time: String? = nil, error: String? = nil
  ) {
    self.contentType = contentType
    self.reference = reference
    self.status = status
    self.delivered = Set(delivered.map { $0.lowercased() })
    self.undeliverable = Set(undeliverable.map { $0.lowercased() })
    self.time = time
    self.error = error
  }
}

/// A receipt from a gateway commsd has no format of its own for, read by
/// the endpoint's `TemplateReceiptMapping`. Its authentication (a secret in
/// the callback URL, or HTTP Basic) is checked before (`ReceiptsController`).
public enum TemplateReceipt {
  /// The receipt in callback `body`.
  public static func read(_ body: [UInt8], mapping: TemplateReceiptMapping)
    throws(ReceiptRefusal) -> Receipt
  {
    let field: (String) -> Any?
    switch mapping.contentType {
    case .json:
      guard body.count <= 64 * 1024,
        let root = try? JSONSerialization.jsonObject(with: Data(body))
      else {
        throw ReceiptRefusal(.malformed, "the body is not JSON")
      }
      field = { path in value(at: path, in: root) }
    case .form:
      guard let fields = FormDecoding.decode(body) else {
        throw ReceiptRefusal(.malformed, "the body is not a form")
      }
      let values = Dictionary(fields, uniquingKeysWith: { first, _ in first })
      field = { values[$0] }
    }
    guard let reference = Receipt.printable(field(mapping.reference)) else {
      throw ReceiptRefusal(
        .malformed, "the receipt has no usable \(mapping.reference) (commsd's delivery id)")
    }
    guard let status = Receipt.printable(field(mapping.status), max: 32) else {
      throw ReceiptRefusal(.malformed, "the receipt has no usable \(mapping.status)")
    }
    let result: Receipt.Result
    if mapping.delivered.contains(status.lowercased()) {
      result = .delivered
    } else if mapping.undeliverable.contains(status.lowercased()) {
      let reason = mapping.error.flatMap { Receipt.printable(field($0), max: 128) }
      result = .undeliverable(reason: reason.map { "\(status) \($0)" } ?? status)
    } else {
      result = .pending
    }
    return Receipt(
      deliveryID: reference, providerRef: nil, result: result, status: status,
      providerTime: mapping.time.flatMap { time(field($0)) })
  }

  /// The value at a dotted `path` (`data.status`, `results.0.status`).
  static func value(at path: String, in root: Any) -> Any? {
    var current: Any? = root
    for part in path.split(separator: ".", omittingEmptySubsequences: false).prefix(16) {
      if let object = current as? [String: Any] {
        current = object[String(part)]
      } else if let array = current as? [Any], let index = Int(part), array.indices.contains(index)
      {
        current = array[index]
      } else {
        return nil
      }
    }
    return current
  }

  /// A provider's time: RFC 3339 (`2026-12-03T05:00:00Z`, with an offset or
  /// fraction), or Unix seconds, or milliseconds (13 digits), as a number or
  /// digits. Nil for anything else, and outside 2000–2100: the time the
  /// receipt arrives is used instead.
  static func time(_ value: Any?) -> Date? {
    let range = 946_684_800.0...4_102_444_800.0  // 2000 to 2100
    var seconds: Double?
    if let number = value as? NSNumber, !(value is String) {
      seconds = number.doubleValue
    } else if let text = value as? String, (1...40).contains(text.count) {
      if text.allSatisfy({ $0.isASCII && $0.isNumber }) {
        seconds = Double(text)
      } else {
        seconds = RFC3339.parse(text)?.timeIntervalSince1970
      }
    }
    guard var seconds, seconds.isFinite else { return nil }
    if seconds > range.upperBound { seconds /= 1000 }
    guard range.contains(seconds) else { return nil }
    return Date(timeIntervalSince1970: (seconds * 1000).rounded(.down) / 1000)
  }
}

/// RFC 3339 times from outside, with or without a fraction.
enum RFC3339 {
  static func parse(_ text: String) -> Date? {
    let plain = ISO8601DateFormatter()
    plain.formatOptions = [.withInternetDateTime]
    if let date = plain.date(from: text) { return date }
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return fractional.date(from: text)
  }
}
