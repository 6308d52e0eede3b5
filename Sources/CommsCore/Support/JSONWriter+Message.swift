/// A message's parts as `JSONWriter` writes them: the same bytes as
/// `JSONCoding.encoder()` for the same values (`FingerprintTests` holds them
/// equal), without Foundation's `Encodable` machinery, which cost 7 % of the
/// daemon's CPU on the intake's path in an API flood (NOTES.md, eleventh
/// pass): the fingerprint, and the message row's stored JSON columns.
extension JSONWriter {
  /// Whether the encoder's sorted-keys order for `keys` is plain byte
  /// order, which is how this writer sorts: lowercase ASCII letters and
  /// "-", as language codes are written. For others (capitals, digits) the
  /// caller uses the encoder, whose order for them is not repeated here.
  static func sortsAsEncoder(_ keys: some Collection<String>) -> Bool {
    keys.allSatisfy { key in key.utf8.allSatisfy { (0x61...0x7A).contains($0) || $0 == 0x2D } }
  }

  /// Room for `contents` written out: their subjects and bodies, and a
  /// little for keys and quotes per language.
  static func capacity(for contents: [String: MessageContent]) -> Int {
    contents.values.reduce(64) { $0 + 48 + $1.subject.utf8.count + $1.body.utf8.count }
  }

  mutating func member(_ name: String, strings: [String]) {
    key(name)
    write(strings: strings)
    endMember()
  }

  /// Content per language, languages in order: check `sortsAsEncoder` first.
  mutating func member(_ name: String, contents: [String: MessageContent]) {
    key(name)
    write(contents: contents)
    endMember()
  }

  mutating func member(_ name: String, filter: RecipientFilter) {
    key(name)
    write(filter: filter)
    endMember()
  }

  private mutating func write(strings: [String]) {
    beginArray()
    for text in strings { element(text) }
    endArray()
  }

  private mutating func write(contents: [String: MessageContent]) {
    beginObject()
    for (language, content) in contents.sorted(by: { $0.key < $1.key }) {
      key(language)
      beginObject()
      member("body", content.body)
      if let sms = content.sms { member("sms", sms) }
      member("subject", content.subject)
      endObject()
      endMember()
    }
    endObject()
  }

  private mutating func write(filter: RecipientFilter) {
    beginObject()
    key("conditions")
    beginArray()
    for condition in filter.conditions {
      beginObject()
      member("attribute", condition.attribute)
      member("values", strings: condition.values)
      endObject()
      endMember()
    }
    endArray()
    endMember()
    endObject()
  }

  /// `strings` as JSON text: a stored column.
  static func text(strings: [String]) -> String {
    var writer = JSONWriter(capacity: 2 + strings.reduce(0) { $0 + $1.utf8.count + 3 })
    writer.write(strings: strings)
    return String(decoding: writer.bytes, as: UTF8.self)
  }

  /// `contents` as JSON text; nil when a language key is not one
  /// `sortsAsEncoder` takes.
  static func text(contents: [String: MessageContent]) -> String? {
    guard sortsAsEncoder(contents.keys) else { return nil }
    var writer = JSONWriter(capacity: capacity(for: contents))
    writer.write(contents: contents)
    return String(decoding: writer.bytes, as: UTF8.self)
  }

  static func text(filter: RecipientFilter) -> String {
    var writer = JSONWriter(capacity: 32 + 48 * filter.conditions.count)
    writer.write(filter: filter)
    return String(decoding: writer.bytes, as: UTF8.self)
  }
}
