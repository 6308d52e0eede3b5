import Foundation
import Testing

@testable import CommsCore

/// `Contact.json` is written by hand for the hot path; it must stay what
/// `Codable` writes for the same list, and read back to the same list.
@Suite struct ContactJSONTests {
  @Test func theSameBytesAsCodableForSeededLists() throws {
    var generator = SeededGenerator(state: 25)
    let pieces = ["a", "ø", "\"", "\\", "/", "\n", "\u{01}", "é", "x@y.dk", " ", "\u{7F}", "😀"]
    func text() -> String {
      (0..<Int.random(in: 0...6, using: &generator)).map { _ in
        pieces.randomElement(using: &generator) ?? ""
      }.joined()
    }
    for _ in 0..<300 {
      let contacts = (0..<Int.random(in: 0...4, using: &generator)).map { _ -> Contact in
        Bool.random(using: &generator)
          ? .email(address: text()) : .webhook(endpoint: text(), address: text())
      }
      let written = Contact.json(contacts)
      #expect(written == JSONCoding.string(contacts))
      let read = try JSONCoding.decoder().decode([Contact].self, from: Data(written.utf8))
      #expect(read == contacts)
    }
  }

  @Test func anEmptyListIsAnEmptyArray() {
    #expect(Contact.json([]) == "[]")
    #expect(
      Contact.json([.email(address: "a@b.dk"), .webhook(endpoint: "sms", address: "+45")])
        == #"[{"email":"a@b.dk"},{"address":"+45","endpoint":"sms"}]"#)
  }
}
