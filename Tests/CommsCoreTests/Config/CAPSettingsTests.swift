import Foundation
import Testing

@testable import CommsCore

/// `[cap]`: what is read, and every mistake named by file, line and key.
@Suite struct CAPSettingsTests {
  static let base = """
    data_dir = "var"
    [endpoints.hook]
    url = "http://127.0.0.1:8099/hook"
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    [audiences.staff]
    [audiences.police]
    [[recipients]]
    id = "a"
    name = "Anne"
    audiences = ["staff", "police"]
    contacts = ["hook:anne"]
    """

  static let file = "/etc/commsd/commsd.toml"

  func errors(_ cap: String) -> [String] {
    do {
      _ = try ConfigurationLoader.parse(Self.base + "\n" + cap, file: Self.file)
      return []
    } catch {
      return error.errors.map(\.description)
    }
  }

  /// The line `text` is on in the configuration made with `cap`.
  func line(of text: String, in cap: String) -> Int {
    let lines = (Self.base + "\n" + cap).components(separatedBy: "\n")
    return (lines.firstIndex { $0.contains(text) } ?? -1) + 1
  }

  @Test func readsSenderCategoryAndTheMapping() throws {
    let configuration = try ConfigurationLoader.parse(
      Self.base + """

        [cap]
        sender = "krisestab@kommune.example"
        sender_name = "Krisestaben"
        category = "health"
        [cap.audiences]
        "Ansatte  på Amager" = ["staff"]
        Fire = ["staff", "police"]
        default = ["police"]
        """, file: Self.file)
    let cap = configuration.cap
    #expect(cap.sender == "krisestab@kommune.example")
    #expect(cap.senderName == "Krisestaben")
    #expect(cap.category == .health)
    #expect(cap.defaultAudiences == ["police"])
    #expect(cap.audienceMap == ["ansatte på amager": ["staff"], "fire": ["staff", "police"]])

    func alert(audience: String?, categories: [CAPCategory]) -> CAPAlert {
      CAPAlert(
        identifier: "x", sender: "y", sent: Date(), status: .actual, msgType: .alert,
        scope: .public,
        infos: [
          CAPInfo(
            categories: categories, event: "e", urgency: .immediate, severity: .severe,
            certainty: .observed, audience: audience)
        ])
    }
    // Case and spacing are ignored; an audience text wins over categories.
    #expect(
      cap.audiences(for: alert(audience: " ansatte på\nAMAGER ", categories: [.fire])) == ["staff"])
    #expect(
      cap.audiences(for: alert(audience: "Alle", categories: [.geo, .fire])) == ["staff", "police"])
    #expect(cap.audiences(for: alert(audience: nil, categories: [.geo])) == ["police"])
  }

  @Test func withoutTheSectionNothingIsConfigured() throws {
    let configuration = try ConfigurationLoader.parse(Self.base, file: Self.file)
    #expect(configuration.cap == CAPSettings())
    #expect(configuration.cap.audiences(for: try CAPFixtures.alert("amber-alert")).isEmpty)
  }

  @Test func mistakesAreNamedWithFileLineAndKey() {
    let cap = """
      [cap]
      sender = "krise stab"
      category = "Weather"
      colour = "red"
      [cap.audiences]
      Fire = ["staff", "firemen"]
      fire = ["police"]
      Met = []
      Geo = "staff"
      default = ["police", "police"]
      """
    let found = errors(cap)
    let expected = [
      "\(Self.file):\(line(of: "sender =", in: cap)): cap.sender: not usable as a CAP sender",
      "\(Self.file):\(line(of: "category =", in: cap)): cap.category: expected one of Geo, Met",
      "\(Self.file):\(line(of: "colour", in: cap)): cap.colour: unknown key",
      "\(Self.file):\(line(of: "Fire =", in: cap)): cap.audiences.Fire: unknown audience \"firemen\" (configured: police, staff)",
      "\(Self.file):\(line(of: "fire =", in: cap)): cap.audiences.fire: matches the same alerts as \"Fire\"",
      "\(Self.file):\(line(of: "Met =", in: cap)): cap.audiences.Met: name at least one audience",
      "\(Self.file):\(line(of: "Geo =", in: cap)): cap.audiences.Geo: expected an array of strings",
      "\(Self.file):\(line(of: "default =", in: cap)): cap.audiences.default: \"police\" is named twice",
    ]
    for text in expected {
      #expect(found.contains { $0.hasPrefix(text) }, "missing \(text) in \(found)")
    }
    #expect(found.count == expected.count, "\(found)")
  }
}
