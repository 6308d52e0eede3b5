import Foundation
import Testing

@testable import CommsCore

/// The mapping onto commsd's priorities, cell by cell as in the doc table.
@Suite struct CAPPriorityTests {
  static func info(_ urgency: CAPUrgency, _ severity: CAPSeverity) -> CAPInfo {
    CAPInfo(
      categories: [.safety], event: "E", urgency: urgency, severity: severity, certainty: .observed)
  }

  @Test func everyUrgencyAndSeverity() {
    // Columns: Extreme, Severe, Moderate, Minor, Unknown.
    let table: [CAPUrgency: [Priority]] = [
      .immediate: [.flash, .flash, .urgent, .normal, .urgent],
      .expected: [.urgent, .urgent, .urgent, .normal, .urgent],
      .future: [.normal, .normal, .normal, .normal, .normal],
      .past: [.normal, .normal, .normal, .normal, .normal],
      .unknown: [.normal, .normal, .normal, .normal, .normal],
    ]
    for urgency in CAPUrgency.allCases {
      for (column, severity) in CAPSeverity.allCases.enumerated() {
        #expect(
          Self.info(urgency, severity).commsPriority == table[urgency]?[column],
          "\(urgency) \(severity)")
      }
    }
  }

  @Test func certaintyDoesNotLowerIt() {
    var info = Self.info(.immediate, .extreme)
    info.certainty = .unlikely
    #expect(info.commsPriority == .flash)
  }

  @Test func alertTakesItsHighestInfo() {
    var alert = CAPAlert(
      identifier: "A", sender: "B", sent: Date(timeIntervalSince1970: 0), status: .actual,
      msgType: .alert, scope: .public)
    #expect(alert.commsPriority == .normal)
    alert.infos = [Self.info(.future, .extreme), Self.info(.expected, .moderate)]
    #expect(alert.commsPriority == .urgent)
    alert.infos.append(Self.info(.immediate, .severe))
    #expect(alert.commsPriority == .flash)
  }

  @Test func readerMarks() {
    var alert = CAPAlert(
      identifier: "A", sender: "B", sent: Date(timeIntervalSince1970: 0), status: .actual,
      msgType: .alert, scope: .public)
    let marks: [CAPStatus: String?] = [
      .actual: nil, .exercise: "[ØVELSE]", .test: "[TEST]", .system: "[SYSTEM]", .draft: "[KLADDE]",
    ]
    for status in CAPStatus.allCases {
      alert.status = status
      #expect(alert.readerMark == marks[status] ?? "missing", "\(status)")
    }
  }
}
