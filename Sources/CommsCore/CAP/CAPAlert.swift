import Foundation

/// One OASIS CAP 1.2 alert message: the `<alert>` element and all it holds.
///
/// Field names follow the standard's element names, so the CAP 1.2 data
/// dictionary is this type's documentation. `CAPReader` only produces values
/// that satisfy CAP 1.2; `CAPWriter` writes what it is given, so a value built
/// in code must keep the same rules (for example at least one category per
/// info, references for an Update).
public struct CAPAlert: Sendable, Hashable {
  /// Unique for this sender; no spaces, commas, `<` or `&`.
  public var identifier: String
  /// The originator, e.g. an e-mail address; no spaces, commas, `<` or `&`.
  public var sender: String
  /// When the alert was sent.
  public var sent: Date
  /// `sent` as written, with the sender's own offset
  /// (`2003-04-02T14:39:01-05:00`). Kept because a later Update or Cancel
  /// names this alert by the exact text in its `references`, and because the
  /// offset says what the sender's local time was. The writer repeats it
  /// while it still denotes `sent`, and otherwise writes `sent` in UTC.
  public var sentText: String
  public var status: CAPStatus
  public var msgType: CAPMessageType
  /// The particular source, e.g. an operator or a device.
  public var source: String?
  public var scope: CAPScope
  /// Who may see a Restricted alert; required when `scope` is Restricted.
  public var restriction: String?
  /// The intended recipients, space-separated (multi-word ones in double
  /// quotes), kept as written; required when `scope` is Private.
  public var addresses: String?
  /// The `<code>` elements: special handling codes.
  public var codes: [String]
  public var note: String?
  /// The earlier messages this one refers to; required for Update, Cancel,
  /// Ack and Error, whose definitions in the standard all act on the
  /// messages "identified in `<references>`".
  public var references: [CAPReference]
  /// Related incidents, space-separated, kept as written.
  public var incidents: String?
  public var infos: [CAPInfo]

  /// An alert; `sentText` defaults to `sent` written in UTC.
  public init(
    identifier: String, sender: String, sent: Date, sentText: String? = nil,
    status: CAPStatus, msgType: CAPMessageType, source: String? = nil, scope: CAPScope,
    restriction: String? = nil, addresses: String? = nil, codes: [String] = [],
    note: String? = nil, references: [CAPReference] = [], incidents: String? = nil,
    infos: [CAPInfo] = []
  ) {
    self.identifier = identifier
    self.sender = sender
    self.sent = sent
    self.sentText = sentText ?? CAPDateTime.format(sent)
    self.status = status
    self.msgType = msgType
    self.source = source
    self.scope = scope
    self.restriction = restriction
    self.addresses = addresses
    self.codes = codes
    self.note = note
    self.references = references
    self.incidents = incidents
    self.infos = infos
  }
}

/// One earlier message named in `<references>` by its `sender,identifier,sent`
/// triple.
public struct CAPReference: Sendable, Hashable {
  public var sender: String
  public var identifier: String
  /// The referenced alert's `sent` exactly as it wrote it: references match
  /// on the text, so it is not turned into a `Date`.
  public var sent: String

  public init(sender: String, identifier: String, sent: String) {
    self.sender = sender
    self.identifier = identifier
    self.sent = sent
  }

  /// A reference to `alert`, for an Update or Cancel of it.
  public init(to alert: CAPAlert) {
    self.init(sender: alert.sender, identifier: alert.identifier, sent: alert.sentText)
  }
}

/// `<status>`: whether the alert is real. Anything but `actual` must be
/// marked for readers (see `CAPAlert.readerMark`).
public enum CAPStatus: String, Sendable, Hashable, CaseIterable {
  case actual = "Actual"
  case exercise = "Exercise"
  case system = "System"
  case test = "Test"
  case draft = "Draft"
}

/// `<msgType>`: what the message does.
public enum CAPMessageType: String, Sendable, Hashable, CaseIterable {
  case alert = "Alert"
  case update = "Update"
  case cancel = "Cancel"
  case ack = "Ack"
  case error = "Error"

  /// Whether the standard defines this type by the messages in `<references>`.
  var needsReferences: Bool { self != .alert }
}

/// `<scope>`: who may see the alert.
public enum CAPScope: String, Sendable, Hashable, CaseIterable {
  case `public` = "Public"
  case restricted = "Restricted"
  case `private` = "Private"
}
