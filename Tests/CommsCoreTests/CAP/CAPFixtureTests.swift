import Foundation
import Testing

@testable import CommsCore

/// The standard's appendix examples and our own Danish ones read as their
/// text says.
@Suite struct CAPFixtureTests {
  @Test func homelandSecurityAdvisory() throws {
    let alert = try CAPFixtures.alert("homeland-security")
    #expect(alert.identifier == "43b080713727")
    #expect(alert.sender == "hsas@dhs.gov")
    #expect(alert.sent == CAPFixtures.utc("2003-04-02T19:39:01"))
    #expect(alert.sentText == "2003-04-02T14:39:01-05:00")
    #expect(alert.status == .actual && alert.msgType == .alert && alert.scope == .public)
    #expect(alert.readerMark == nil)
    #expect(alert.commsPriority == .flash)
    let info = try #require(alert.infos.first)
    #expect(alert.infos.count == 1)
    #expect(info.language == "en-US")  // absent: the standard's default
    #expect(info.categories == [.security])
    #expect(info.urgency == .immediate && info.severity == .severe && info.certainty == .likely)
    #expect(info.instruction?.hasPrefix(" A High Condition") == true)  // free text kept as is
    #expect(info.web == "http://www.dhs.gov/dhspublic/display?theme=29")
    #expect(info.parameters == [CAPNamedValue(valueName: "HSAS", value: "ORANGE")])
    #expect(
      info.resources == [
        CAPResource(
          resourceDesc: "Image file (GIF)", mimeType: "image/gif",
          uri: "http://www.dhs.gov/dhspublic/getAdvisoryImage")
      ])
    #expect(info.areas.map(\.areaDesc) == ["U.S. nationwide and interests worldwide"])
  }

  @Test func severeThunderstormWarning() throws {
    let alert = try CAPFixtures.alert("severe-thunderstorm")
    #expect(alert.commsPriority == .flash)
    let info = try #require(alert.infos.first)
    #expect(info.categories == [.met])
    #expect(info.responseTypes == [.shelter])
    #expect(info.certainty == .observed)
    #expect(info.eventCodes == [CAPNamedValue(valueName: "SAME", value: "SVR")])
    #expect(info.expires == CAPFixtures.utc("2003-06-17T23:00:00"))
    #expect(info.contact == "BARUFFALDI/JUSKIE")
    let area = try #require(info.areas.first)
    let polygon = try #require(area.polygons.first)
    #expect(polygon.points.count == 5)
    #expect(polygon.points.first == CAPPoint(latitude: 38.47, longitude: -120.14))
    #expect(polygon.points[2] == CAPPoint(latitude: 38.52, longitude: -119.74))
    #expect(area.geocodes.map(\.value) == ["006109", "006009", "006003"])
    #expect(area.circles.isEmpty && area.altitude == nil)
  }

  @Test func earthquakeUpdateNamesWhatItUpdates() throws {
    let alert = try CAPFixtures.alert("earthquake-update")
    #expect(alert.msgType == .update)
    #expect(
      alert.references == [
        CAPReference(
          sender: "trinet@caltech.edu", identifier: "TRI13970876.1",
          sent: "2003-06-11T20:30:00-07:00")
      ])
    #expect(alert.commsPriority == .normal)  // Past, Minor
    let info = try #require(alert.infos.first)
    #expect(info.urgency == .past && info.severity == .minor)
    #expect(
      info.parameters.map(\.valueName) == ["EventID", "Version", "Magnitude", "Depth", "Quality"])
    #expect(info.parameters[2].value == "3.4 Ml")
    let circle = try #require(info.areas.first?.circles.first)
    #expect(
      circle == CAPCircle(center: CAPPoint(latitude: 32.9525, longitude: -115.5527), radius: 0))
  }

  @Test func amberAlert() throws {
    let alert = try CAPFixtures.alert("amber-alert")
    #expect(alert.source == "SW")
    #expect(alert.commsPriority == .flash)
    let info = try #require(alert.infos.first)
    #expect(info.categories == [.rescue])
    #expect(info.event == "Child Abduction")
    #expect(info.description?.contains("3'0\", 40 LBS") == true)
    #expect(info.areas.first?.geocodes == [CAPNamedValue(valueName: "SAME", value: "006037")])
  }

  @Test func danishExerciseInTwoLanguages() throws {
    let alert = try CAPFixtures.alert("danish-exercise")
    #expect(alert.status == .exercise)
    #expect(alert.readerMark == "[ØVELSE]")
    #expect(alert.commsPriority == .flash)
    #expect(alert.infos.map(\.language) == ["da-DK", "en-US"])
    #expect(alert.source == "Øvelsesledelsen")
    #expect(alert.codes == ["DK-OEVELSE"])
    #expect(alert.note == "Øvelse ØRESUND 2025 – ingen reel fare.")
    #expect(alert.incidents == "OERESUND-2025")
    let danish = alert.infos[0]
    #expect(danish.categories == [.fire, .safety])
    #expect(danish.responseTypes == [.shelter, .monitor])
    #expect(danish.audience == "Beboere og ansatte på Amager")
    #expect(danish.onset == CAPFixtures.utc("2025-03-12T08:15:00"))
    #expect(danish.effective == CAPFixtures.utc("2025-03-12T08:30:00"))
    #expect(danish.description?.contains("nordøst & kan") == true)
    #expect(danish.instruction == "Gå indenfor, luk vinduer & døre, og sluk for ventilationen.")
    #expect(danish.web == "https://beredskab.example.dk/oevelse?id=42&lang=da")
    let area = try #require(danish.areas.first)
    #expect(area.altitude == 0 && area.ceiling == 1500)
    #expect(
      area.circles == [CAPCircle(center: CAPPoint(latitude: 55.675, longitude: 12.63), radius: 2.5)]
    )
    #expect(area.polygons.first?.points.count == 5)
    #expect(alert.infos[1].headline == "EXERCISE: Stay indoors – smoke from a fire on Amager")
  }

  @Test func cancelOfTwoMessagesSentPrivately() throws {
    let alert = try CAPFixtures.alert("cancel")
    #expect(alert.msgType == .cancel)
    #expect(alert.scope == .private)
    #expect(alert.addresses == "kommune@kk.example.dk \"Dragør Kommune\"")
    #expect(alert.references.map(\.identifier) == ["DK-HBR-2025-0042", "DK-HBR-2025-0043"])
    #expect(alert.references.first?.sent == "2025-03-12T09:30:00+01:00")
    #expect(alert.sent == CAPFixtures.utc("2025-03-12T10:05:00"))  // "-00:00" is UTC
    #expect(alert.sentText == "2025-03-12T10:05:00-00:00")
    #expect(alert.infos.isEmpty)
    #expect(alert.commsPriority == .normal)
    #expect(alert.readerMark == "[ØVELSE]")
    // The Cancel names the Danish exercise exactly as that alert wrote itself.
    let exercise = try CAPFixtures.alert("danish-exercise")
    #expect(alert.references.first == CAPReference(to: exercise))
  }

  @Test(arguments: CAPFixtures.names)
  func roundTripsThroughTheWriter(_ name: String) throws {
    let alert = try CAPFixtures.alert(name)
    let written = CAPWriter.xml(alert)
    #expect(try CAPReader.parse(Data(written.utf8)) == alert, "\(written)")
  }
}
