import Crypto
import Foundation

extension Intake {
  /// A hash of what the request asks for (not who or when), so that a repeated
  /// idempotency key can be told apart from a conflicting one.
  ///
  /// Fingerprints are stored with their messages and compared when a key
  /// comes again, so their bytes never change: the JSON of `Essence` as
  /// `JSONCoding.encoder()` writes it. `JSONWriter` writes the same bytes
  /// for a request without a confirmation, for a tenth of the CPU (in an
  /// API flood the fingerprint took 3.7 % of the daemon's CPU with the
  /// encoder, 0.3 % with the writer; NOTES.md, eleventh pass);
  /// `FingerprintTests` holds the two equal over seeded random requests.
  static func fingerprint(of request: SendRequest) -> String {
    let bytes = writtenEssence(of: request) ?? encodedEssence(of: request)
    return LowerHex.string(SHA256.hash(data: bytes))
  }

  /// What the fingerprint hashes. An actual message's mode is left out, so
  /// fingerprints from before modes existed still match.
  struct Essence: Encodable {
    var audiences: [String]
    var priority: Priority
    var kind: MessageKind
    var contents: [String: MessageContent]
    var filter: RecipientFilter
    var supersedes: MessageID?
    var expiresAt: Date?
    var mode: MessageMode?
    var confirmation: ConfirmationRequest?
    var notBefore: Date?
  }

  /// The essence by `JSONEncoder`: every request.
  static func encodedEssence(of request: SendRequest) -> [UInt8] {
    let essence = Essence(
      audiences: request.audiences, priority: request.priority, kind: request.kind,
      contents: request.contents, filter: request.filter, supersedes: request.supersedes,
      expiresAt: request.expiresAt, mode: request.mode == .actual ? nil : request.mode,
      confirmation: request.confirmation, notBefore: request.notBefore)
    return Array((try? JSONCoding.encoder().encode(essence)) ?? Data())
  }

  /// The essence by `JSONWriter`, keys in the encoder's sorted order; nil
  /// for a request with a confirmation (its shape is the encoder's alone)
  /// or with a language key `JSONWriter` does not sort as the encoder does.
  static func writtenEssence(of request: SendRequest) -> [UInt8]? {
    guard request.confirmation == nil, JSONWriter.sortsAsEncoder(request.contents.keys) else {
      return nil
    }
    var writer = JSONWriter(capacity: 192 + JSONWriter.capacity(for: request.contents))
    writer.beginObject()
    writer.member("audiences", strings: request.audiences)
    writer.member("contents", contents: request.contents)
    if let expiresAt = request.expiresAt { writer.member("expiresAt", Timestamp.format(expiresAt)) }
    writer.member("filter", filter: request.filter)
    writer.member("kind", request.kind.rawValue)
    if request.mode != .actual { writer.member("mode", request.mode.rawValue) }
    if let notBefore = request.notBefore { writer.member("notBefore", Timestamp.format(notBefore)) }
    writer.member("priority", request.priority.rawValue)
    if let supersedes = request.supersedes { writer.member("supersedes", supersedes.rawValue) }
    writer.endObject()
    return writer.bytes
  }
}
