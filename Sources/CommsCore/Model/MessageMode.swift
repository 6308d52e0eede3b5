/// Whether a message is real. An exercise or a test reaches real people, so
/// every reader is told what it is before anything else, and integrators get
/// it as a field (`mode` in the webhook payload): a drill must never be
/// mistaken for the real thing. CAP's `status` maps onto it.
public enum MessageMode: String, Sendable, Codable, CaseIterable {
  case actual
  case exercise
  case test
  /// CAP's System: network housekeeping, not for the public.
  case system

  /// The mark shown in front of the subject and the text; nil when real.
  /// Danish, like the operators' and readers' language; SYSTEM and TEST
  /// read the same in Danish and English.
  public var readerMark: String? {
    switch self {
    case .actual: nil
    case .exercise: "[ØVELSE]"
    case .test: "[TEST]"
    case .system: "[SYSTEM]"
    }
  }
}

/// Who issued a CAP alert, as CAP identifies it: later Updates and Cancels
/// reference it by these three values.
public struct CAPIdentity: Sendable, Codable, Hashable {
  public var sender: String
  public var identifier: String
  /// `sent` exactly as the alert wrote it; references must quote it verbatim.
  public var sent: String

  public init(sender: String, identifier: String, sent: String) {
    self.sender = sender
    self.identifier = identifier
    self.sent = sent
  }
}
