import Testing

@testable import CommsCore

/// A request's header lines laid out for libcurl in one allocation
/// (`RequestHeaderList`) read back as the lines `curl_slist_append` was
/// given before: "Name: value", "Name;" for an empty value, the extra lines
/// last and as they are.
@Suite struct RequestHeaderListTests {
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
    let list = RequestHeaderList(fields, extra: ["Expect:"])
    defer { list.free() }
    #expect(
      list.lines == [
        "Content-Type: application/json", "webhook-id: 01JD8Y6W0C7V4K5M3N2P1Q0R9S", "X-Empty;",
        "X-Æøå: værdi — ok", "Expect:",
      ])
  }

  @Test func noLinesMakeNoList() {
    let list = RequestHeaderList([], extra: [])
    #expect(list.head == nil)
    #expect(list.lines.isEmpty)
    list.free()
    let extraOnly = RequestHeaderList([], extra: ["Expect:"])
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
      let list = RequestHeaderList(fields, extra: ["Expect:"])
      #expect(list.lines == Self.expected(fields, extra: ["Expect:"]))
      list.free()
    }
  }
}
