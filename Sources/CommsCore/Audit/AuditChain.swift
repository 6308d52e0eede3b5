import Crypto
import Foundation

/// The audit log's tamper evidence: every event carries the SHA-256 of its
/// canonical content, which includes its sequence number and the hash of the
/// event before it. Altering an event changes its hash; removing or
/// reordering events breaks the link of the next one. Removing the newest
/// events leaves a shorter chain that is still whole, which is why the head
/// (sequence and hash) is logged at intervals outside the database
/// (`audit chain head` in the journal) and can be checked against it.
public enum AuditChain {
  /// The "previous hash" of the first event.
  public static let genesis = String(repeating: "0", count: 64)

  /// One stored event as the chain sees it: the stored text, not a
  /// re-serialisation, so verification recomputes exactly what was hashed.
  public struct Link: Sendable, Equatable {
    public var sequence: Int64
    public var at: String
    public var kind: String
    public var messageID: String?
    public var deliveryID: String?
    public var actor: String
    /// The detail object as stored (JSON, sorted keys).
    public var detail: String
    public var previous: String
    public var hash: String
    /// Personal data kept beside the chain (`AuditPersonal`); not hashed
    /// itself: the detail carries its commitment.
    public var personal: String?

    public init(
      sequence: Int64, at: String, kind: String, messageID: String?, deliveryID: String?,
      actor: String, detail: String, previous: String, hash: String = "", personal: String? = nil
    ) {
      self.sequence = sequence
      self.at = at
      self.kind = kind
      self.messageID = messageID
      self.deliveryID = deliveryID
      self.actor = actor
      self.detail = detail
      self.previous = previous
      self.hash = hash
      self.personal = personal
    }

    /// The canonical content: a JSON object with sorted keys, every field
    /// present (absent ids as empty strings), the detail as its stored JSON
    /// object, byte for byte.
    public var canonical: [UInt8] {
      var writer = JSONWriter(capacity: 256 + detail.utf8.count)
      writer.beginObject()
      writer.member("actor", actor)
      writer.member("at", at)
      writer.member("delivery_id", deliveryID ?? "")
      writer.member("detail", json: detail)
      writer.member("kind", kind)
      writer.member("message_id", messageID ?? "")
      writer.member("prev", previous)
      writer.member("seq", Int(sequence))
      writer.endObject()
      return writer.bytes
    }

    /// The hash this event must carry.
    public var expectedHash: String {
      LowerHex.string(SHA256.hash(data: canonical))
    }
  }

  /// What `commsd audit verify` found.
  public enum Verdict: Sendable, Equatable {
    /// Every event links to the one before and matches its hash.
    case intact(events: Int, headSequence: Int64, headHash: String)
    /// The first event that does not fit, and why.
    case broken(sequence: Int64, kind: String, reason: String)
  }

  /// Walks the whole chain, a page at a time (`page(after)` gives the links
  /// after a sequence number, in order; empty at the end), and names the
  /// first event that was altered, removed or reordered.
  static func verify(pages page: (_ after: Int64) throws -> [Link]) rethrows -> Verdict {
    var previous: (sequence: Int64, hash: String) = (0, genesis)
    var count = 0
    while true {
      let links = try page(previous.sequence)
      guard let last = links.last else { break }
      if let (link, reason) = firstProblem(in: links, after: previous) {
        return .broken(sequence: link.sequence, kind: link.kind, reason: reason)
      }
      count += links.count
      previous = (last.sequence, last.hash)
    }
    return .intact(events: count, headSequence: previous.sequence, headHash: previous.hash)
  }

  /// Checks `links` (in sequence order) against `previous` (the link before
  /// the first one). Returns the first problem, or nil.
  public static func firstProblem(
    in links: [Link], after previous: (sequence: Int64, hash: String)
  ) -> (Link, String)? {
    var previous = previous
    for link in links {
      if link.sequence != previous.sequence + 1 {
        let missing =
          link.sequence > previous.sequence + 1
          ? "events \(previous.sequence + 1)–\(link.sequence - 1) are missing (removed)"
          : "it comes after event \(previous.sequence) (reordered or renumbered)"
        return (link, missing)
      }
      if link.previous != previous.hash {
        return (
          link,
          "it does not link to event \(previous.sequence): that event was altered, removed or reordered"
        )
      }
      if link.hash != link.expectedHash {
        return (link, "its content was altered (the hash does not match)")
      }
      if let problem = AuditPersonal.problem(detail: link.detail, stored: link.personal) {
        return (link, problem)
      }
      previous = (link.sequence, link.hash)
    }
    return nil
  }
}

extension AuditChain.Link {
  /// The event as one JSON object, as `commsd audit export` and
  /// `GET /v1/audit` give it: the stored detail as an object, the personal
  /// text (salt included, so anyone can check it against the commitment)
  /// when there is one. (Not `canonical`: that format is fixed by the chain
  /// and names its fields differently; this one carries the hash as well.)
  public var exportJSON: String {
    var writer = JSONWriter(capacity: 256 + detail.utf8.count)
    writer.beginObject()
    writer.member("actor", actor)
    writer.member("at", at)
    writer.member("delivery_id", deliveryID ?? "")
    writer.member("detail", json: detail)
    writer.member("hash", hash)
    writer.member("kind", kind)
    writer.member("message_id", messageID ?? "")
    if let personal { writer.member("personal", json: personal) }
    writer.member("prev_hash", previous)
    writer.member("seq", Int(sequence))
    writer.endObject()
    return String(decoding: writer.bytes, as: UTF8.self)
  }
}
