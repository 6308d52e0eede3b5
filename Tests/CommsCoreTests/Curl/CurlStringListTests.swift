import Testing

@testable import CommsCore

extension CurlStringList {
  /// The lines as libcurl reads them: from the head, node by node.
  var lines: [String] {
    var lines: [String] = []
    var node = head
    while let current = node {
      lines.append(String(cString: current.pointee.data))
      node = current.pointee.next
    }
    return lines
  }
}

/// Lists for libcurl laid out in one allocation (`CurlStringList`), read
/// back as the lines `curl_slist_append` was given before: for headers
/// "Name: value", "Name;" for an empty value, the extra lines last and as
/// they are; recipients as they are.
@Suite struct CurlStringListTests {
  static func expected(_ fields: [HTTPHeaderField], extra: [String]) -> [String] {
    fields.map { $0.value.isEmpty ? "\($0.name);" : "\($0.name): \($0.value)" } + extra
  }

  @Test func aSignedWebhooksLinesComeOutInOrder() {
    let fields = [
      HTTPHeaderField(name: "Content-Type", value: "application/json"),
      HTTPHeaderField(name: "webhook-id", value: "01JD8Y6W0C7V4K5M3N2P1Q0R9S"),
      HTTPHeaderField(name: "X-Empty", value: ""),
      HTTPHeaderField(name: "X-Æøå", value: "værdi — ok"),
    ]
    let list = CurlStringList(headers: fields, extra: ["Expect:"])
    defer { list.free() }
    #expect(
      list.lines == [
        "Content-Type: application/json", "webhook-id: 01JD8Y6W0C7V4K5M3N2P1Q0R9S", "X-Empty;",
        "X-Æøå: værdi — ok", "Expect:",
      ])
  }

  @Test func noLinesMakeNoList() {
    let list = CurlStringList(headers: [], extra: [])
    #expect(list.head == nil)
    #expect(list.lines.isEmpty)
    list.free()
    let extraOnly = CurlStringList(headers: [], extra: ["Expect:"])
    defer { extraOnly.free() }
    #expect(extraOnly.lines == ["Expect:"])
  }

  /// Seeded: names and values of every length up to 300 bytes, empty ones
  /// among them, with multi-byte characters, so each line's room is worked
  /// out from its bytes, not its characters.
  @Test func seededFieldsComeBackAsTheirLines() {
    var generator = SeededGenerator(state: 25)
    let alphabet = Array("abcXYZ-_0189 æøåÆØÅ€🚑:;\t")
    for _ in 0..<500 {
      let fields = (0..<Int.random(in: 0...12, using: &generator)).map { _ in
        let name = String(
          (0..<Int.random(in: 1...40, using: &generator)).map { _ in
            alphabet.randomElement(using: &generator) ?? "x"
          })
        let value = String(
          (0..<Int.random(in: 0...300, using: &generator)).map { _ in
            alphabet.randomElement(using: &generator) ?? "x"
          })
        return HTTPHeaderField(name: name, value: Bool.random(using: &generator) ? value : "")
      }
      let list = CurlStringList(headers: fields, extra: ["Expect:"])
      #expect(list.lines == Self.expected(fields, extra: ["Expect:"]))
      list.free()
    }
  }

  /// Recipients, as libcurl's MAIL_RCPT list: each address as it is, in
  /// order, multi-byte ones measured by their bytes; none makes no list.
  @Test func recipientsComeBackAsTheyAre() {
    var generator = SeededGenerator(state: 26)
    let alphabet = Array("abcXYZ.-_0189+@æøå€🚑")
    for _ in 0..<200 {
      let addresses = (0..<Int.random(in: 0...20, using: &generator)).map { _ in
        String(
          (0..<Int.random(in: 0...80, using: &generator)).map { _ in
            alphabet.randomElement(using: &generator) ?? "x"
          })
      }
      let list = CurlStringList(addresses)
      #expect(list.lines == addresses)
      #expect((list.head == nil) == addresses.isEmpty)
      list.free()
    }
  }
}
