import Foundation

/// An endpoint's handset receipts (`receipt_*` keys): which gateways call
/// back, how each callback is authenticated, and for a `template` gateway
/// which fields of its callback say what (README, "Handset receipts").
extension ConfigurationReader {
  /// Handset receipts: on for a gateway told where to call back
  /// (GatewayAPI's `callback_url`, Twilio's `status_callback`), each
  /// verified as its provider signs them, or for a `template` gateway whose
  /// callback is described by `receipt_*` keys; `receipt_timeout` (24 h
  /// unless given) is how long one is waited for.
  func readReceipts(
    _ table: inout ConfigTable, format: EndpointFormat, authentication: EndpointAuthentication,
    timeout: Duration?, secret: String?, template: TemplateReceiptKeys
  ) -> ReceiptSettings? {
    let timeout = timeout ?? .seconds(24 * 3600)
    if let key = template.firstGiven, !format.isTemplate {
      table.fail(
        key,
        "only for format template: gatewayapi and twilio receipts are read as their providers send them"
      )
      return nil
    }
    switch format {
    case .template(let body) where template.firstGiven != nil:
      return templateReceipts(
        &table, template, body: body, timeout: timeout, secret: secret)
    case .gatewayAPI(let gateway) where gateway.callbackURL != nil:
      guard let secret, !secret.isEmpty else {
        table.fail(
          "receipt_secret",
          "missing: GatewayAPI signs each receipt with the webhook's authentication token (a JWT in X-Gwapi-Signature); give that token as receipt_secret or receipt_secret_file, or leave out callback_url"
        )
        return nil
      }
      return ReceiptSettings(
        timeout: timeout, verification: .gatewayAPIJWT(secret: Array(secret.utf8)))
    case .twilio(let twilio) where twilio.statusCallback != nil:
      if secret != nil {
        table.fail(
          "receipt_secret",
          "Twilio signs its callbacks with the auth token (password): leave it out")
      }
      guard case .basic(_, let token) = authentication else { return nil }
      return ReceiptSettings(timeout: timeout, verification: .twilioSignature(authToken: token))
    default:
      if secret != nil || table.table["receipt_timeout"] != nil {
        table.fail(
          secret != nil ? "receipt_secret" : "receipt_timeout",
          "receipts need a gateway that calls back: format gatewayapi with callback_url, twilio with status_callback, or template with receipt_reference and receipt_status"
        )
      }
      return nil
    }
  }

  /// The `receipt_*` keys that describe a `template` gateway's callback,
  /// as given (checked in `templateReceipts`).
  struct TemplateReceiptKeys {
    var contentType: String?
    var reference: String?
    var status: String?
    var delivered: [(value: String, line: Int)]?
    var undeliverable: [(value: String, line: Int)]?
    var time: String?
    var error: String?
    var user: String?
    var password: String?
    /// The first key given, where an error about them all is reported.
    var firstGiven: String?
  }

  func readTemplateReceiptKeys(_ table: inout ConfigTable) -> TemplateReceiptKeys {
    let names = [
      "receipt_content_type", "receipt_reference", "receipt_status", "receipt_delivered",
      "receipt_undeliverable", "receipt_time", "receipt_error", "receipt_user",
      "receipt_password", "receipt_password_file",
    ]
    var keys = TemplateReceiptKeys()
    keys.firstGiven = names.first { table.table[$0] != nil }
    guard keys.firstGiven != nil else { return keys }
    keys.contentType = table.string("receipt_content_type")
    keys.reference = table.string("receipt_reference")
    keys.status = table.string("receipt_status")
    keys.delivered = table.strings("receipt_delivered")
    keys.undeliverable = table.strings("receipt_undeliverable")
    keys.time = table.string("receipt_time")
    keys.error = table.string("receipt_error")
    keys.user = table.string("receipt_user")
    keys.password = secret(&table, "receipt_password")
    return keys
  }

  /// A `template` gateway's receipts: which fields say what, and how its
  /// callback is authenticated — a secret in the callback URL
  /// (`receipt_secret`) or HTTP Basic (`receipt_user`, `receipt_password`),
  /// exactly one. Its body template must send `{{delivery_id}}`, which the
  /// callback names the delivery by.
  private func templateReceipts(
    _ table: inout ConfigTable, _ keys: TemplateReceiptKeys, body: TemplateFormat,
    timeout: Duration, secret: String?
  ) -> ReceiptSettings? {
    var complete = true
    for (key, given) in [
      ("receipt_reference", keys.reference != nil), ("receipt_status", keys.status != nil),
      ("receipt_delivered", keys.delivered != nil),
      ("receipt_undeliverable", keys.undeliverable != nil),
    ] where !given {
      table.fail(key, "missing: a template gateway's receipts need \(key)")
      complete = false
    }
    let type = keys.contentType ?? TemplateFormat.ContentType.json.rawValue
    let contentType = TemplateFormat.ContentType(rawValue: type)
    if contentType == nil {
      table.fail(
        "receipt_content_type",
        "expected \"application/json\" or \"application/x-www-form-urlencoded\", found \"\(type)\"")
    }
    if !body.part.variables.contains(.deliveryID) {
      table.fail(
        "receipt_reference",
        "the body template must send {{delivery_id}} (e.g. as the gateway's client reference): the receipt names the delivery by it"
      )
      complete = false
    }
    let delivered = Set((keys.delivered ?? []).map { $0.value.lowercased() })
    let undeliverable = Set((keys.undeliverable ?? []).map { $0.value.lowercased() })
    if let both = delivered.intersection(undeliverable).sorted().first {
      table.fail("receipt_undeliverable", "\"\(both)\" is in receipt_delivered too")
      complete = false
    }
    let verification: ReceiptVerification
    switch (secret, keys.user, keys.password) {
    case (let secret?, nil, nil):
      guard secret.utf8.count >= 16 else {
        table.fail(
          "receipt_secret", "too short to keep the callback URL secret: use at least 16 characters")
        return nil
      }
      verification = .secretInURL(secret: Array(secret.utf8))
    case (nil, let user?, let password?) where !user.isEmpty && !password.isEmpty:
      verification = .basic(user: user, password: password)
    case (nil, nil, nil):
      table.fail(
        "receipt_secret",
        "missing: give receipt_secret (the callback URL carries ?token=SECRET) or receipt_user and receipt_password (HTTP Basic)"
      )
      return nil
    case (.some, _, _):
      table.fail(
        "receipt_secret", "give either receipt_secret or receipt_user and receipt_password")
      return nil
    default:
      table.fail(
        keys.user == nil ? "receipt_user" : "receipt_password",
        "HTTP Basic needs both receipt_user and receipt_password, neither empty")
      return nil
    }
    guard complete, let contentType, let reference = keys.reference, let status = keys.status
    else { return nil }
    return ReceiptSettings(
      timeout: timeout, verification: verification,
      mapping: TemplateReceiptMapping(
        contentType: contentType, reference: reference, status: status, delivered: delivered,
        undeliverable: undeliverable, time: keys.time, error: keys.error))
  }
}
